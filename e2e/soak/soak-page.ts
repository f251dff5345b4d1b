/**
 * The page of the soak test (e2e/soak.spec.ts): the app's worker client and segmenter worker
 * (with a memory probe, soak.worker.ts) on the demo model, driven run by run from the test.
 * Each result is reduced to a fingerprint of everything but its timings, so that runs can be
 * compared bit for bit without sending the arrays to the test.
 */
import { SegmenterWorkerConnection, type WorkerSegmenterClient } from '../../src/worker/client';
import type { AttentionMode, RgbImage, SegmentResult } from '../../src/segmenter/types';
import type { WorkerMemory } from './soak.worker';

export interface SoakRun {
  readonly segments: number;
  readonly fingerprint: string;
  readonly ms: number;
}

declare global {
  interface Window {
    kmaxSoak?: {
      load(): Promise<string>;
      segment(attention: AttentionMode): Promise<SoakRun>;
      loseDevice(): Promise<boolean>;
      memory(): Promise<WorkerMemory>;
      readonly events: string[];
    };
  }
}

const worker = new Worker(new URL('./soak.worker.ts', import.meta.url), { type: 'module', name: 'kmax-soak' });
const connection = new SegmenterWorkerConnection(worker);
const events: string[] = [];
connection.onEvent((e) => void events.push(e.kind === 'recovered' ? `recovered on ${e.backend.backend}` : `deviceLost: ${e.loss.reason}`));
let segmenter: WorkerSegmenterClient | undefined;
let image: RgbImage | undefined;

/** FNV-1a over the bytes of each array, in order. */
function fnv(parts: readonly ArrayBufferView[]): string {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function fingerprint(result: SegmentResult): string {
  const layers = (result.layers ?? []).map((l) => `${l.layer}:${l.attention}:${fnv([l.assignment, l.clusterSizes, l.classProbs, l.confidence])}`);
  return [JSON.stringify(result.panoptic.segments), fnv([result.panoptic.ids]), result.inputSize.join('x'), ...layers].join('|');
}

async function decode(url: string): Promise<RgbImage> {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
  context.drawImage(bitmap, 0, 0);
  return { width: bitmap.width, height: bitmap.height, channels: 4, data: context.getImageData(0, 0, bitmap.width, bitmap.height).data };
}

window.kmaxSoak = {
  events,
  async load() {
    image = await decode('/models/demo/samples/synthetic-3.png');
    segmenter = await connection.load({ kind: 'url', url: new URL('/models/demo/model.json', location.href).href }, { backends: ['webgpu'] });
    return segmenter.backend.backend;
  },
  async segment(attention) {
    if (segmenter === undefined || image === undefined) throw new Error('load first');
    const started = performance.now();
    const result = await segmenter.segment(image, { attention, stages: true });
    return { segments: result.panoptic.segments.length, fingerprint: fingerprint(result), ms: performance.now() - started };
  },
  loseDevice: () => connection.loseDevice(),
  memory() {
    const channel = new MessageChannel();
    const answer = new Promise<WorkerMemory>((resolve) => (channel.port1.onmessage = (e: MessageEvent<WorkerMemory>) => resolve(e.data)));
    worker.postMessage({ type: 'soak:memory' }, [channel.port2]);
    return answer;
  },
};
