import * as tf from '@tensorflow/tfjs-core';
import type { KMaXConfig } from './config';
import { withCalibration } from './layers/calibration';
import { KMaXDeepLab } from './meta-arch/kmax-deeplab';
import { WeightsMismatchError } from './weights';
import type { HostTensor } from '../loading/model-folder';

/**
 * A randomly initialised model of any variant (`kmax init`), for benchmarks and
 * tests. BatchNorm statistics are then calibrated on the activations of a smooth
 * synthetic image, so every activation stays O(1) and the k-means argmax is not
 * chaotic (a random model with unit statistics blows up within a few blocks).
 */
export async function initRandomModel(config: KMaXConfig, seed = 0): Promise<Map<string, HostTensor>> {
  const random = new Random(seed);
  const variables = new Map<string, tf.Variable>();
  for (const { key, shape } of expectedWeights(config)) {
    variables.set(key, tf.variable(tf.tensor(initialValues(key, shape, random), [...shape]), false, `init/${key}`));
  }
  const model = new KMaXDeepLab(config, variables);
  const [h, w] = config.inputSize;
  const input = tf.tidy(() => syntheticInput(h, w, random));
  await withCalibration(() => {
    const out = model.forward(input, { attention: 'kmeans' });
    tf.dispose([out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
  });
  input.dispose();
  const host = new Map<string, HostTensor>();
  for (const [key, v] of variables) host.set(key, { shape: v.shape, data: v.dataSync() as Float32Array });
  model.dispose();
  tf.dispose([...variables.values()]);
  return host;
}

/** Every weight the variant needs, with its engine-layout shape, read off the model itself. */
export function expectedWeights(config: KMaXConfig): { key: string; shape: readonly number[] }[] {
  try {
    new KMaXDeepLab(config, new Map()).dispose();
  } catch (e) {
    if (e instanceof WeightsMismatchError) {
      return e.problems.map((p) => ({ key: p.key, shape: p.expected ?? [] }));
    }
    throw e;
  }
  return [];
}

/** Per-role initial values: unit BN statistics (calibrated later), He-style filters. */
function initialValues(key: string, shape: readonly number[], random: Random): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const fill = (f: () => number) => {
    for (let i = 0; i < n; i++) out[i] = f();
  };
  if (key.endsWith('.running_mean')) return out;
  if (key.endsWith('.running_var')) return out.fill(1);
  if (key.endsWith('._embeddings.weight') || key.endsWith('_cluster_centers.weight')) {
    fill(() => random.normal());
  } else if (shape.length === 1 && (key.endsWith('.weight') || key.endsWith('.gamma'))) {
    fill(() => 0.75 + 0.5 * random.uniform());
  } else if (shape.length === 1) {
    fill(() => 0.05 * random.normal());
  } else {
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const std = 1 / Math.sqrt(fanIn);
    fill(() => std * random.normal());
  }
  return out;
}

/** A smooth colour field with a few blobs, normalised like a real input. */
function syntheticInput(h: number, w: number, random: Random): tf.Tensor4D {
  const data = new Float32Array(h * w * 3);
  const blobs = Array.from({ length: 6 }, () => ({
    y: random.uniform() * h,
    x: random.uniform() * w,
    r: (0.1 + 0.2 * random.uniform()) * Math.max(h, w),
    c: [random.uniform() * 2 - 1, random.uniform() * 2 - 1, random.uniform() * 2 - 1],
  }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < 3; k++) {
        let v = 0.6 * Math.sin((x / w) * 3 + k) * Math.cos((y / h) * 2 - k);
        for (const b of blobs) if ((y - b.y) ** 2 + (x - b.x) ** 2 < b.r * b.r) v = b.c[k];
        data[(y * w + x) * 3 + k] = Math.max(-1, Math.min(1, v + 0.05 * random.normal()));
      }
    }
  }
  return tf.tensor4d(data, [1, h, w, 3]);
}

/** mulberry32: deterministic across runs and backends. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = Math.max(this.uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}
