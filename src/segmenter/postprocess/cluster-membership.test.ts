import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import type { ClassInfo } from '../../model/config';
import { POSTPROCESS } from '../../model/presets';
import { planResize } from '../preprocess/resize-plan';
import { classProbs } from './class-probs';
import { clusterMembership, readLowLogits, slotsFor, type ClusterMembership } from './cluster-membership';
import { pastePanoptic } from './panoptic';
import { postprocess, type PostProcessResult } from './postprocess';

const TAU = 0.4;

/** Deterministic pseudo-random logits in [-4, 4). */
function logits(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 8 - 4;
  });
}

/** The full-resolution reference: both resizes on the whole K-channel map, dense softmax. */
async function naiveMembership(
  low: tf.Tensor3D,
  padded: [number, number],
  crop: [number, number],
  out: [number, number],
): Promise<ClusterMembership> {
  const numClusters = low.shape[2];
  const probs = tf.tidy(() => {
    const up = tf.image.resizeBilinear(low, padded, true);
    const cropped = tf.slice(up, [0, 0, 0], [crop[0], crop[1], numClusters]);
    return tf.softmax(tf.image.resizeBilinear(cropped, out, true));
  });
  const p = (await probs.data()) as Float32Array;
  probs.dispose();
  const slots = slotsFor(TAU, numClusters);
  const m = {
    height: out[0],
    width: out[1],
    numClusters,
    slots,
    clusters: new Int16Array(out[0] * out[1] * slots).fill(-1),
    pixelCounts: new Int32Array(numClusters),
    probSums: new Float64Array(numClusters),
  };
  for (let px = 0; px < out[0] * out[1]; px++) {
    const above = Array.from({ length: numClusters }, (_, k) => k)
      .filter((k) => p[px * numClusters + k] > TAU)
      .sort((a, b) => p[px * numClusters + b] - p[px * numClusters + a]);
    above.forEach((k, s) => {
      m.clusters[px * slots + s] = k;
      m.pixelCounts[k]++;
      m.probSums[k] += p[px * numClusters + k];
    });
  }
  return m;
}

const CLASSES: ClassInfo[] = Array.from({ length: 6 }, (_, id) => ({
  id,
  datasetId: id,
  name: `c${id}`,
  isThing: id < 3,
  color: [0, 0, 0],
}));

describe('clusterMembership', () => {
  it('at most 2 clusters per pixel for tau = 0.4, 3 for 1/3, K for 0', () => {
    expect([slotsFor(0.4, 128), slotsFor(1 / 3, 128), slotsFor(0.5, 128), slotsFor(0, 128)]).toEqual([2, 3, 2, 128]);
  });

  it.each([
    [[9, 9], [33, 33], [33, 25], [25, 19]],
    [[11, 17], [41, 65], [40, 65], [60, 97]],
  ] as [number, number][][])('rows of composed taps equal the naive full-resolution map (low %j)', async (lowSize, padded, crop, out) => {
    await tf.setBackend('cpu');
    const numClusters = 10;
    const low = tf.tensor3d(logits(lowSize[0] * lowSize[1] * numClusters, 7), [lowSize[0], lowSize[1], numClusters]);
    const geometry = {
      paddedHeight: padded[0],
      paddedWidth: padded[1],
      cropHeight: crop[0],
      cropWidth: crop[1],
      height: out[0],
      width: out[1],
    };
    const { membership } = clusterMembership(await readLowLogits(low), geometry, { threshold: TAU });
    const naive = await naiveMembership(low, padded, crop, out);
    low.dispose();
    expect(Array.from(membership.pixelCounts)).toEqual(Array.from(naive.pixelCounts));
    expect(Array.from(membership.clusters)).toEqual(Array.from(naive.clusters));
    membership.probSums.forEach((s, k) => expect(s).toBeCloseTo(naive.probSums[k], 3));
    expect(membership.pixelCounts.reduce((a, b) => a + b)).toBeGreaterThan(out[0] * out[1] * 0.5);

    const cp = classProbs(logits(numClusters * 7, 11).map((v, i) => (i % 7 === (i / 7) % 6 ? v + 8 : v)), numClusters);
    const fromStrips = pastePanoptic(membership, cp, CLASSES, POSTPROCESS.ade20k);
    const fromNaive = pastePanoptic(naive, cp, CLASSES, POSTPROCESS.ade20k);
    expect(fromStrips.segments.length).toBeGreaterThan(2);
    expect(Array.from(fromStrips.ids)).toEqual(Array.from(fromNaive.ids));
  });

  it('2000x1500 with K = 128: no kernel runs, the only K-channel tensor is the stride-4 input', async () => {
    await tf.setBackend('wasm');
    const geometry = planResize(1500, 2000, [1281, 1281], 'pytorch');
    const numClusters = 128;
    const lowSize = Math.ceil(1281 / 4);
    const low = tf.tidy(() => tf.mul(tf.randomUniform([lowSize, lowSize, numClusters], -1, 1, 'float32', 3), 16) as tf.Tensor3D);
    // Every cluster confident in one class, so that segments are pasted.
    const classLogits = Float32Array.from({ length: numClusters * 134 }, (_, i) => (i % 134 === (i * 7) % 133 ? 9 : 0));
    const coco = Array.from({ length: 133 }, (_, id) => ({ ...CLASSES[0], id, isThing: id < 80 }));
    const before = tf.memory().numTensors;
    let result: PostProcessResult | undefined;
    const profile = await tf.profile(async () => {
      result = await postprocess(classLogits, low, geometry, coco, POSTPROCESS.coco);
      return [];
    });
    low.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    expect([profile.newTensors, profile.kernels.length]).toEqual([0, 0]);
    expect(result?.panoptic.ids.length).toBe(2000 * 1500);
    expect(result?.panoptic.segments.length).toBeGreaterThan(0);
  });
});
