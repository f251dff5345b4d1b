import type { BackendBenchmark, BackendName, BackendReport, DeviceLoss } from '../backend';
import type { NamedCheckpointFile } from '../checkpoints/convert';
import type { LoadProgress } from '../loading/load-model';
import type { StoredModel } from '../loading/model-store';
import type { AttentionMode, Segmenter, StageEvent } from '../segmenter/types';
import { CancelledError, DeviceLostError, NoModelError, serialiseError, UnknownRequestError } from './errors';
import type { ConvertToStoreOptions } from './convert-checkpoint';
import type { NetworkInput, NetworkOutputs } from './network-probe';
import type { DownloadProgress } from '../zoo/download';
import type { ZooDownloadTarget } from './zoo-download';
import type { ConversionProgress, Empty, LoadedModel, OtherModelRun, Reply, ReplyValues, Request, RequestOf, RequestType, WorkerModelSource } from './protocol';
import { transferablesOf } from './transferables';

/** What the handler needs from its surroundings; the worker entry passes the real ones, tests fakes. */
export interface HandlerEnvironment {
  post(reply: Reply, transfer: Transferable[]): void;
  /** `benchmark`: an earlier measurement on a software adapter, reused if the adapter is the same. */
  chooseBackend(order?: readonly BackendName[], benchmark?: BackendBenchmark): Promise<BackendReport>;
  /** Replaces a lost device's backend with a fresh one. */
  restartBackend(): Promise<BackendReport>;
  watchDeviceLoss(onLost: (loss: DeviceLoss) => void): void;
  loseDevice(): boolean;
  loadSegmenter(source: WorkerModelSource, options: { onProgress: (event: LoadProgress) => void }): Promise<Segmenter>;
  /** Converts checkpoint files and stores the model (absent: conversion not offered). */
  convertCheckpoint?(files: readonly NamedCheckpointFile[], options: ConvertToStoreOptions, onProgress: (event: ConversionProgress) => void): Promise<StoredModel>;
  /** Downloads a zoo checkpoint (absent: no model zoo). */
  downloadCheckpoint?(target: ZooDownloadTarget, signal: AbortSignal, onProgress: (event: DownloadProgress) => void): Promise<NamedCheckpointFile>;
  /** The bare network on one input (absent: no debug hook). */
  runNetwork?(source: WorkerModelSource, input: NetworkInput, attention: AttentionMode): Promise<NetworkOutputs>;
}

type Handlers = { [K in RequestType]: (request: RequestOf<K>) => Promise<ReplyValues[K]> };

/**
 * The worker side of the segmenter: owns the in-process segmenter, runs one
 * request at a time in arrival order, and answers each with `return` or
 * `throw` under the request's id. Load progress, stage events and device loss
 * go out as separate events.
 */
export class SegmenterWorkerHandler {
  private segmenter: Segmenter | undefined;
  private source: WorkerModelSource | undefined;
  private backend: BackendReport | undefined;
  private lost: DeviceLoss | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Queued or running requests that may still be cancelled, by id. */
  private readonly cancellable = new Map<number, AbortController>();

  private readonly handlers: Handlers = {
    load: (r) => this.serially(r.id, () => this.load(r)),
    segment: (r) => this.serially(r.id, (signal) => this.segment(r, signal)),
    segmentWith: (r) => this.serially(r.id, (signal) => this.segmentWith(r, signal)),
    postprocess: (r) => this.serially(r.id, () => this.postprocess(r)),
    convert: (r) => this.serially(r.id, () => this.convert(r)),
    download: (r) => this.download(r),
    network: (r) => this.serially(r.id, () => this.network(r)),
    unload: (r) => this.serially(r.id, async () => this.unload()),
    cancel: async (r) => ({ cancelled: this.cancel(r.target) }),
    loseDevice: async () => {
      if (this.segmenter === undefined) throw new NoModelError();
      return { lost: this.env.loseDevice() };
    },
  };

  constructor(private readonly env: HandlerEnvironment) {}

  /** Entry point for `self.onmessage`. */
  async handle(request: Request): Promise<void> {
    const handler = this.handlers[request.type] as ((r: Request) => Promise<ReplyValues[RequestType]>) | undefined;
    try {
      if (handler === undefined) throw new UnknownRequestError(`unknown request type "${String(request.type)}"`);
      const value = await handler(request);
      this.env.post({ kind: 'return', id: request.id, type: request.type, value } as Reply, transferablesOf(value));
    } catch (error) {
      this.env.post({ kind: 'throw', id: request.id, error: serialiseError(error) }, []);
    }
  }

  /**
   * Queues `task` behind earlier requests. A cancelled request throws CancelledError
   * instead of answering: before it starts, or through the signal `task` is given.
   */
  private serially<T>(id: number, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.cancellable.set(id, controller);
    const run = async (): Promise<T> => {
      try {
        if (controller.signal.aborted) throw new CancelledError(`request ${id} was cancelled before it started`);
        const value = await task(controller.signal);
        if (controller.signal.aborted) throw new CancelledError(`request ${id} was cancelled; its result was dropped`);
        return value;
      } finally {
        this.cancellable.delete(id);
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private cancel(target: number): boolean {
    const controller = this.cancellable.get(target);
    if (controller === undefined) return false;
    controller.abort(new CancelledError(`request ${target} was cancelled while it ran`));
    return true;
  }

  private async load(request: RequestOf<'load'>): Promise<LoadedModel> {
    this.unload();
    const backend = await this.startBackend(request.backends, request.benchmark);
    const onProgress = (event: LoadProgress): void => this.env.post({ kind: 'loadProgress', id: request.id, event }, []);
    this.segmenter = await this.env.loadSegmenter(request.source, { onProgress });
    this.source = request.source;
    const { config, classes, trainedAttention } = this.segmenter;
    return { config, classes, backend, ...(trainedAttention === undefined ? {} : { trainedAttention }) };
  }

  /** Picks the backend on first use. */
  private async startBackend(order: readonly BackendName[] | undefined, benchmark?: BackendBenchmark): Promise<BackendReport> {
    if (this.backend === undefined) {
      this.backend = await this.env.chooseBackend(order, benchmark);
      this.env.watchDeviceLoss((loss) => this.onDeviceLost(loss));
    }
    return this.backend;
  }

  private unload(): Empty {
    this.segmenter?.dispose();
    this.segmenter = undefined;
    this.source = undefined;
    return {};
  }

  private async segment(request: RequestOf<'segment'>, signal: AbortSignal) {
    const options = { ...request.options, signal, onProgress: (event: StageEvent) => this.env.post({ kind: 'stage', id: request.id, event }, []) };
    return this.withRecovery(() => {
      if (this.segmenter === undefined) throw new NoModelError();
      return this.segmenter.segment(request.image, options);
    });
  }

  /** The other model lives for this request only: its weights and every tensor of its run are freed before the answer. */
  private async segmentWith(request: RequestOf<'segmentWith'>, signal: AbortSignal): Promise<OtherModelRun> {
    if (this.lost !== undefined) await this.recover();
    if (this.segmenter === undefined) throw new NoModelError();
    const onProgress = (event: LoadProgress): void => this.env.post({ kind: 'loadProgress', id: request.id, event }, []);
    const other = await this.env.loadSegmenter(request.source, { onProgress });
    try {
      const options = { ...request.options, keepOutputs: false, signal, onProgress: (event: StageEvent) => this.env.post({ kind: 'stage', id: request.id, event }, []) };
      const result = await other.segment(request.image, options);
      const { config, classes, trainedAttention } = other;
      return { result, model: { config, classes, ...(trainedAttention === undefined ? {} : { trainedAttention }) } };
    } finally {
      other.dispose();
    }
  }

  private async postprocess(request: RequestOf<'postprocess'>) {
    if (this.lost !== undefined) await this.recover();
    if (this.segmenter === undefined) throw new NoModelError();
    if (this.segmenter.repostprocess === undefined) throw new UnknownRequestError('this segmenter cannot post-process kept outputs');
    return this.segmenter.repostprocess(request.options);
  }

  private async convert(request: RequestOf<'convert'>): Promise<{ model: StoredModel }> {
    if (this.env.convertCheckpoint === undefined) throw new UnknownRequestError('checkpoint conversion is not available in this build');
    const onProgress = (event: ConversionProgress): void => this.env.post({ kind: 'convertProgress', id: request.id, event }, []);
    return { model: await this.env.convertCheckpoint(request.files, request.options ?? {}, onProgress) };
  }

  /** Downloads outside the queue, so that the loaded model keeps answering; converts in it. */
  private async download(request: RequestOf<'download'>): Promise<{ model: StoredModel }> {
    const { downloadCheckpoint, convertCheckpoint } = this.env;
    if (downloadCheckpoint === undefined || convertCheckpoint === undefined) throw new UnknownRequestError('the model zoo is not available in this build');
    const controller = new AbortController();
    this.cancellable.set(request.id, controller);
    let file: NamedCheckpointFile;
    try {
      file = await downloadCheckpoint(request.target, controller.signal, (event) => this.env.post({ kind: 'downloadProgress', id: request.id, event }, []));
    } catch (error) {
      if (controller.signal.aborted) throw new CancelledError(`request ${request.id} was cancelled during its download`);
      throw error;
    } finally {
      this.cancellable.delete(request.id);
    }
    return this.serially(request.id, async () => {
      const onProgress = (event: ConversionProgress): void => this.env.post({ kind: 'convertProgress', id: request.id, event }, []);
      return { model: await convertCheckpoint([file], request.options ?? {}, onProgress) };
    });
  }

  private async network(request: RequestOf<'network'>): Promise<NetworkOutputs> {
    if (this.env.runNetwork === undefined) throw new UnknownRequestError('the network debug hook is not available in this build');
    await this.startBackend(request.backends);
    return this.env.runNetwork(request.source, request.input, request.attention);
  }

  /**
   * Runs `task`; if the device was lost before or during it, rebuilds the
   * backend and the model and runs it once more.
   */
  private async withRecovery<T>(task: () => Promise<T>): Promise<T> {
    if (this.lost !== undefined) await this.recover();
    try {
      return await task();
    } catch (error) {
      // The device's `lost` promise may settle just after the failing read-back.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.lost === undefined) throw error;
      await this.recover();
      return task();
    }
  }

  private onDeviceLost(loss: DeviceLoss): void {
    this.lost = loss;
    this.env.post({ kind: 'deviceLost', loss }, []);
    // Recover in the queue so that no request runs on the dead device meanwhile.
    this.queue = this.queue.then(() => (this.lost === undefined ? undefined : this.recover())).catch(() => undefined);
  }

  private async recover(): Promise<void> {
    const loss = this.lost;
    const source = this.source;
    if (loss === undefined || source === undefined) return;
    try {
      this.segmenter?.dispose();
    } catch {
      // Its tensors lived on the dead device; nothing left to free.
    }
    this.segmenter = undefined;
    try {
      this.backend = await this.env.restartBackend();
      this.env.watchDeviceLoss((next) => this.onDeviceLost(next));
      this.segmenter = await this.env.loadSegmenter(source, { onProgress: () => undefined });
    } catch (error) {
      throw new DeviceLostError(`the GPU device was lost (${loss.reason}: ${loss.message}) and could not be restarted: ${serialiseError(error).message}`);
    }
    this.lost = undefined;
    this.env.post({ kind: 'recovered', backend: this.backend }, []);
  }
}
