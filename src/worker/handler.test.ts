import { describe, expect, it } from 'vitest';
import type { BackendReport, DeviceLoss } from '../backend';
import type { ModelSource } from '../loading/load-model';
import type { KMaXConfig } from '../model/config';
import type { RepostprocessOptions, RepostprocessResult, RgbImage, SegmentOptions, SegmentResult, Segmenter } from '../segmenter/types';
import { SegmenterWorkerConnection, type WorkerLike } from './client';
import { CancelledError, DeviceLostError, NoModelError, RemoteError, UnknownRequestError } from './errors';
import { SegmenterWorkerHandler, type HandlerEnvironment } from './handler';
import type { Reply, Request } from './protocol';

const CONFIG = { name: 'fake' } as KMaXConfig;
const WEBGPU: BackendReport = { backend: 'webgpu', skipped: [], adapter: 'fake' };

interface Hooks {
  readonly beforeSegment?: () => Promise<void> | void;
  readonly onOptions?: (options: SegmentOptions) => void;
}

/** A segmenter whose panoptic ids are the red channel, so results can be checked. */
class FakeSegmenter implements Segmenter {
  readonly config = CONFIG;
  readonly classes = [{ id: 0, datasetId: 1, name: 'thing', isThing: true, color: [1, 2, 3] as const }];
  readonly trainedAttention = 'masked' as const;
  disposed = false;
  calls = 0;
  constructor(
    readonly generation: number,
    private readonly hooks: Hooks = {},
  ) {}
  async segment(image: RgbImage, options?: SegmentOptions): Promise<SegmentResult> {
    this.calls++;
    if (options !== undefined) this.hooks.onOptions?.(options);
    await this.hooks.beforeSegment?.();
    if (this.disposed) throw new Error('segmenter used after dispose');
    options?.onProgress?.({ stage: 'backbone', index: 0, total: 2 });
    const ids = new Int32Array(image.width * image.height).map((_, p) => image.data[p * image.channels] + this.generation * 1000);
    return { panoptic: { width: image.width, height: image.height, ids, segments: [] }, timings: [], inputSize: [image.height, image.width] };
  }
  /** Post-processing only: the ids of the last run shifted by 100 per semantic flag, so a test sees it ran on kept outputs. */
  async repostprocess(options: RepostprocessOptions): Promise<RepostprocessResult> {
    this.reposts++;
    return { panoptic: { width: 1, height: 1, ids: new Int32Array([options.semantic === true ? 100 : 0]), segments: [] }, semantic: new Int32Array([5]), timings: [{ stage: 'postprocess', ms: 1 }] };
  }
  reposts = 0;
  dispose(): void {
    this.disposed = true;
  }
}

function harness(options: Hooks = {}) {
  const posted: { reply: Reply; transfer: Transferable[] }[] = [];
  let onLost: ((loss: DeviceLoss) => void) | undefined;
  const segmenters: FakeSegmenter[] = [];
  const log: string[] = [];
  const env: HandlerEnvironment = {
    post: (reply, transfer) => posted.push({ reply, transfer }),
    chooseBackend: async () => {
      log.push('choose');
      return WEBGPU;
    },
    restartBackend: async () => {
      log.push('restart');
      return { ...WEBGPU, adapter: 'fresh' };
    },
    watchDeviceLoss: (cb) => {
      onLost = cb;
    },
    loseDevice: () => {
      onLost?.({ reason: 'destroyed', message: 'test' });
      return true;
    },
    loadSegmenter: async (source: ModelSource, { onProgress }) => {
      log.push(`load ${source.kind === 'url' ? source.url : 'files'}`);
      onProgress({ status: 'initiate', loaded: 0, total: 10 });
      onProgress({ status: 'ready', loaded: 10, total: 10 });
      const s = new FakeSegmenter(segmenters.length, options);
      segmenters.push(s);
      return s;
    },
  };
  const handler = new SegmenterWorkerHandler(env);
  const replyTo = (id: number) => posted.find((p) => (p.reply.kind === 'return' || p.reply.kind === 'throw') && p.reply.id === id);
  return { env, handler, posted, segmenters, log, replyTo };
}

const IMAGE: RgbImage = { width: 2, height: 1, channels: 3, data: new Uint8Array([7, 0, 0, 9, 0, 0]) };
const load = (id: number): Request => ({ id, type: 'load', source: { kind: 'url', url: '/models/demo/model.json' } });
const segment = (id: number): Request => ({ id, type: 'segment', image: IMAGE, options: { stages: true } });

describe('SegmenterWorkerHandler', () => {
  it('answers a load with the model and backend, after out-of-band progress', async () => {
    const { handler, posted } = harness();
    await handler.handle(load(1));
    expect(posted.map((p) => p.reply.kind)).toEqual(['loadProgress', 'loadProgress', 'return']);
    const last = posted[2].reply;
    expect(last).toMatchObject({ kind: 'return', id: 1, type: 'load', value: { config: CONFIG, backend: WEBGPU } });
  });

  it('returns the segment result with its buffers as transferables and stage events by id', async () => {
    const { handler, posted, replyTo } = harness();
    await handler.handle(load(1));
    await handler.handle(segment(2));
    const reply = replyTo(2);
    expect(reply?.reply.kind).toBe('return');
    if (reply?.reply.kind !== 'return' || reply.reply.type !== 'segment') throw new Error('no segment reply');
    expect([...reply.reply.value.panoptic.ids]).toEqual([7, 9]);
    expect(reply.transfer).toEqual([reply.reply.value.panoptic.ids.buffer]);
    expect(posted.some((p) => p.reply.kind === 'stage' && p.reply.id === 2 && p.reply.event.stage === 'backbone')).toBe(true);
  });

  it('answers a postprocess request from the loaded segmenter without running it again', async () => {
    const { handler, segmenters, replyTo } = harness();
    await handler.handle({ id: 1, type: 'postprocess', options: { semantic: true } });
    expect(replyTo(1)?.reply).toMatchObject({ kind: 'throw', error: { name: 'NoModelError' } });
    await handler.handle(load(2));
    await handler.handle(segment(3));
    await handler.handle({ id: 4, type: 'postprocess', options: { semantic: true } });
    const reply = replyTo(4)?.reply;
    if (reply?.kind !== 'return' || reply.type !== 'postprocess') throw new Error('no postprocess reply');
    expect([...reply.value.panoptic.ids]).toEqual([100]);
    expect([segmenters[0].calls, segmenters[0].reposts]).toEqual([1, 1]);
    expect(replyTo(4)?.transfer.length).toBeGreaterThan(0);
  });

  it('segments with another model beside the loaded one and frees it; the loaded model stays and keeps answering', async () => {
    const { handler, segmenters, log, replyTo, posted } = harness();
    await handler.handle({ id: 1, type: 'segmentWith', source: { kind: 'url', url: '/models/other/model.json' }, image: IMAGE, options: {} });
    expect(replyTo(1)?.reply).toMatchObject({ kind: 'throw', error: { name: 'NoModelError' } });
    await handler.handle(load(2));
    await handler.handle({ id: 3, type: 'segmentWith', source: { kind: 'url', url: '/models/other/model.json' }, image: IMAGE, options: { stages: true, keepOutputs: true } });
    const reply = replyTo(3)?.reply;
    if (reply?.kind !== 'return' || reply.type !== 'segmentWith') throw new Error('no segmentWith reply');
    // Generation 1 is the other model: its ids are the red channel + 1000.
    expect([...reply.value.result.panoptic.ids]).toEqual([1007, 1009]);
    expect(reply.value.model).toEqual({ config: CONFIG, classes: segmenters[1].classes, trainedAttention: 'masked' });
    expect(log).toEqual(['choose', 'load /models/demo/model.json', 'load /models/other/model.json']);
    expect([segmenters[0].disposed, segmenters[1].disposed]).toEqual([false, true]);
    expect(posted.some((p) => p.reply.kind === 'stage' && p.reply.id === 3)).toBe(true);
    await handler.handle(segment(4));
    const again = replyTo(4)?.reply;
    if (again?.kind !== 'return' || again.type !== 'segment') throw new Error('no segment reply');
    expect([...again.value.panoptic.ids]).toEqual([7, 9]);
  });

  it('frees the other model when its run fails', async () => {
    let calls = 0;
    const { handler, segmenters, replyTo } = harness({
      beforeSegment: () => {
        if (++calls === 1) throw new Error('out of memory');
      },
    });
    await handler.handle(load(1));
    await handler.handle({ id: 2, type: 'segmentWith', source: { kind: 'url', url: '/models/other/model.json' }, image: IMAGE, options: {} });
    expect(replyTo(2)?.reply).toMatchObject({ kind: 'throw', error: { message: 'out of memory' } });
    expect([segmenters[0].disposed, segmenters[1].disposed]).toEqual([false, true]);
  });

  it('serialises errors with their class name and answers unknown types explicitly', async () => {
    const { handler, replyTo } = harness();
    await handler.handle(segment(3));
    expect(replyTo(3)?.reply).toMatchObject({ kind: 'throw', id: 3, error: { name: 'NoModelError', message: expect.stringMatching(/choose a model/) } });
    await handler.handle({ id: 4, type: 'explode' } as unknown as Request);
    expect(replyTo(4)?.reply).toMatchObject({ kind: 'throw', error: { name: 'UnknownRequestError', message: 'unknown request type "explode"' } });
    await handler.handle({ id: 5, type: 'convert', files: [{ name: 'x.pth', file: new Uint8Array(1) }] });
    expect(replyTo(5)?.reply).toMatchObject({ kind: 'throw', error: { name: 'UnknownRequestError' } });
  });

  it('drops the result of a cancelled request and never starts a cancelled queued one', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { handler, replyTo, segmenters } = harness({ beforeSegment: () => gate });
    await handler.handle(load(1));
    const running = handler.handle(segment(2));
    const queued = handler.handle(segment(3));
    while (segmenters[0].calls === 0) await Promise.resolve();
    await handler.handle({ id: 4, type: 'cancel', target: 2 });
    await handler.handle({ id: 5, type: 'cancel', target: 3 });
    expect(replyTo(4)?.reply).toMatchObject({ kind: 'return', value: { cancelled: true } });
    release();
    await Promise.all([running, queued]);
    expect(replyTo(2)?.reply).toMatchObject({ kind: 'throw', error: { name: 'CancelledError', message: expect.stringMatching(/result was dropped/) } });
    expect(replyTo(3)?.reply).toMatchObject({ kind: 'throw', error: { name: 'CancelledError', message: expect.stringMatching(/before it started/) } });
    expect(segmenters[0].calls).toBe(1);
    await handler.handle({ id: 6, type: 'cancel', target: 2 });
    expect(replyTo(6)?.reply).toMatchObject({ kind: 'return', value: { cancelled: false } });
  });

  it('aborts a running segment through its signal when it is cancelled', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const signals: AbortSignal[] = [];
    const { handler, replyTo, segmenters } = harness({ beforeSegment: () => gate, onOptions: (o) => o.signal !== undefined && signals.push(o.signal) });
    await handler.handle(load(1));
    const running = handler.handle(segment(2));
    while (segmenters[0].calls === 0) await Promise.resolve();
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(false);
    await handler.handle({ id: 3, type: 'cancel', target: 2 });
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason).toBeInstanceOf(CancelledError);
    release();
    await running;
    expect(replyTo(2)?.reply).toMatchObject({ kind: 'throw', error: { name: 'CancelledError' } });
  });

  it('recovers from a device loss between requests: new backend, model reloaded, same answer', async () => {
    const { handler, posted, replyTo, segmenters, log } = harness();
    await handler.handle(load(1));
    await handler.handle({ id: 2, type: 'loseDevice' });
    await handler.handle(segment(3));
    expect(log).toEqual(['choose', 'load /models/demo/model.json', 'restart', 'load /models/demo/model.json']);
    expect(segmenters[0].disposed).toBe(true);
    const kinds = posted.map((p) => p.reply.kind);
    expect(kinds.indexOf('deviceLost')).toBeLessThan(kinds.indexOf('recovered'));
    expect(posted.find((p) => p.reply.kind === 'recovered')?.reply).toEqual({ kind: 'recovered', backend: { ...WEBGPU, adapter: 'fresh' } });
    const reply = replyTo(3)?.reply;
    if (reply?.kind !== 'return' || reply.type !== 'segment') throw new Error('segment failed');
    expect([...reply.value.panoptic.ids]).toEqual([1007, 1009]);
  });

  it('re-runs a segment whose device was lost while it ran', async () => {
    let loseNow: (() => void) | undefined;
    const { handler, replyTo, log } = harness({
      beforeSegment: () => {
        if (loseNow === undefined) return;
        const lose = loseNow;
        loseNow = undefined;
        lose();
        throw new Error('mapAsync: device lost');
      },
    });
    await handler.handle(load(1));
    loseNow = () => void handler.handle({ id: 9, type: 'loseDevice' });
    await handler.handle(segment(2));
    expect(log.filter((l) => l === 'restart')).toHaveLength(1);
    const reply = replyTo(2)?.reply;
    if (reply?.kind !== 'return' || reply.type !== 'segment') throw new Error(`expected a result, got ${JSON.stringify(reply)}`);
    expect([...reply.value.panoptic.ids]).toEqual([1007, 1009]);
  });
});

describe('SegmenterWorkerConnection with WorkerSegmenterClient, looped back to the handler', () => {
  function loopBack(env?: Partial<HandlerEnvironment>) {
    const h = harness();
    const listeners: ((event: MessageEvent<Reply>) => void)[] = [];
    const handler = new SegmenterWorkerHandler({
      ...h.env,
      ...env,
      // Replies are cloned as postMessage would, and delivered asynchronously.
      post: (reply) => queueMicrotask(() => listeners.forEach((l) => l({ data: structuredClone(reply) } as MessageEvent<Reply>))),
    });
    const worker: WorkerLike = {
      postMessage: (message) => void handler.handle(structuredClone(message) as Request),
      addEventListener: (type: string, listener: (event: never) => void) => {
        if (type === 'message') listeners.push(listener as (event: MessageEvent<Reply>) => void);
      },
      terminate: () => undefined,
    };
    return new SegmenterWorkerConnection(worker);
  }

  it('implements Segmenter over the protocol and rebuilds typed errors', async () => {
    const connection = loopBack();
    const progress: string[] = [];
    const segmenter = await connection.load({ kind: 'url', url: '/m/model.json' }, { onProgress: (e) => progress.push(e.status) });
    expect(progress).toEqual(['initiate', 'ready']);
    expect(segmenter.backend).toEqual(WEBGPU);
    expect(segmenter.trainedAttention).toBe('masked');
    const stages: string[] = [];
    const result = await segmenter.segment(IMAGE, { onProgress: (e) => stages.push(e.stage) });
    expect([...result.panoptic.ids]).toEqual([7, 9]);
    expect(stages).toEqual(['backbone']);
    expect(IMAGE.data.byteLength).toBe(6); // the caller's pixels were not transferred away
    const lost: string[] = [];
    connection.onEvent((e) => lost.push(e.kind));
    expect(await connection.loseDevice()).toBe(true);
    expect((await segmenter.segment(IMAGE)).panoptic.ids[0]).toBe(1007);
    expect(lost).toEqual(['deviceLost', 'recovered']);
    await expect(connection.convert([{ name: 'model.pth', file: new Blob([new Uint8Array(4)]) }])).rejects.toBeInstanceOf(UnknownRequestError);
  });

  it('rejects with CancelledError when the signal aborts, and with RemoteError for foreign errors', async () => {
    const connection = loopBack({
      loadSegmenter: async () => {
        throw new TypeError('bad shard');
      },
    });
    const failure = await connection.load({ kind: 'url', url: '/m/model.json' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RemoteError);
    expect(failure).toMatchObject({ name: 'TypeError', message: 'bad shard' });
    expect((failure as Error).stack).toMatch(/bad shard/);
    const noModel = await connection.call('segment', { image: IMAGE, options: {} }).catch((e: unknown) => e);
    expect(noModel).toBeInstanceOf(NoModelError);
    const controller = new AbortController();
    controller.abort();
    await expect(connection.call('segment', { image: IMAGE, options: {} }, { signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(new DeviceLostError('x').name).toBe('DeviceLostError');
  });

  it('converts Blobs by reference with progress, and loads the stored model by id', async () => {
    const seen: Blob[] = [];
    const sources: string[] = [];
    const connection = loopBack({
      convertCheckpoint: async (files, options, onProgress) => {
        seen.push(...files.map((f) => f.file as Blob));
        expect(options).toEqual({ inputSize: [129, 129] });
        onProgress({ status: 'read', loaded: 3, total: 6 });
        onProgress({ status: 'convert', converted: 2, total: 2 });
        onProgress({ status: 'store', stored: 8, total: 8 });
        return { id: 'converted-abc', name: 'x.pth · m', config: CONFIG, classes: [], provenance: { source: 'pytorch', tool: 't' }, bytes: 8 };
      },
      loadSegmenter: async (source) => {
        sources.push(JSON.stringify(source));
        return new FakeSegmenter(0);
      },
    });
    const progress: string[] = [];
    const file = new Blob([new Uint8Array([1, 2, 3])]);
    const model = await connection.convert([{ name: 'x.pth', file }], { inputSize: [129, 129], onProgress: (p) => progress.push(p.status) });
    expect(model).toMatchObject({ id: 'converted-abc', bytes: 8 });
    expect(progress).toEqual(['read', 'convert', 'store']);
    expect(seen).toHaveLength(1);
    expect(new Uint8Array(await seen[0].arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    await connection.load({ kind: 'stored', id: model.id });
    expect(sources).toEqual(['{"kind":"stored","id":"converted-abc"}']);
  });

  it('runs the network hook after choosing a backend, and says when the build has none', async () => {
    const order: string[] = [];
    const connection = loopBack({
      chooseBackend: async () => {
        order.push('choose');
        return WEBGPU;
      },
      runNetwork: async (_source, input, attention) => {
        order.push(`run ${attention}`);
        return { backend: 'webgpu', cpuForward: false, tensors: { pred_logits: { shape: [1, 2], data: input.data.map((v) => 2 * v) } } };
      },
    });
    const out = await connection.network({ kind: 'url', url: '/m/model.json' }, { shape: [1, 2, 1], data: new Float32Array([1, 4]) }, 'softmax');
    expect(order).toEqual(['choose', 'run softmax']);
    expect([...out.tensors.pred_logits.data]).toEqual([2, 8]);
    await expect(loopBack().network({ kind: 'url', url: '/m' }, { shape: [1, 1, 1], data: new Float32Array(1) }, 'kmeans')).rejects.toBeInstanceOf(UnknownRequestError);
  });
});
