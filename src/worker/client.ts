import type { BackendBenchmark, BackendName, BackendReport } from '../backend';
import type { NamedCheckpointFile } from '../checkpoints/convert';
import type { LoadProgress } from '../loading/load-model';
import type { StoredModel } from '../loading/model-store';
import type { ClassInfo, KMaXConfig } from '../model/config';
import type { AttentionMode, RepostprocessOptions, RepostprocessResult, RgbImage, SegmentOptions, SegmentResult, Segmenter, StageEvent } from '../segmenter/types';
import { CancelledError, rebuildError, UnknownRequestError, WorkerCrashedError } from './errors';
import type { ConvertToStoreOptions } from './convert-checkpoint';
import type { NetworkInput, NetworkOutputs } from './network-probe';
import type { DownloadProgress } from '../zoo/download';
import type { ZooDownloadTarget } from './zoo-download';
import type { ConversionProgress, OtherModelRun, Reply, ReplyValues, RequestPayloads, RequestType, WorkerEvent, WorkerModelSource } from './protocol';

/** The part of `Worker` the client uses (a loop-back to the handler in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<Reply>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onLoadProgress?: (event: LoadProgress) => void;
  onConvertProgress?: (event: ConversionProgress) => void;
  onDownloadProgress?: (event: DownloadProgress) => void;
  onStage?: (event: StageEvent) => void;
}

interface CallOptions {
  readonly transfer?: Transferable[];
  readonly signal?: AbortSignal;
  readonly onLoadProgress?: (event: LoadProgress) => void;
  readonly onConvertProgress?: (event: ConversionProgress) => void;
  readonly onDownloadProgress?: (event: DownloadProgress) => void;
  readonly onStage?: (event: StageEvent) => void;
}

/**
 * The page side of the segmenter worker: numbers each request, keeps its
 * resolver until the matching `return`/`throw`, routes progress to the
 * caller and device-loss events to listeners.
 */
export class SegmenterWorkerConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: WorkerEvent) => void>();
  /** Types of the requests sent so far, in order (the e2e tests check which work a switch caused). */
  readonly sent: RequestType[] = [];

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (event) => this.receive(event.data));
    worker.addEventListener('error', (event) => this.failAll(new WorkerCrashedError(`the segmenter worker failed: ${event.message}`)));
  }

  /** Listens to device loss and recovery; returns the unsubscribe function. */
  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async load(source: WorkerModelSource, options: { onProgress?: (event: LoadProgress) => void; backends?: readonly BackendName[]; benchmark?: BackendBenchmark } = {}): Promise<WorkerSegmenterClient> {
    const loaded = await this.call('load', { source, ...(options.backends === undefined ? {} : { backends: options.backends }), ...(options.benchmark === undefined ? {} : { benchmark: options.benchmark }) }, { ...(options.onProgress === undefined ? {} : { onLoadProgress: options.onProgress }) });
    return new WorkerSegmenterClient(this, loaded.config, loaded.classes, loaded.backend, loaded.trainedAttention);
  }

  /** Converts checkpoint files in the worker and stores the model there; Files go by reference, unread. */
  async convert(
    files: readonly NamedCheckpointFile[],
    { onProgress, ...options }: ConvertToStoreOptions & { onProgress?: (event: ConversionProgress) => void } = {},
  ): Promise<StoredModel> {
    return (await this.call('convert', { files, options }, { ...(onProgress === undefined ? {} : { onConvertProgress: onProgress }) })).model;
  }

  /** Downloads a zoo checkpoint in the worker, then converts and stores it; `signal` cancels. */
  async download(
    target: ZooDownloadTarget,
    options: ConvertToStoreOptions & { signal?: AbortSignal; onDownload?: (event: DownloadProgress) => void; onProgress?: (event: ConversionProgress) => void },
  ): Promise<StoredModel> {
    const { signal, onDownload, onProgress, ...convert } = options;
    const call: CallOptions = {
      ...(signal === undefined ? {} : { signal }),
      ...(onDownload === undefined ? {} : { onDownloadProgress: onDownload }),
      ...(onProgress === undefined ? {} : { onConvertProgress: onProgress }),
    };
    return (await this.call('download', { target, options: convert }, call)).model;
  }

  /** Runs the bare network on one input (debug and parity hook). */
  async network(source: WorkerModelSource, input: NetworkInput, attention: AttentionMode): Promise<NetworkOutputs> {
    return this.call('network', { source, input, attention });
  }

  /** Destroys the worker's WebGPU device (debug and e2e hook). */
  async loseDevice(): Promise<boolean> {
    return (await this.call('loseDevice', {})).lost;
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new CancelledError('the segmenter worker was stopped'));
  }

  /** Sends one request and resolves with its typed reply value. */
  call<K extends RequestType>(type: K, payload: RequestPayloads[K], options: CallOptions = {}): Promise<ReplyValues[K]> {
    const id = this.nextId++;
    return new Promise<ReplyValues[K]>((resolve, reject) => {
      if (options.signal?.aborted === true) {
        reject(new CancelledError('cancelled before it was sent'));
        return;
      }
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        ...(options.onLoadProgress === undefined ? {} : { onLoadProgress: options.onLoadProgress }),
        ...(options.onConvertProgress === undefined ? {} : { onConvertProgress: options.onConvertProgress }),
        ...(options.onDownloadProgress === undefined ? {} : { onDownloadProgress: options.onDownloadProgress }),
        ...(options.onStage === undefined ? {} : { onStage: options.onStage }),
      });
      options.signal?.addEventListener('abort', () => void this.call('cancel', { target: id }), { once: true });
      this.sent.push(type);
      this.worker.postMessage({ id, type, ...payload }, options.transfer ?? []);
    });
  }

  private receive(reply: Reply): void {
    switch (reply.kind) {
      case 'deviceLost':
      case 'recovered':
        for (const listener of this.listeners) listener(reply);
        return;
      case 'loadProgress':
        this.pending.get(reply.id)?.onLoadProgress?.(reply.event);
        return;
      case 'convertProgress':
        this.pending.get(reply.id)?.onConvertProgress?.(reply.event);
        return;
      case 'downloadProgress':
        this.pending.get(reply.id)?.onDownloadProgress?.(reply.event);
        return;
      case 'stage':
        this.pending.get(reply.id)?.onStage?.(reply.event);
        return;
      case 'return':
        this.settle(reply.id)?.resolve(reply.value);
        return;
      case 'throw':
        this.settle(reply.id)?.reject(rebuildError(reply.error));
        return;
      default:
        throw new UnknownRequestError(`unknown reply kind "${String((reply as { kind: unknown }).kind)}" from the worker`);
    }
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** A model loaded in the worker, behind the same `Segmenter` interface as the in-process one. */
export class WorkerSegmenterClient implements Segmenter {
  constructor(
    private readonly connection: SegmenterWorkerConnection,
    readonly config: KMaXConfig,
    readonly classes: readonly ClassInfo[],
    readonly backend: BackendReport,
    readonly trainedAttention?: AttentionMode,
  ) {}

  /** The signal travels as a `cancel` request, which aborts the run in the worker. */
  async segment(image: RgbImage, options: SegmentOptions = {}): Promise<SegmentResult> {
    const { onProgress, signal, ...wire } = options;
    // The pixels are copied once so that the caller's image survives the transfer.
    const data = image.data.slice();
    const call: CallOptions = { transfer: [data.buffer], ...(signal === undefined ? {} : { signal }), ...(onProgress === undefined ? {} : { onStage: onProgress }) };
    return this.connection.call('segment', { image: { width: image.width, height: image.height, channels: image.channels, data }, options: wire }, call);
  }

  /** Runs another model (loaded for this run only, then freed) on `image`; this model stays loaded. */
  async segmentWith(source: WorkerModelSource, image: RgbImage, options: Omit<SegmentOptions, 'signal'> = {}): Promise<OtherModelRun> {
    const { onProgress, ...wire } = options;
    const data = image.data.slice();
    const call: CallOptions = { transfer: [data.buffer], ...(onProgress === undefined ? {} : { onStage: onProgress }) };
    return this.connection.call('segmentWith', { source, image: { width: image.width, height: image.height, channels: image.channels, data }, options: wire }, call);
  }

  /** Post-processing alone, on the outputs the worker kept from the last run with `keepOutputs`. */
  async repostprocess(options: RepostprocessOptions): Promise<RepostprocessResult> {
    return this.connection.call('postprocess', { options });
  }

  dispose(): void {
    void this.connection.call('unload', {}).catch(() => undefined);
  }
}
