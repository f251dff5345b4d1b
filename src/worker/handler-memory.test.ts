import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { loadSegmenter } from '../segmenter';
import { SegmenterWorkerHandler } from './handler';
import type { Reply, Request } from './protocol';

const DEMO = path.resolve(import.meta.dirname, '../../models/demo');
const files = () => new Map(['model.json', 'group1-shard1of1.bin'].map((f) => [f, new Uint8Array(readFileSync(path.join(DEMO, f)))]));

describe('segmentWith on the real engine (cpu)', () => {
  it("frees the other model's weights and every tensor of its run: tf.memory() is back to the loaded model's baseline", async () => {
    const replies: Reply[] = [];
    const handler = new SegmenterWorkerHandler({
      post: (reply) => replies.push(reply),
      chooseBackend: async () => {
        await tf.setBackend('cpu');
        return { backend: 'cpu', skipped: [] };
      },
      restartBackend: async () => ({ backend: 'cpu', skipped: [] }),
      watchDeviceLoss: () => undefined,
      loseDevice: () => false,
      loadSegmenter: (source) => loadSegmenter(source as Parameters<typeof loadSegmenter>[0]),
    });
    const image = { width: 40, height: 30, channels: 3 as const, data: Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 37) % 256) };
    await handler.handle({ id: 1, type: 'load', source: { kind: 'files', files: files() } });
    await handler.handle({ id: 2, type: 'segment', image, options: { stages: true, keepOutputs: true } });
    const baseline = tf.memory().numTensors;
    const request: Request = { id: 3, type: 'segmentWith', source: { kind: 'files', files: files() }, image, options: { stages: true, softMaps: true, attention: 'softmax' } };
    await handler.handle(request);
    const reply = replies.find((r) => r.kind !== 'loadProgress' && r.kind !== 'stage' && 'id' in r && r.id === 3);
    if (reply?.kind !== 'return' || reply.type !== 'segmentWith') throw new Error(`no segmentWith reply: ${JSON.stringify(reply)}`);
    expect(reply.value.result.layers?.length).toBe(7);
    expect(reply.value.model.trainedAttention).toBe('kmeans');
    expect(tf.memory().numTensors).toBe(baseline);
    // The loaded model still answers, and its kept outputs are untouched.
    await handler.handle({ id: 4, type: 'postprocess', options: { semantic: true } });
    expect(replies.find((r) => r.kind === 'return' && r.id === 4)).toBeDefined();
    await handler.handle({ id: 5, type: 'unload' });
  }, 120_000);
});
