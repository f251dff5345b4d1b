import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { planResize } from '../preprocess/resize-plan';
import { semanticLabels } from './semantic';

/** Deterministic pseudo-random values in [-4, 4). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 8 - 4;
  });
}

describe('semanticLabels', () => {
  it('strips of 3 rows equal argmax_c of Pc^T softmax(resized logits) on the whole map', async () => {
    await tf.setBackend('cpu');
    const [numClusters, numClasses] = [10, 6];
    const low = tf.tensor3d(values(11 * 17 * numClusters, 7), [11, 17, numClusters]);
    const classProbs = tf.softmax(tf.tensor2d(values(numClusters * numClasses, 3), [numClusters, numClasses])) as tf.Tensor2D;
    const geometry = { paddedHeight: 41, paddedWidth: 65, cropHeight: 40, cropWidth: 65, height: 60, width: 97 };
    const labels = await semanticLabels(low, geometry, classProbs, 3 * 65 * numClusters);
    const naive = tf.tidy(() => {
      const up = tf.image.resizeBilinear(low, [41, 65], true);
      const probs = tf.softmax(tf.image.resizeBilinear(tf.slice(up, [0, 0, 0], [40, 65, numClusters]), [60, 97], true));
      return tf.argMax(tf.matMul(tf.reshape(probs, [-1, numClusters]), classProbs), 1);
    });
    const expected = (await naive.data()) as Int32Array;
    tf.dispose([low, classProbs, naive]);
    expect(Array.from(labels)).toEqual(Array.from(expected));
    expect(new Set(labels).size).toBeGreaterThan(3);
  });

  it('2000x1500 with K = 128: peak tensor memory stays far below K x H x W float32', async () => {
    await tf.setBackend('wasm');
    const geometry = planResize(1500, 2000, [1281, 1281], 'pytorch');
    const numClusters = 128;
    const low = tf.tidy(() => tf.mul(tf.randomUniform([321, 321, numClusters], -1, 1, 'float32', 3), 4) as tf.Tensor3D);
    // Few classes keep the per-pixel product cheap; memory is set by the K-channel strips.
    const classProbs = tf.softmax(tf.randomUniform([numClusters, 4], -1, 1, 'float32', 5)) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const inputBytes = tf.memory().numBytes;
    let labels: Int32Array = new Int32Array();
    const profile = await tf.profile(async () => {
      labels = await semanticLabels(low, geometry, classProbs);
      return [];
    });
    tf.dispose([low, classProbs]);
    expect(tf.memory().numTensors).toBe(before - 2);
    const fullResolution = numClusters * 2000 * 1500 * 4;
    const working = profile.peakBytes - inputBytes;
    console.log(`peak ${(profile.peakBytes / 2 ** 20).toFixed(1)} MiB (input ${(inputBytes / 2 ** 20).toFixed(1)} MiB) vs ${(fullResolution / 2 ** 20).toFixed(0)} MiB`);
    expect(labels.length).toBe(2000 * 1500);
    expect(working).toBeLessThan(fullResolution / 20);
    expect(working).toBeGreaterThan(0);
  });
});
