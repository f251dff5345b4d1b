import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, randomWeights } from '../random-weights';
import { WeightReader } from '../weights';
import { Conv1dBN, kmaxConvBN } from './conv';

describe('Conv1dBN.applySplit', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const build = (w: WeightReader) => new Conv1dBN(w, kmaxConvBN('p'), 5, 9, { bias: true, act: 'gelu' });

  it('gives the column blocks of apply, one product per block, without leaking', () => {
    const conv = build(new WeightReader(randomWeights(build, 3)));
    const r = mulberry32(4);
    const x = tf.tensor2d(Float32Array.from({ length: 4 * 5 }, () => 2 * r() - 1), [4, 5]);
    const whole = conv.apply(x);
    const blocks = conv.applySplit(x, [2, 3, 4]); // folds and caches the weight blocks once
    tf.dispose(blocks);
    const before = tf.memory().numTensors;
    const [a, b, c] = conv.applySplit(x, [2, 3, 4]);
    expect([a.shape, b.shape, c.shape]).toEqual([[4, 2], [4, 3], [4, 4]]);
    const joined = tf.concat([a, b, c], 1);
    const [error, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(joined, whole))).dataSync()[0], tf.max(tf.abs(whole)).dataSync()[0]]);
    expect(error).toBeLessThan(1e-6);
    expect(scale).toBeGreaterThan(0.1);
    tf.dispose([a, b, c, joined]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, whole]);
  });
});
