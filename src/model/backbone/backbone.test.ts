import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AxialResNetConfig, BackboneConfig, BackboneFeature, ConvNeXtConfig, ResNetConfig } from '../config';
import { LN_EPSILON } from '../layers/layer-norm';
import { WeightReader, WeightsMismatchError } from '../weights';
import { createBackbone, type Backbone } from './backbone';
import { mulberry32, randomWeights } from '../random-weights';

const ALL: readonly BackboneFeature[] = ['stem', 'res2', 'res3', 'res4', 'res5'];

const RESNET: Omit<ResNetConfig, 'variant'> = {
  type: 'resnet',
  stemChannels: 8,
  depths: [1, 2, 1, 1],
  bottleneckChannels: [4, 8, 8, 16],
  outChannels: [16, 32, 48, 64],
};
const CONVNEXT: ConvNeXtConfig = { type: 'convnext', depths: [1, 1, 2, 1], dims: [8, 16, 16, 32] };
const AXIAL_RESNET: AxialResNetConfig = {
  type: 'axial-resnet',
  stemChannels: [4, 8],
  depths: [1, 1, 2, 2],
  bases: [4, 8, 12, 16],
  axialHeads: 4,
  axialFromStride: 16,
};

function build(config: BackboneConfig, wanted: readonly BackboneFeature[], seed = 1): Backbone {
  const make = (w: WeightReader) => createBackbone(config, w, wanted);
  const reader = new WeightReader(randomWeights(make, seed));
  const backbone = make(reader);
  reader.finish();
  return backbone;
}

function randomImage(height: number, width: number, seed = 2): tf.Tensor4D {
  const random = mulberry32(seed);
  return tf.tensor4d(Float32Array.from({ length: height * width * 3 }, () => 2 * random() - 1), [1, height, width, 3]);
}

function shapes(features: Partial<Record<BackboneFeature, tf.Tensor4D>>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(features).map(([name, t]) => [name, t.shape]));
}

describe('backbones at a 65x97 input (32k+1 by 32k+1: every stride-s map is ceil(n/s))', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('ResNet, detectron2 variant: stem after the max-pool at stride 4', () => {
    const backbone = build({ ...RESNET, variant: 'pytorch' }, ALL);
    const x = randomImage(65, 97);
    const features = backbone.apply(x);
    expect(shapes(features)).toEqual({
      stem: [1, 17, 25, 8],
      res2: [1, 17, 25, 16],
      res3: [1, 9, 13, 32],
      res4: [1, 5, 7, 48],
      res5: [1, 3, 4, 64],
    });
    // Post-ReLU endpoints.
    for (const t of Object.values(features)) expect(tf.min(t).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(ALL.map((f) => backbone.channels(f))).toEqual([8, 16, 32, 48, 64]);
  });

  it('ResNet, deeplab2 variant: stem at stride 2, pre-activation endpoints', () => {
    const backbone = build({ ...RESNET, variant: 'tf' }, ALL);
    const features = backbone.apply(randomImage(65, 97));
    expect(shapes(features)).toEqual({
      stem: [1, 33, 49, 8],
      res2: [1, 17, 25, 16],
      res3: [1, 9, 13, 32],
      res4: [1, 5, 7, 48],
      res5: [1, 3, 4, 64],
    });
    for (const t of Object.values(features)) expect(tf.min(t).dataSync()[0]).toBeLessThan(0);
  });

  it('ConvNeXt: stem = downsample 0 at stride 4', () => {
    const backbone = build(CONVNEXT, ALL);
    const features = backbone.apply(randomImage(65, 97));
    expect(shapes(features)).toEqual({
      stem: [1, 17, 25, 8],
      res2: [1, 17, 25, 8],
      res3: [1, 9, 13, 16],
      res4: [1, 5, 7, 16],
      res5: [1, 3, 4, 32],
    });
    expect(ALL.map((f) => backbone.channels(f))).toEqual([8, 8, 16, 16, 32]);
  });

  it('Axial-ResNet (MaX-S): Inception stem at stride 2, strided axial res5, pre-activation endpoints', () => {
    const backbone = build(AXIAL_RESNET, ALL);
    const features = backbone.apply(randomImage(65, 97));
    expect(shapes(features)).toEqual({
      stem: [1, 33, 49, 8],
      res2: [1, 17, 25, 16],
      res3: [1, 9, 13, 32],
      res4: [1, 5, 7, 48],
      res5: [1, 3, 4, 64],
    });
    for (const t of Object.values(features)) expect(tf.min(t).dataSync()[0]).toBeLessThan(0);
    expect(ALL.map((f) => backbone.channels(f))).toEqual([8, 16, 32, 48, 64]);
  });

  for (const config of [{ ...RESNET, variant: 'pytorch' } as const, { ...RESNET, variant: 'tf' } as const, CONVNEXT, AXIAL_RESNET]) {
    it(`returns only the wanted features and leaks nothing (${config.type} ${'variant' in config ? config.variant : ''})`, () => {
      const backbone = build(config, ['res3', 'res2']);
      const x = randomImage(33, 33);
      tf.dispose(Object.values(backbone.apply(x))); // first run folds the BatchNorms (kept, not leaked)
      const before = tf.memory().numTensors;
      const features = backbone.apply(x);
      expect(Object.keys(features).sort()).toEqual(['res2', 'res3']);
      expect(tf.memory().numTensors).toBe(before + 2);
      tf.dispose(Object.values(features));
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  }

  it('reports a wrong checkpoint key by key', () => {
    const config: ResNetConfig = { ...RESNET, variant: 'pytorch' };
    const weights = randomWeights((w) => createBackbone(config, w, ALL));
    weights.delete('backbone.res3.0.shortcut.weight');
    weights.set('backbone.res4.0.conv2.weight', tf.zeros([3, 3, 8, 9]));
    const reader = new WeightReader(weights);
    createBackbone(config, reader, ALL);
    expect(() => reader.finish()).toThrow(WeightsMismatchError);
    try {
      reader.finish();
    } catch (e) {
      const problems = (e as WeightsMismatchError).problems;
      expect(problems).toContainEqual({ kind: 'missing', key: 'backbone.res3.0.shortcut.weight', expected: [1, 1, 16, 32] });
      expect(problems).toContainEqual({
        kind: 'shape',
        key: 'backbone.res4.0.conv2.weight',
        expected: [3, 3, 8, 8],
        actual: [3, 3, 8, 9],
      });
    }
  });
});

describe('ConvNeXt downsampling (spec 3.3, T14)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // No blocks: stem = downsample 0 = res2, and res3 = downsample 1 (res2).
  const bare: ConvNeXtConfig = { type: 'convnext', depths: [0, 0, 0, 0], dims: [3, 2, 2, 2] };

  it('stem pads 1 top/left and 2 bottom/right before the 4x4/4 conv, then LN', () => {
    const make = (w: WeightReader) => createBackbone(bare, w, ['stem']);
    const weights = randomWeights(make, 11);
    const x = randomImage(9, 5, 12); // -> ceil(9/4) x ceil(5/4) = 3 x 2
    const stem = make(new WeightReader(weights)).apply(x).stem!;
    expect(stem.shape).toEqual([1, 3, 2, 3]);

    const w = weights.get('backbone.downsample_layers.0.0.weight')!.dataSync(); // [4,4,3,3]
    const b = weights.get('backbone.downsample_layers.0.0.bias')!.dataSync();
    const input = x.dataSync();
    const pixel = (i: number, j: number, c: number) => (i < 0 || j < 0 || i >= 9 || j >= 5 ? 0 : input[(i * 5 + j) * 3 + c]);
    const conv = (oi: number, oj: number) =>
      Array.from({ length: 3 }, (_, o) => {
        let s = b[o];
        for (let ki = 0; ki < 4; ki++)
          for (let kj = 0; kj < 4; kj++)
            for (let c = 0; c < 3; c++) s += pixel(4 * oi - 1 + ki, 4 * oj - 1 + kj, c) * w[((ki * 4 + kj) * 3 + c) * 3 + o];
        return s;
      });
    const ln = layerNorm(weights, 'backbone.downsample_layers.0.1');
    const actual = stem.dataSync();
    for (const [oi, oj] of [[0, 0], [2, 1], [1, 0]]) {
      const expected = ln(conv(oi, oj));
      for (let o = 0; o < 3; o++) expect(actual[(oi * 2 + oj) * 3 + o]).toBeCloseTo(expected[o], 4);
    }
  });

  it('downsample 1 pads before its LayerNorm, so padded cells enter the conv as the LN bias', () => {
    const make = (w: WeightReader) => createBackbone(bare, w, ['res2', 'res3']);
    const weights = randomWeights(make, 13);
    const { res2, res3 } = make(new WeightReader(weights)).apply(randomImage(9, 9, 14)); // res2 3x3 -> res3 2x2
    expect(res2!.shape).toEqual([1, 3, 3, 3]);
    expect(res3!.shape).toEqual([1, 2, 2, 2]);

    const prev = res2!.dataSync();
    const ln = layerNorm(weights, 'backbone.downsample_layers.1.0');
    const w = weights.get('backbone.downsample_layers.1.1.weight')!.dataSync(); // [2,2,3,2]
    const b = weights.get('backbone.downsample_layers.1.1.bias')!.dataSync();
    const lnBias = Array.from(weights.get('backbone.downsample_layers.1.0.bias')!.dataSync());
    // Output (1,1) covers input rows/cols 2..3: row/col 3 is padding.
    const bottomRight = (padValue: number[]) =>
      Array.from({ length: 2 }, (_, o) => {
        let s = b[o];
        for (let ki = 0; ki < 2; ki++)
          for (let kj = 0; kj < 2; kj++) {
            const [i, j] = [2 + ki, 2 + kj];
            const v = i < 3 && j < 3 ? ln(Array.from(prev.slice((i * 3 + j) * 3, (i * 3 + j) * 3 + 3))) : padValue;
            for (let c = 0; c < 3; c++) s += v[c] * w[((ki * 2 + kj) * 3 + c) * 2 + o];
          }
        return s;
      });
    const padThenNorm = bottomRight(lnBias);
    const normThenPad = bottomRight([0, 0, 0]);
    const actual = Array.from(res3!.dataSync().slice(6, 8));
    for (let o = 0; o < 2; o++) expect(actual[o]).toBeCloseTo(padThenNorm[o], 4);
    expect(Math.max(...actual.map((a, o) => Math.abs(a - normThenPad[o])))).toBeGreaterThan(1e-2);
  });
});

/** LayerNorm over one pixel's channels, in plain JS. */
function layerNorm(weights: Map<string, tf.Tensor>, prefix: string): (v: number[]) => number[] {
  const gamma = weights.get(`${prefix}.weight`)!.dataSync();
  const beta = weights.get(`${prefix}.bias`)!.dataSync();
  return (v) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    return v.map((x, c) => ((x - mean) / Math.sqrt(variance + LN_EPSILON)) * gamma[c] + beta[c]);
  };
}
