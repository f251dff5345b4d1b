import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttentionMode } from './attention-mode';
import type { KMaXConfig } from '../config';
import { PRESETS } from '../presets';
import { WeightReader } from '../weights';
import { KMaXTransformerLayer } from './kmax-layer';
import { voidPrior } from './predictor';
import { randomWeights } from '../random-weights';

const PREFIX = 'layer';
const CONFIG: KMaXConfig = {
  ...PRESETS['coco-r50'],
  numClasses: 4,
  transformerDecoder: {
    numClusters: 6,
    queryChannels: 12,
    bottleneckChannels: 10,
    keyChannels: 8,
    valueChannels: 12,
    heads: 4,
    ffnChannels: 14,
    layersPerStage: [1],
  },
  predictor: { headChannels: 6, embeddingChannels: 5 },
};
const [PIXEL_C, H, W] = [7, 3, 4];
const d = CONFIG.transformerDecoder;

type Matrix = number[][];

/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
const gelu = (x: Matrix): Matrix => x.map((r) => r.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))));
const add = (a: Matrix, b: Matrix): Matrix => a.map((r, i) => r.map((v, j) => v + b[i][j]));
const matMul = (a: Matrix, b: Matrix): Matrix => a.map((r) => b[0].map((_, j) => r.reduce((s, v, i) => s + v * b[i][j], 0)));
const transpose = (a: Matrix): Matrix => a[0].map((_, j) => a.map((r) => r[j]));
const softmaxRows = (a: Matrix): Matrix =>
  a.map((r) => {
    const m = Math.max(...r);
    const e = r.map((v) => Math.exp(v - m));
    const s = e.reduce((x, y) => x + y, 0);
    return e.map((v) => v / s);
  });
/** Mask2Former's masked attention as A [pixels, K]: each column's spatial softmax over its foreground (all pixels if empty). */
const maskedColumns = (logits: Matrix): Matrix => {
  const probabilities = softmaxRows(logits);
  const perCluster = transpose(logits).map((column, k) => {
    const inMask = probabilities.map((r) => r[k] >= 0.5);
    const foreground = inMask.some(Boolean) ? inMask : inMask.map(() => true);
    const [weights] = softmaxRows([column.filter((_, p) => foreground[p])]);
    let next = 0;
    return foreground.map((f) => (f ? weights[next++] : 0));
  });
  return transpose(perCluster);
};

describe('KMaXTransformerLayer', () => {
  let tensors: Map<string, tf.Tensor>;
  let layer: KMaXTransformerLayer;
  const js = (key: string): Matrix => {
    const t = tensors.get(`${PREFIX}.${key}`);
    if (t === undefined) throw new Error(`no ${key}`);
    // 1x1 conv filters [1, 1, in, out] and Conv1d [in, out] alike as [in, out]; 1-D as one row.
    return tf.tidy(() => tf.reshape(t, [-1, t.shape[t.rank - 1]]).arraySync() as Matrix);
  };
  const bn = (x: Matrix, key: string): Matrix => {
    const [g, b, m, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((leaf) => js(`${key}.${leaf}`)[0]);
    return x.map((r) => r.map((x, c) => ((x - m[c]) / Math.sqrt(v[c] + 1e-3)) * g[c] + b[c]));
  };
  const convBN = (x: Matrix, key: string): Matrix => {
    return bn(matMul(x, js(`${key}.conv.weight`)), `${key}.norm`);
  };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    tensors = randomWeights((r) => new KMaXTransformerLayer(r, PREFIX, PIXEL_C, CONFIG), 5);
    const reader = new WeightReader(tensors);
    layer = new KMaXTransformerLayer(reader, PREFIX, PIXEL_C, CONFIG);
    reader.finish();
  });
  afterAll(() => {
    layer.dispose();
    tf.dispose([...tensors.values()]);
  });

  /** Spec 3.5 steps 1-10 in plain JS, taking the (separately tested) predictor's mask logits. */
  function reference(z: Matrix, f: Matrix, maskLogits: Matrix, mode: AttentionMode): { centres: Matrix; classLogits: Matrix } {
    const p = gelu(convBN(gelu(f), '_pixel_conv1_bn_act'));
    const q = gelu(convBN(z, '_query_conv1_bn_act'));
    const v = convBN(p, '_pixel_v_conv_bn');
    const classW = js('_predcitor._transformer_class_head.conv.weight');
    const classB = js('_predcitor._transformer_class_head.conv.bias')[0];
    const classLogits = matMul(q, classW).map((r) => r.map((x, c) => x + classB[c] + (c === CONFIG.numClasses ? voidPrior(CONFIG.numClasses) : 0)));
    // A as [pixels, K].
    const a =
      mode === 'kmeans'
        ? maskLogits.map((r) => r.map((x) => (x === Math.max(...r) ? 1 : 0)))
        : mode === 'cluster-softmax'
          ? softmaxRows(maskLogits)
          : mode === 'masked'
            ? maskedColumns(maskLogits)
            : transpose(softmaxRows(transpose(maskLogits)));
    const u = convBN(bn(matMul(transpose(a), v), '_kmeans_query_batch_norm_retrieved_value'), '_kmeans_query_conv3_bn');
    const qkv = convBN(q, '_query_qkv_conv_bn');
    const [dk, dv] = [d.keyChannels / d.heads, d.valueChannels / d.heads];
    const simBN = ['weight', 'bias', 'running_mean', 'running_var'].map((l) => js(`_query_self_attention._batch_norm_similarity.${l}`)[0]);
    const retrieved: Matrix = q.map(() => []);
    for (let h = 0; h < d.heads; h++) {
      const qh = qkv.map((r) => r.slice(h * dk, h * dk + dk));
      const kh = qkv.map((r) => r.slice(d.keyChannels + h * dk, d.keyChannels + h * dk + dk));
      const vh = qkv.map((r) => r.slice(2 * d.keyChannels + h * dv, 2 * d.keyChannels + h * dv + dv));
      const [g, b, m, s2] = simBN.map((x) => x[h]);
      const weights = softmaxRows(matMul(qh, transpose(kh)).map((r) => r.map((x) => ((x - m) / Math.sqrt(s2 + 1e-3)) * g + b)));
      matMul(weights, vh).forEach((r, i) => retrieved[i].push(...r));
    }
    const r = convBN(gelu(bn(retrieved, '_query_self_attention._batch_norm_retrieved_value')), '_query_conv3_bn');
    const joined = gelu(add(add(z, u), r));
    const ffn = convBN(gelu(convBN(joined, '_query_ffn_conv1_bn_act')), '_query_ffn_conv2_bn');
    return { centres: gelu(add(joined, ffn)), classLogits };
  }

  for (const mode of ['kmeans', 'softmax', 'masked', 'cluster-softmax'] as const) {
    it(`${mode}: centres and class logits match spec 3.5 in plain JS`, async () => {
      const z = tf.randomNormal([d.numClusters, d.queryChannels], 0, 1, 'float32', 8) as tf.Tensor2D;
      const f = tf.randomNormal([1, H, W, PIXEL_C], 0, 1, 'float32', 9) as tf.Tensor4D;
      const out = layer.apply(z, f, mode);
      expect(out.centres.shape).toEqual([d.numClusters, d.queryChannels]);
      expect(out.prediction.maskLogits.shape).toEqual([H, W, d.numClusters]);
      const maskLogits = (await tf.reshape(out.prediction.maskLogits, [H * W, d.numClusters]).array()) as Matrix;
      const want = reference((await z.array()) as Matrix, (await tf.reshape(f, [H * W, PIXEL_C]).array()) as Matrix, maskLogits, mode);
      const got = (await out.centres.array()) as Matrix;
      const scale = Math.max(...want.centres.flat().map(Math.abs));
      got.flat().forEach((x, i) => expect(Math.abs(x - want.centres.flat()[i])).toBeLessThan(1e-4 * scale));
      ((await out.prediction.classLogits.array()) as Matrix).flat().forEach((x, i) => expect(x).toBeCloseTo(want.classLogits.flat()[i], 4));
      tf.dispose([z, f, out.centres, out.prediction.classLogits, out.prediction.maskLogits, out.prediction.pixelEmbedding]);
    });
  }

  it('needs every key: centre self-attention BN has one channel per head', () => {
    expect(tensors.get(`${PREFIX}._query_self_attention._batch_norm_similarity.weight`)?.shape).toEqual([d.heads]);
    expect(tensors.get(`${PREFIX}._query_qkv_conv_bn.conv.weight`)?.shape).toEqual([10, 2 * 8 + 12]);
    expect(tensors.get(`${PREFIX}._pixel_conv1_bn_act.conv.weight`)?.shape).toEqual([1, 1, PIXEL_C, 10]);
    // pixel/query/value convs 3x5, predictor 27, k-means BN + conv 9, qkv 5, attention BNs 8, conv3 5, FFN 10.
    expect(tensors.size).toBe(79);
  });
});
