import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KMaXConfig } from '../config';
import { PRESETS } from '../presets';
import { WeightReader } from '../weights';
import { KMaXPredictor, voidPrior } from './predictor';
import { randomWeights } from '../random-weights';

const PREFIX = 'p._predcitor';
const CONFIG: KMaXConfig = { ...PRESETS['coco-r50'], numClasses: 6, predictor: { headChannels: 12, embeddingChannels: 8 } };
const [PIXEL_C, EMBED_C, K, H, W] = [10, 16, 5, 4, 7];

function build(tensors: Map<string, tf.Tensor>): KMaXPredictor {
  const reader = new WeightReader(tensors);
  const predictor = new KMaXPredictor(reader, PREFIX, PIXEL_C, EMBED_C, CONFIG);
  reader.finish();
  return predictor;
}

describe('KMaXPredictor', () => {
  let tensors: Map<string, tf.Tensor>;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tensors = randomWeights((r) => new KMaXPredictor(r, PREFIX, PIXEL_C, EMBED_C, CONFIG));
  });
  afterAll(() => tf.dispose([...tensors.values()]));

  it('void prior is ln(9C) (spec T1)', () => {
    expect(voidPrior(133)).toBeCloseTo(7.087574, 6);
    expect(voidPrior(19)).toBeCloseTo(5.141664, 6);
    expect(voidPrior(150)).toBeCloseTo(7.20786, 5);
  });

  it('takes the upstream key names and shapes', () => {
    expect(tensors.get(`${PREFIX}._pixel_space_head_conv0bnact.conv.weight`)?.shape).toEqual([5, 5, PIXEL_C, 1]);
    expect(tensors.get(`${PREFIX}._pixel_space_head_last_convbn.conv.bias`)?.shape).toEqual([8]);
    expect(tensors.get(`${PREFIX}._transformer_class_head.conv.weight`)?.shape).toEqual([EMBED_C, 7]);
    expect(tensors.get(`${PREFIX}._pixel_space_mask_batch_norm.running_var`)?.shape).toEqual([1]);
    expect(tensors.has(`${PREFIX}._transformer_class_head.norm.weight`)).toBe(false);
  });

  it('adds the void prior to the last class logit only, on top of the bias', async () => {
    const zero = new Map(tensors);
    zero.set(`${PREFIX}._transformer_class_head.conv.weight`, tf.zeros([EMBED_C, 7]));
    zero.set(`${PREFIX}._transformer_class_head.conv.bias`, tf.tensor1d([0, 0.5, 0, 0, 0, 0, 1]));
    const predictor = build(zero);
    const out = predictor.apply(tf.randomNormal([1, H, W, PIXEL_C]), tf.randomNormal([K, EMBED_C]), tf.randomNormal([K, EMBED_C]));
    const rows = (await out.classLogits.array()) as number[][];
    expect(rows).toHaveLength(K);
    for (const row of rows) {
      expect(row.slice(0, 6)).toEqual([0, 0.5, 0, 0, 0, 0]);
      expect(row[6]).toBeCloseTo(1 + Math.log(54), 5);
    }
  });

  it('mask logits = scalar BN(<unit pixel embedding, BN(mask head)>), sign of gamma kept (spec T16)', async () => {
    const flipped = new Map(tensors);
    const bn = `${PREFIX}._pixel_space_mask_batch_norm`;
    const [gamma, beta, mean, variance] = [-0.7, 0.3, 0.2, 1.9];
    flipped.set(`${bn}.weight`, tf.tensor1d([gamma]));
    flipped.set(`${bn}.bias`, tf.tensor1d([beta]));
    flipped.set(`${bn}.running_mean`, tf.tensor1d([mean]));
    flipped.set(`${bn}.running_var`, tf.tensor1d([variance]));
    const predictor = build(flipped);
    const maskEmbedding = tf.randomNormal([K, EMBED_C], 0, 1, 'float32', 3) as tf.Tensor2D;
    const out = predictor.apply(tf.randomNormal([1, H, W, PIXEL_C], 0, 1, 'float32', 4), maskEmbedding, maskEmbedding);
    expect(out.maskLogits.shape).toEqual([H, W, K]);
    expect(out.pixelEmbedding.shape).toEqual([H, W, 8]);

    const embedding = (await out.pixelEmbedding.array()) as number[][][];
    for (const v of embedding.flat()) expect(Math.hypot(...v)).toBeCloseTo(1, 5);

    // Mask kernels in plain JS: Conv1d (no bias) then BN.
    const head = `${PREFIX}._transformer_mask_head`;
    const w = (await flipped.get(`${head}.conv.weight`)!.array()) as number[][];
    const [g, b, m, s2] = await Promise.all(
      ['weight', 'bias', 'running_mean', 'running_var'].map(async (leaf) => Array.from(await flipped.get(`${head}.norm.${leaf}`)!.data())),
    );
    const e = (await maskEmbedding.array()) as number[][];
    const kernels = e.map((row) =>
      Array.from({ length: 8 }, (_, o) => {
        const x = row.reduce((sum, xi, i) => sum + xi * w[i][o], 0);
        return ((x - m[o]) / Math.sqrt(s2[o] + 1e-3)) * g[o] + b[o];
      }),
    );
    const logits = (await out.maskLogits.array()) as number[][][];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let k = 0; k < K; k++) {
          const dot = embedding[y][x].reduce((sum, v, c) => sum + v * kernels[k][c], 0);
          expect(logits[y][x][k]).toBeCloseTo(((dot - mean) / Math.sqrt(variance + 1e-3)) * gamma + beta, 4);
        }
      }
    }
  });

  it('leaves no tensors behind but its outputs', () => {
    const predictor = build(tensors);
    const inputs = [tf.randomNormal([1, H, W, PIXEL_C]), tf.randomNormal([K, EMBED_C])] as const;
    predictor.apply(inputs[0] as tf.Tensor4D, inputs[1] as tf.Tensor2D, inputs[1] as tf.Tensor2D); // folds the BNs once
    const before = tf.memory().numTensors;
    const out = predictor.apply(inputs[0] as tf.Tensor4D, inputs[1] as tf.Tensor2D, inputs[1] as tf.Tensor2D);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([out.classLogits, out.maskLogits, out.pixelEmbedding]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
