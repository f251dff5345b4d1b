import type { BackendName, BackendReport, DeviceLoss } from '../backend';
import type { LoadProgress, ModelSource } from '../loading/load-model';
import type { ClassInfo, KMaXConfig } from '../model/config';
import type { RgbImage, SegmentOptions, SegmentResult, StageEvent } from '../segmenter/types';
import type { SerialisedError } from './errors';

/** Segment options that can be cloned: the stage callback travels as `stage` events instead. */
export type WireSegmentOptions = Omit<SegmentOptions, 'onProgress'>;

/** A model folder in memory: model.json plus its shards, by file name. */
export type ModelFiles = ReadonlyMap<string, Uint8Array>;

/** A request or reply with no fields beyond its id and type. */
export type Empty = Record<never, never>;

export interface LoadedModel {
  readonly config: KMaXConfig;
  readonly classes: readonly ClassInfo[];
  readonly backend: BackendReport;
}

/** Payload of each request type (what the page sends). */
export interface RequestPayloads {
  /** Unloads any model, picks a backend on first use, then loads `source`. */
  load: { readonly source: ModelSource; readonly backends?: readonly BackendName[] };
  segment: { readonly image: RgbImage; readonly options: WireSegmentOptions };
  /** Cancels the request with id `target` (queued or running). */
  cancel: { readonly target: number };
  /** Converts an official checkpoint into a model folder (issue 3 point 5). */
  convert: { readonly fileName: string; readonly bytes: Uint8Array };
  /** Destroys the WebGPU device, as a driver reset would (debug and e2e hook). */
  loseDevice: Empty;
  unload: Empty;
}

/** Value of the `return` reply for each request type. */
export interface ReplyValues {
  load: LoadedModel;
  segment: SegmentResult;
  cancel: { readonly cancelled: boolean };
  convert: { readonly files: ModelFiles };
  loseDevice: { readonly lost: boolean };
  unload: Empty;
}

export type RequestType = keyof RequestPayloads;

export type RequestOf<K extends RequestType> = { readonly id: number; readonly type: K } & RequestPayloads[K];

export type Request = { [K in RequestType]: RequestOf<K> }[RequestType];

export type ReturnOf<K extends RequestType> = { readonly kind: 'return'; readonly id: number; readonly type: K; readonly value: ReplyValues[K] };

/** Everything the worker posts: one `return` or `throw` per request, plus out-of-band events. */
export type Reply =
  | { [K in RequestType]: ReturnOf<K> }[RequestType]
  | { readonly kind: 'throw'; readonly id: number; readonly error: SerialisedError }
  | { readonly kind: 'loadProgress'; readonly id: number; readonly event: LoadProgress }
  | { readonly kind: 'stage'; readonly id: number; readonly event: StageEvent }
  | { readonly kind: 'deviceLost'; readonly loss: DeviceLoss }
  | { readonly kind: 'recovered'; readonly backend: BackendReport };

/** The events that are not answers to a request. */
export type WorkerEvent = Extract<Reply, { kind: 'deviceLost' | 'recovered' }>;
