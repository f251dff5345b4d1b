import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackboneFeatures } from '../backbone/backbone';
import { mulberry32, randomWeights } from '../random-weights';
import type { BackboneFeature, KMaXConfig, PixelDecoderConfig } from '../config';
import { getPreset } from '../presets';
import { WeightReader } from '../weights';
import { KMaXPixelDecoder } from './pixel-decoder';
import { ResizedFuse } from './resized-fuse';

/** A small backbone's widths, and its feature sizes at a 65x97 input. */
const CHANNELS: Record<BackboneFeature, number> = { stem: 2, res2: 8, res3: 12, res4: 16, res5: 24 };
const SIZES: Record<BackboneFeature, [number, number]> = {
  stem: [17, 25],
  res2: [17, 25],
  res3: [9, 13],
  res4: [5, 7],
  res5: [3, 4],
};

function tinyConfig(pixelDecoder: PixelDecoderConfig): KMaXConfig {
  return { ...getPreset('coco-r50'), name: 'tiny', pixelDecoder };
}

const FOUR_STAGES: PixelDecoderConfig = {
  inputs: ['res5', 'res4', 'res3', 'res2'],
  stages: [
    { base: 8, blocks: 1, type: 'axial' },
    { base: 4, blocks: 2, type: 'axial' },
    { base: 4, blocks: 1, type: 'bottleneck' },
    { base: 2, blocks: 1, type: 'bottleneck' },
  ],
  axialHeads: 2,
};

/** Cityscapes-R50-like (spec T13): the stride-4 stem enters before res2. */
const FIVE_STAGES: PixelDecoderConfig = {
  inputs: ['res5', 'res4', 'res3', 'stem', 'res2'],
  stages: [...FOUR_STAGES.stages, { base: 3, blocks: 1, type: 'bottleneck' }],
  axialHeads: 2,
};

function randomFeatures(names: readonly BackboneFeature[], seed: number): BackboneFeatures {
  const random = mulberry32(seed);
  return Object.fromEntries(
    names.map((f) => {
      const [h, w] = SIZES[f];
      const c = CHANNELS[f];
      return [f, tf.tensor4d(Float32Array.from({ length: h * w * c }, () => 4 * random() - 2), [1, h, w, c])];
    }),
  );
}

function buildDecoder(config: KMaXConfig, seed = 1) {
  const make = (w: WeightReader) => new KMaXPixelDecoder(w, config, (f) => CHANNELS[f]);
  const weights = randomWeights(make, seed);
  const reader = new WeightReader(weights);
  const decoder = make(reader);
  reader.finish();
  return { decoder, keys: [...weights.keys()] };
}

describe('KMaXPixelDecoder', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('returns the un-activated stage outputs coarse to fine with 4*base channels, leaking nothing', () => {
    const { decoder } = buildDecoder(tinyConfig(FOUR_STAGES));
    const features = randomFeatures(FOUR_STAGES.inputs, 3);
    tf.dispose(decoder.apply(features)); // first run folds the BatchNorms (kept, not leaked)
    const before = tf.memory().numTensors;
    const outputs = decoder.apply(features);
    expect(tf.memory().numTensors).toBe(before + 4);
    expect(outputs.map((t) => t.shape)).toEqual([
      [1, 3, 4, 32],
      [1, 5, 7, 16],
      [1, 9, 13, 16],
      [1, 17, 25, 8],
    ]);
    // Not activated: a GELU output never goes below -0.17.
    for (const t of outputs) expect(Math.min(...t.dataSync())).toBeLessThan(-0.2);
    tf.dispose(outputs);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(features));
  });

  it('asks for the official key names, with shortcuts only where the channels change', () => {
    const { keys } = buildDecoder(tinyConfig(FOUR_STAGES));
    const p = 'sem_seg_head.pixel_decoder';
    expect(keys).toContain(`${p}._in_norms.3.weight`);
    expect(keys).toContain(`${p}._stages.0._blocks.0._shortcut.conv.weight`); // 24 -> 32
    expect(keys).toContain(`${p}._stages.1._blocks.0._shortcut.conv.weight`); // 4 -> 16
    expect(keys).not.toContain(`${p}._stages.1._blocks.1._shortcut.conv.weight`); // 16 -> 16
    expect(keys).toContain(`${p}._stages.0._blocks.0._attention._height_axis._batch_norm_similarity.running_var`);
    expect(keys).toContain(`${p}._stages.1._blocks.1._attention._width_axis._value_rpe._embeddings.weight`);
    expect(keys).toContain(`${p}._stages.2._blocks.0._conv2_bn_act.conv.weight`);
    expect(keys).toContain(`${p}._resized_fuses.2._conv_bn_high.norm.running_mean`);
  });

  it('runs a 5-stage (Cityscapes R50) decoder whose stem branch is an identity', () => {
    const { decoder, keys } = buildDecoder(tinyConfig(FIVE_STAGES));
    // Fuse 2 merges into the stem, which already has base_3 = 2 channels (T10).
    expect(keys.some((k) => k.includes('_resized_fuses.2._conv_bn_high'))).toBe(false);
    expect(keys).toContain('sem_seg_head.pixel_decoder._resized_fuses.3._conv_bn_high.conv.weight');
    const features = randomFeatures(FIVE_STAGES.inputs, 4);
    const outputs = decoder.apply(features);
    expect(outputs.map((t) => t.shape)).toEqual([
      [1, 3, 4, 32],
      [1, 5, 7, 16],
      [1, 9, 13, 16],
      [1, 17, 25, 8],
      [1, 17, 25, 12],
    ]);
    tf.dispose([...outputs, ...Object.values(features)]);
  });

  it('names a backbone feature it was not given', () => {
    const { decoder } = buildDecoder(tinyConfig(FOUR_STAGES));
    const features = randomFeatures(['res5', 'res4', 'res3'], 5);
    expect(() => decoder.apply(features)).toThrow(/"res2"/);
    tf.dispose(Object.values(features));
  });
});

describe('ResizedFuse', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // Both branches already have the output width: identity, so the output is the resize itself.
  const fuse = new ResizedFuse(new WeightReader(new Map()), 'fuse', 1, 1, 1);
  const resize = (low: number[]) =>
    Array.from(fuse.apply(tf.tensor4d(low, [1, 1, low.length, 1]), tf.zeros([1, 1, 5, 1])).dataSync());

  it('aligns corners when the low-resolution width is odd', () => {
    resize([0, 2, 4]).forEach((v, i) => expect(v).toBeCloseTo([0, 1, 2, 3, 4][i], 5));
  });

  it('uses half-pixel centres when the low-resolution width is even', () => {
    resize([0, 4]).forEach((v, i) => expect(v).toBeCloseTo([0, 0.4, 2, 3.6, 4][i], 5));
  });
});
