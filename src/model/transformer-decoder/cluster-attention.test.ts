import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttentionMode } from './attention-mode';
import { clusterUpdate, kmeansAssignment, maskedSoftmaxAssignment } from './cluster-attention';

const PIXELS = 23;
const K = 6;
const C = 5;

/** Deterministic pseudo-random numbers in [-scale, scale). */
function randomArray(n: number, seed: number, scale: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2 * scale;
  });
}

function softmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

/** Plain-JS A [pixels][K] for each mode (spec 6). */
function referenceWeights(mode: AttentionMode, logits: number[][]): number[][] {
  switch (mode) {
    case 'kmeans':
      return logits.map((row) => {
        const best = row.indexOf(Math.max(...row));
        return row.map((_, k) => (k === best ? 1 : 0));
      });
    case 'cluster-softmax':
      return logits.map(softmax);
    case 'softmax': {
      const perCluster = Array.from({ length: K }, (_, k) => softmax(logits.map((row) => row[k])));
      return logits.map((_, p) => perCluster.map((col) => col[p]));
    }
    case 'masked': {
      const probabilities = logits.map(softmax);
      const perCluster = Array.from({ length: K }, (_, k) => {
        const inMask = probabilities.map((row) => row[k] >= 0.5);
        const foreground = inMask.some(Boolean) ? inMask : inMask.map(() => true);
        const weights = softmax(logits.filter((_, p) => foreground[p]).map((row) => row[k]));
        let next = 0;
        return foreground.map((f) => (f ? weights[next++] : 0));
      });
      return logits.map((_, p) => perCluster.map((col) => col[p]));
    }
  }
}

/** U[k][c] = sum_p A[p][k] V[p][c]. */
function referenceUpdate(weights: number[][], values: number[][]): number[][] {
  return Array.from({ length: K }, (_, k) =>
    Array.from({ length: C }, (_, c) => weights.reduce((sum, row, p) => sum + row[k] * values[p][c], 0)),
  );
}

function rows(flat: number[], width: number): number[][] {
  return Array.from({ length: flat.length / width }, (_, i) => flat.slice(i * width, (i + 1) * width));
}

describe.each(['cpu', 'wasm'])('cluster attention on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  // Large logits (scale 40) make the spatial softmax overflow without the max subtraction.
  const logits = rows(randomArray(PIXELS * K, 7, 40), K);
  const values = rows(randomArray(PIXELS * C, 11, 1), C);

  for (const mode of ['kmeans', 'softmax', 'masked', 'cluster-softmax'] as const) {
    it(`${mode}: U = A^T V matches a plain-JS computation`, async () => {
      const [l, v] = [tf.tensor2d(logits), tf.tensor2d(values)];
      const before = tf.memory().numTensors;
      const u = clusterUpdate(mode, l, v);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(u.shape).toEqual([K, C]);
      const got = rows(Array.from(await u.data()), C);
      const want = referenceUpdate(referenceWeights(mode, logits), values);
      for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) expect(got[k][c]).toBeCloseTo(want[k][c], 4);
      tf.dispose([u, l, v]);
    });
  }

  it('the modes really differ (k-means sums values, softmax averages them)', async () => {
    const kmeans = await clusterUpdate('kmeans', tf.tensor2d(logits), tf.tensor2d(values)).data();
    const spatial = await clusterUpdate('softmax', tf.tensor2d(logits), tf.tensor2d(values)).data();
    const maxAbs = (xs: ArrayLike<number>): number => Math.max(...Array.from(xs, Math.abs));
    expect(maxAbs(kmeans)).not.toBeCloseTo(maxAbs(spatial), 2);
    // A convex combination of pixel values never exceeds the largest |value|.
    expect(maxAbs(spatial)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('masked: each cluster averages its foreground pixels only, and an empty foreground attends to every pixel', async () => {
    // Pixels 0 and 1 belong to cluster 0 (probability ~1), pixel 2 to cluster 1,
    // although cluster 0's largest logit is there; cluster 2 never reaches 0.5. Logits of 1e4 overflow exp without the
    // foreground max subtraction; masking with -inf would give NaN rows.
    const l = tf.tensor2d([
      [1e4, 0, 1],
      [1e4 + 1, 0, 2],
      [1e4 + 2, 1e4 + 9, 0],
    ]);
    const a = await maskedSoftmaxAssignment(l).array();
    const e = Math.E;
    expect(a[0][0]).toBeCloseTo(1 / (1 + e), 6);
    expect(a[0][1]).toBeCloseTo(e / (1 + e), 6);
    expect(a[0][2]).toBe(0);
    expect(a[1]).toEqual([0, 0, 1]);
    // Cluster 2: the spatial softmax over all three pixels.
    const all = [e, e * e, 1].map((x) => x / (e + e * e + 1));
    a[2].forEach((x, p) => expect(x).toBeCloseTo(all[p], 6));
    const v = tf.tensor2d([[1], [2], [4]]);
    const u = Array.from(await clusterUpdate('masked', l, v).data());
    [(1 + 2 * e) / (1 + e), 4, all[0] + 2 * all[1] + 4 * all[2]].forEach((want, k) => expect(u[k]).toBeCloseTo(want, 5));
  });

  it('masked: a pixel at probability exactly 0.5 is foreground (>=), as in the reference', async () => {
    // Two clusters tie exactly (0.5 each, a third at probability 0): both take pixel 0.
    const l = tf.tensor2d([
      [3, 3, -200],
      [0, 9, -200],
    ]);
    const a = await maskedSoftmaxAssignment(l).array();
    expect(a[0]).toEqual([1, 0]);
    expect(a[1][0]).toBeGreaterThan(0);
    expect(a[1][1]).toBeGreaterThan(0);
  });

  it('k-means: an empty cluster gets a zero update and each pixel counts once', async () => {
    const l = tf.tensor2d([
      [0, 5, 1],
      [0, 4, 1],
      [9, 0, 1],
    ]);
    const v = tf.tensor2d([[1], [2], [4]]);
    expect(Array.from(await clusterUpdate('kmeans', l, v).data())).toEqual([4, 3, 0]);
  });

  it('k-means: ties go to the lowest cluster index', async () => {
    const l = tf.tensor2d([
      [0, 3, 1, 3],
      [2, 2, 2, 2],
      [-1, -5, -1, -1],
      [0, 1, 7, 7],
    ]);
    const a = await kmeansAssignment(l).array();
    // A^T is [K, pixels]: column p holds pixel p's one-hot.
    const assigned = [0, 1, 2, 3].map((p) => a.findIndex((row) => row[p] === 1));
    expect(assigned).toEqual([1, 0, 0, 2]);
    expect(a.flat().reduce((s, x) => s + x, 0)).toBe(4);
  });
});
