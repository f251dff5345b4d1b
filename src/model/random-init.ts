import * as tf from '@tensorflow/tfjs-core';
import type { KMaXConfig } from './config';
import { withCalibration } from './layers/calibration';
import { declareWeights, KMaXDeepLab } from './meta-arch/kmax-deeplab';
import { mulberry32, randomWeights } from './random-weights';
import type { HostTensor } from './weights';

/**
 * Bumped when the same seed gives other weights, so caches of random models (the peer
 * benchmark's) are remade. 2: BatchNorm calibration as the reference's (shared variance).
 */
export const RANDOM_INIT_REVISION = 2;

/**
 * A randomly initialised model of any variant (`kmax init`), for benchmarks and
 * tests. BatchNorm statistics are then calibrated on the activations of a smooth
 * synthetic image, so every activation stays O(1) and the k-means argmax is not
 * chaotic (with unit statistics a random model blows up within a few blocks).
 */
export async function initRandomModel(config: KMaXConfig, seed = 0): Promise<Map<string, HostTensor>> {
  const drawn = randomWeights((w) => declareWeights(config, w), seed);
  // Variables, so BatchNorm calibration assigns the statistics in place.
  const variables = new Map<string, tf.Variable>();
  for (const [key, t] of drawn) {
    variables.set(key, tf.variable(t, false, `init/${key}`));
    t.dispose();
  }
  const model = new KMaXDeepLab(config, variables);
  const [h, w] = config.inputSize;
  const input = syntheticInput(h, w, mulberry32(seed + 1));
  await withCalibration(() => {
    const out = model.forward(input, { attention: 'kmeans' });
    tf.dispose([out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
  });
  input.dispose();
  const host = new Map<string, HostTensor>();
  for (const [key, v] of variables) host.set(key, { shape: v.shape, data: v.dataSync() as Float32Array });
  model.dispose();
  return host;
}

/** A smooth colour field with a few flat blobs, normalised like a real input. */
function syntheticInput(h: number, w: number, random: () => number): tf.Tensor4D {
  const data = new Float32Array(h * w * 3);
  const blobs = Array.from({ length: 6 }, () => ({
    y: random() * h,
    x: random() * w,
    r: (0.1 + 0.2 * random()) * Math.max(h, w),
    c: [random() * 2 - 1, random() * 2 - 1, random() * 2 - 1],
  }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < 3; k++) {
        let v = 0.6 * Math.sin((x / w) * 3 + k) * Math.cos((y / h) * 2 - k);
        for (const b of blobs) if ((y - b.y) ** 2 + (x - b.x) ** 2 < b.r * b.r) v = b.c[k];
        data[(y * w + x) * 3 + k] = Math.max(-1, Math.min(1, v + 0.1 * (random() - 0.5)));
      }
    }
  }
  return tf.tensor4d(data, [1, h, w, 3]);
}
