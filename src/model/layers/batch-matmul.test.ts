import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../random-weights';
import { batchMatMul, minorBatchMatMul } from './batch-matmul';

function random(seed: number, shape: [number, number, number]): tf.Tensor3D {
  const r = mulberry32(seed);
  return tf.tensor3d(Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => 2 * r() - 1), shape);
}

/** out[m, n, p] = sum_k a[m, k, n] b[k, n, p], one entry at a time. */
function naiveMinor(a: tf.Tensor3D, b: tf.Tensor3D): number[] {
  const [m, k, n] = a.shape;
  const p = b.shape[2];
  const av = a.dataSync();
  const bv = b.dataSync();
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let c = 0; c < p; c++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += av[(i * k + t) * n + j] * bv[(t * n + j) * p + c];
        out.push(s);
      }
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each(['cpu', 'wasm'])('batched products on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('minorBatchMatMul contracts k separately for every n (rectangular, no axis equal)', () => {
    const a = random(1, [5, 3, 4]);
    const b = random(2, [3, 4, 6]);
    const before = tf.memory().numTensors;
    const out = minorBatchMatMul(a, b);
    expect(out.shape).toEqual([5, 4, 6]);
    expect(maxAbsDiff(out.dataSync(), naiveMinor(a, b))).toBeLessThan(1e-5);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  it('batchMatMul equals tf.matMul, with and without a transposed b', () => {
    const a = random(3, [4, 5, 3]);
    const b = random(4, [4, 3, 7]);
    const bt = tf.transpose(b, [0, 2, 1]) as tf.Tensor3D;
    const expected = tf.tidy(() => tf.matMul(a, b).dataSync());
    const before = tf.memory().numTensors;
    const plain = batchMatMul(a, b);
    const transposed = batchMatMul(a, bt, true);
    expect(plain.shape).toEqual([4, 5, 7]);
    expect(maxAbsDiff(plain.dataSync(), expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(transposed.dataSync(), expected)).toBeLessThan(1e-5);
    // A product that mixed batches would differ: batch 0 of a with batch 1 of b.
    const crossed = tf.tidy(() => tf.matMul(tf.slice(a, [0, 0, 0], [1]), tf.slice(b, [1, 0, 0], [1])).dataSync());
    expect(maxAbsDiff(plain.dataSync().slice(0, 35), crossed)).toBeGreaterThan(1e-2);
    tf.dispose([plain, transposed]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, bt]);
  });
});
