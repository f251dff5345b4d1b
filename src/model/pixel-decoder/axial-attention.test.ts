import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, randomWeights } from '../random-weights';
import { BN_EPSILON } from '../layers/batch-norm';
import { withCalibration } from '../layers/calibration';
import { WeightReader } from '../weights';
import { AxialAttention, type AxialAttentionShape } from './axial-attention';
import { AxialLengthError } from './relative-position';

const PREFIX = 'att';
const SHAPE: AxialAttentionShape = { inChannels: 6, keyChannels: 8, valueChannels: 12, heads: 2 };
const BATCH = 3;
const LENGTH = 7;

interface Norm {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

/** Plain-JS reference, one head and one (query, key) pair at a time, straight from spec 3.4. */
function naiveAxialAttention(
  w: Map<string, tf.Tensor>,
  x: Float32Array,
  shape: AxialAttentionShape,
  batch: number,
  length: number,
  calibrate: boolean,
): Float64Array {
  const { inChannels, keyChannels: ck, valueChannels: cv, heads } = shape;
  const dk = ck / heads;
  const dv = cv / heads;
  const data = (key: string) => w.get(`${PREFIX}.${key}`)!.dataSync() as Float32Array;
  const norm = (key: string): Norm => ({
    gamma: data(`${key}.weight`),
    beta: data(`${key}.bias`).slice(),
    mean: data(`${key}.running_mean`).slice(),
    variance: data(`${key}.running_var`).slice(),
  });
  const bn = (n: Norm, c: number, v: number) => ((v - n.mean[c]) / Math.sqrt(n.variance[c] + BN_EPSILON)) * n.gamma[c] + n.beta[c];
  /**
   * Calibration (the reference's rule): per-channel means, one variance mean(x^2) over all
   * channels and values, beta absorbing gamma * mean / sd. `channels[c]` = the values of channel c.
   */
  const calibrateNorm = (n: Norm, channels: number[][]) => {
    let squares = 0;
    let count = 0;
    for (const values of channels) for (const v of values) [squares, count] = [squares + v * v, count + 1];
    channels.forEach((values, c) => {
      n.mean[c] = values.reduce((a, b) => a + b, 0) / values.length;
      n.variance[c] = squares / count;
      n.beta[c] += (n.gamma[c] * n.mean[c]) / Math.sqrt(n.variance[c] + BN_EPSILON);
    });
  };

  // 1. qkv projection + BN.
  const wq = data('qkv_transform.conv.weight'); // [in, 2ck + cv]
  const width = 2 * ck + cv;
  const raw = new Float64Array(batch * length * width);
  for (let p = 0; p < batch * length; p++) {
    for (let c = 0; c < width; c++) {
      let s = 0;
      for (let i = 0; i < inChannels; i++) s += x[p * inChannels + i] * wq[i * width + c];
      raw[p * width + c] = s;
    }
  }
  const qkvNorm = norm('_batch_norm_qkv');
  if (calibrate) {
    calibrateNorm(qkvNorm, Array.from({ length: width }, (_, c) => Array.from({ length: batch * length }, (_, p) => raw[p * width + c])));
  }
  const qkv = raw.map((v, i) => bn(qkvNorm, i % width, v));
  const q = (b: number, l: number, h: number, d: number) => qkv[(b * length + l) * width + h * dk + d];
  const k = (b: number, l: number, h: number, d: number) => qkv[(b * length + l) * width + ck + h * dk + d];
  const v = (b: number, l: number, h: number, d: number) => qkv[(b * length + l) * width + 2 * ck + h * dv + d];
  const tq = data('_query_rpe._embeddings.weight');
  const tk = data('_key_rpe._embeddings.weight');
  const tv = data('_value_rpe._embeddings.weight');
  const row = (l: number, m: number) => m - l + 254;

  // 2-5. Logit terms per (b, h, l, m); BN per (term, head); sum.
  const terms = [0, 1, 2].map(() => new Float64Array(batch * heads * length * length));
  const at = (b: number, h: number, l: number, m: number) => ((b * heads + h) * length + l) * length + m;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let l = 0; l < length; l++) {
        for (let m = 0; m < length; m++) {
          let content = 0;
          let queryRpe = 0;
          let keyRpe = 0;
          for (let d = 0; d < dk; d++) {
            content += q(b, l, h, d) * k(b, m, h, d);
            queryRpe += q(b, l, h, d) * tq[row(l, m) * dk + d];
            keyRpe += k(b, m, h, d) * tk[row(l, m) * dk + d];
          }
          terms[0][at(b, h, l, m)] = content;
          terms[1][at(b, h, l, m)] = queryRpe;
          terms[2][at(b, h, l, m)] = keyRpe;
        }
      }
    }
  }
  const simNorm = norm('_batch_norm_similarity');
  if (calibrate) {
    const channels: number[][] = [];
    for (let t = 0; t < 3; t++) {
      for (let h = 0; h < heads; h++) {
        const values: number[] = [];
        for (let b = 0; b < batch; b++) for (let i = 0; i < length * length; i++) values.push(terms[t][at(b, h, 0, 0) + i]);
        channels.push(values);
      }
    }
    calibrateNorm(simNorm, channels);
  }

  // 6-8. Softmax over keys, retrieval, output BN [content | rpe], sum.
  const contentOut = new Float64Array(batch * length * cv);
  const positionOut = new Float64Array(batch * length * cv);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let l = 0; l < length; l++) {
        const logits = Array.from({ length }, (_, m) =>
          [0, 1, 2].reduce((s, t) => s + bn(simNorm, t * heads + h, terms[t][at(b, h, l, m)]), 0),
        );
        const max = Math.max(...logits);
        const e = logits.map((s) => Math.exp(s - max));
        const total = e.reduce((a, c) => a + c, 0);
        for (let d = 0; d < dv; d++) {
          let c = 0;
          let r = 0;
          for (let m = 0; m < length; m++) {
            c += (e[m] / total) * v(b, m, h, d);
            r += (e[m] / total) * tv[row(l, m) * dv + d];
          }
          contentOut[(b * length + l) * cv + h * dv + d] = c;
          positionOut[(b * length + l) * cv + h * dv + d] = r;
        }
      }
    }
  }
  const outNorm = norm('_batch_norm_retrieved_output');
  if (calibrate) {
    const channel = (out: Float64Array, c: number) => Array.from({ length: batch * length }, (_, p) => out[p * cv + c]);
    calibrateNorm(outNorm, [...Array.from({ length: cv }, (_, c) => channel(contentOut, c)), ...Array.from({ length: cv }, (_, c) => channel(positionOut, c))]);
  }
  return contentOut.map((c, i) => bn(outNorm, i % cv, c) + bn(outNorm, cv + (i % cv), positionOut[i]));
}

function randomInput(seed: number, shape: [number, number, number]): tf.Tensor3D {
  const random = mulberry32(seed);
  return tf.tensor3d(Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => 2 * random() - 1), shape);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

// wasm takes its own kernels (depthwise convs for the batched products), so both run.
describe.each(['cpu', 'wasm'])('AxialAttention on %s', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  const build = (w: WeightReader) => new AxialAttention(w, PREFIX, SHAPE);

  it('matches a naive per-head implementation of spec 3.4', () => {
    const weights = randomWeights(build, 7);
    const attention = build(new WeightReader(weights));
    const x = randomInput(3, [BATCH, LENGTH, SHAPE.inChannels]);
    const expected = naiveAxialAttention(weights, x.dataSync() as Float32Array, SHAPE, BATCH, LENGTH, false);
    attention.apply(x).dispose(); // folds the BatchNorms once; those are kept, not leaked
    const before = tf.memory().numTensors;
    const y = attention.apply(x);
    expect(y.shape).toEqual([BATCH, LENGTH, SHAPE.valueChannels]);
    const actual = y.dataSync();
    const scale = Math.max(...expected.map(Math.abs));
    expect(scale).toBeGreaterThan(0.5);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5 * scale);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('builds its position embeddings once per length: another length replaces them, nothing leaks, results unchanged', async () => {
    const weights = randomWeights(build, 9);
    const attention = build(new WeightReader(weights));
    const long = randomInput(5, [1, LENGTH, SHAPE.inChannels]);
    const short = randomInput(6, [1, LENGTH - 2, SHAPE.inChannels]);
    const first = attention.apply(long);
    const count = tf.memory().numTensors;
    const run = async (x: tf.Tensor3D) => {
      let y: tf.Tensor | undefined;
      const { kernels } = await tf.profile(() => (y = attention.apply(x)));
      const values = (y as tf.Tensor).dataSync();
      (y as tf.Tensor).dispose();
      return { gathers: kernels.filter((k) => k.name === 'GatherV2').length, values };
    };
    const again = await run(long);
    expect(again.gathers).toBe(0);
    expect(maxAbsDiff(again.values, first.dataSync())).toBe(0);
    const other = await run(short);
    expect(other.gathers).toBe(3);
    const expected = naiveAxialAttention(weights, short.dataSync() as Float32Array, SHAPE, 1, LENGTH - 2, false);
    expect(maxAbsDiff(other.values, expected)).toBeLessThan(1e-5 * Math.max(...expected.map(Math.abs)));
    const back = await run(long);
    expect([back.gathers, maxAbsDiff(back.values, first.dataSync())]).toEqual([3, 0]);
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([first, long, short]);
  });

  it('is not symmetric in query and key position (a swapped index would fail)', () => {
    // Guard for the test above: reversing the sequence must not simply reverse the output.
    const weights = randomWeights(build, 8);
    const attention = build(new WeightReader(weights));
    const x = randomInput(4, [1, LENGTH, SHAPE.inChannels]);
    const y = attention.apply(x);
    const yOfReversed = attention.apply(tf.reverse(x, 1));
    expect(maxAbsDiff(tf.reverse(y, 1).dataSync(), yOfReversed.dataSync())).toBeGreaterThan(1e-2);
  });

  it('calibrates every BatchNorm with the (term, head) channel order of T7', async () => {
    const weights = randomWeights(build, 9);
    const attention = build(new WeightReader(weights));
    const x = randomInput(5, [BATCH, LENGTH, SHAPE.inChannels]);
    const expected = naiveAxialAttention(weights, x.dataSync() as Float32Array, SHAPE, BATCH, LENGTH, true);
    const calibrated = await withCalibration(() => attention.apply(x));
    const afterwards = attention.apply(x);
    const scale = Math.max(...expected.map(Math.abs));
    expect(maxAbsDiff(calibrated.dataSync(), expected)).toBeLessThan(1e-4 * scale);
    expect(maxAbsDiff(afterwards.dataSync(), expected)).toBeLessThan(1e-4 * scale);
  });

  it('names the limit when a sequence is longer than 255', () => {
    const attention = build(new WeightReader(randomWeights(build, 10)));
    const x = tf.zeros([1, 256, SHAPE.inChannels]) as tf.Tensor3D;
    expect(() => attention.apply(x)).toThrow(AxialLengthError);
    x.dispose();
  });
});
