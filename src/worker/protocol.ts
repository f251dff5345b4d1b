import type { BackendBenchmark, BackendName, BackendReport, DeviceLoss } from '../backend';
import type { ConvertProgress, NamedCheckpointFile } from '../checkpoints/convert';
import type { LoadProgress, ModelSource } from '../loading/load-model';
import type { StoredModel, StoreProgress } from '../loading/model-store';
import type { ClassInfo, KMaXConfig } from '../model/config';
import type { AttentionMode, RepostprocessOptions, RepostprocessResult, RgbImage, SegmentOptions, SegmentResult, StageEvent } from '../segmenter/types';
import type { SerialisedError } from './errors';
import type { ConvertToStoreOptions } from './convert-checkpoint';
import type { NetworkInput, NetworkOutputs } from './network-probe';
import type { DownloadProgress } from '../zoo/download';
import type { ZooDownloadTarget } from './zoo-download';

/** Segment options that can be cloned: the stage callback travels as `stage` events, the abort signal as a `cancel` request. */
export type WireSegmentOptions = Omit<SegmentOptions, 'onProgress' | 'signal'>;

/** A model the worker can load: a served folder, files in memory, or a converted model in the browser's store. */
export type WorkerModelSource = ModelSource | { readonly kind: 'stored'; readonly id: string };

/** A conversion's progress: bytes read, tensors converted, then bytes stored. */
export type ConversionProgress = ConvertProgress | StoreProgress;

/** A request or reply with no fields beyond its id and type. */
export type Empty = Record<never, never>;

export interface LoadedModel {
  readonly config: KMaXConfig;
  readonly classes: readonly ClassInfo[];
  readonly backend: BackendReport;
  readonly trainedAttention?: AttentionMode;
}

/** A run of another model than the loaded one (Compare's second model), and that model's description. */
export interface OtherModelRun {
  readonly result: SegmentResult;
  readonly model: Omit<LoadedModel, 'backend'>;
}

/** Payload of each request type (what the page sends). */
export interface RequestPayloads {
  /** Unloads any model, picks a backend on first use, then loads `source`. */
  load: { readonly source: WorkerModelSource; readonly backends?: readonly BackendName[]; readonly benchmark?: BackendBenchmark };
  segment: { readonly image: RgbImage; readonly options: WireSegmentOptions };
  /**
   * Loads `source` beside the loaded model, segments `image` with it, then frees it
   * (Compare's second model): the loaded model, its kept outputs and its backend stay.
   */
  segmentWith: { readonly source: WorkerModelSource; readonly image: RgbImage; readonly options: WireSegmentOptions };
  /** Post-processing again on the last `segment` run's kept outputs (thresholds, semantic, instances): no network. */
  postprocess: { readonly options: RepostprocessOptions };
  /** Cancels the request with id `target` (queued or running). */
  cancel: { readonly target: number };
  /**
   * Converts an official checkpoint (one .pth/.pkl, or a TF .index with its .data-*
   * shards) and keeps the model in the browser's store (issue 3 point 5). Files are
   * Blobs: the worker streams them, the page never reads them.
   */
  convert: { readonly files: readonly NamedCheckpointFile[]; readonly options?: ConvertToStoreOptions };
  /**
   * Downloads a model zoo checkpoint (bytes as `downloadProgress` events), then converts
   * and stores it as `convert` does. The download runs beside queued requests (the
   * current model keeps segmenting); `cancel` stops it.
   */
  download: { readonly target: ZooDownloadTarget; readonly options?: ConvertToStoreOptions };
  /** Runs the bare network on a given input (debug and parity hook); loads nothing for later. */
  network: { readonly source: WorkerModelSource; readonly input: NetworkInput; readonly attention: AttentionMode; readonly backends?: readonly BackendName[] };
  /** Destroys the WebGPU device, as a driver reset would (debug and e2e hook). */
  loseDevice: Empty;
  unload: Empty;
}

/** Value of the `return` reply for each request type. */
export interface ReplyValues {
  load: LoadedModel;
  segment: SegmentResult;
  segmentWith: OtherModelRun;
  postprocess: RepostprocessResult;
  cancel: { readonly cancelled: boolean };
  convert: { readonly model: StoredModel };
  download: { readonly model: StoredModel };
  network: NetworkOutputs;
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
  | { readonly kind: 'convertProgress'; readonly id: number; readonly event: ConversionProgress }
  | { readonly kind: 'downloadProgress'; readonly id: number; readonly event: DownloadProgress }
  | { readonly kind: 'stage'; readonly id: number; readonly event: StageEvent }
  | { readonly kind: 'deviceLost'; readonly loss: DeviceLoss }
  | { readonly kind: 'recovered'; readonly backend: BackendReport };

/** The events that are not answers to a request. */
export type WorkerEvent = Extract<Reply, { kind: 'deviceLost' | 'recovered' }>;
