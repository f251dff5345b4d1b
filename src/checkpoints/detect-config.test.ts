import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { declareWeights } from '../model/meta-arch/kmax-deeplab';
import { PRESETS } from '../model/presets';
import { WeightReader, WeightsMismatchError } from '../model/weights';
import { detectConfig, type ShapeOf } from './detect-config';
import { isIgnoredPytorchKey, pytorchKeyRule } from './key-maps/pytorch';
import { officialKeys } from './testdata/official-keys';

type Shapes = Map<string, ShapeOf>;

/** Engine-layout shapes of an official checkpoint's inference keys (what detectConfig reads). */
function shapesOf(file: 'kmax_r50_keys.json' | 'kmax_convnext_tiny_keys.json'): Shapes {
  const inference = [...officialKeys(file)].filter(([k]) => !isIgnoredPytorchKey(k));
  return new Map(inference.map(([k, v]) => [k, { shape: pytorchKeyRule(k)!.layout.shape(v.shape)! }]));
}

/** Rewrites the class heads of all 7 predictors to `rows` rows (C+1). */
function withClasses(shapes: Shapes, rows: number): Shapes {
  const out = new Map(shapes);
  for (const key of shapes.keys()) {
    if (key.endsWith('_transformer_class_head.conv.weight')) out.set(key, { shape: [256, rows] });
    if (key.endsWith('_transformer_class_head.conv.bias')) out.set(key, { shape: [rows] });
  }
  return out;
}

/** Every key and engine shape the engine asks for to build `config`. */
function declaredShapes(name: string): Shapes {
  const reader = new WeightReader(new Map());
  tf.tidy(() => declareWeights(PRESETS[name], reader));
  try {
    reader.finish();
  } catch (e) {
    if (e instanceof WeightsMismatchError) return new Map(e.problems.map((p) => [p.key, { shape: p.expected ?? [] }]));
    throw e;
  }
  return new Map();
}

describe('detectConfig', () => {
  it('detects the official COCO presets from the official shapes', () => {
    expect(detectConfig(shapesOf('kmax_r50_keys.json'))).toBe(PRESETS['coco-r50']);
    expect(detectConfig(shapesOf('kmax_convnext_tiny_keys.json'))).toBe(PRESETS['coco-convnext-t']);
  });

  it('detects our demo model from its weights alone: its classes, input size and thresholds come with it', () => {
    const manifest = JSON.parse(readFileSync('models/demo/model.json', 'utf8')) as {
      weightsManifest: { weights: { name: string; shape: number[] }[] }[];
    };
    const shapes: Shapes = new Map(manifest.weightsManifest.flatMap((g) => g.weights).map((w) => [w.name, { shape: w.shape }]));
    const config = detectConfig(shapes);
    expect(config).toBe(PRESETS['synthetic-demo']);
    expect([config.dataset, config.inputSize]).toEqual(['synthetic_panoptic', [129, 129]]);
  });

  it('tells the dataset from the class-head rows', () => {
    expect(detectConfig(withClasses(shapesOf('kmax_r50_keys.json'), 151))).toBe(PRESETS['ade20k-r50']);
  });

  it('orders a 5-input R50 decoder res5, res4, res3, stem, res2 (T13) and detects cityscapes-r50', () => {
    const shapes = withClasses(shapesOf('kmax_r50_keys.json'), 20);
    shapes.set('sem_seg_head.predictor._cluster_centers.weight', { shape: [256, 256] });
    shapes.set('sem_seg_head.pixel_decoder._in_norms.3.weight', { shape: [64] });
    shapes.set('sem_seg_head.pixel_decoder._in_norms.4.weight', { shape: [256] });
    shapes.set('sem_seg_head.pixel_decoder._stages.4._blocks.0._conv1_bn_act.conv.weight', { shape: [1, 1, 64, 32] });
    expect(detectConfig(shapes)).toBe(PRESETS['cityscapes-r50']);
  });

  it('orders a 5-input ConvNeXt decoder res2 before stem, whose widths tie', () => {
    const shapes = shapesOf('kmax_convnext_tiny_keys.json');
    shapes.set('sem_seg_head.pixel_decoder._in_norms.4.weight', { shape: [96] });
    shapes.set('sem_seg_head.pixel_decoder._stages.4._blocks.0._conv1_bn_act.conv.weight', { shape: [1, 1, 64, 32] });
    const config = detectConfig(shapes);
    expect(config.pixelDecoder.inputs).toEqual(['res5', 'res4', 'res3', 'res2', 'stem']);
    expect(config.pixelDecoder.stages[4]).toEqual({ base: 32, blocks: 1, type: 'bottleneck' });
  });

  it('reads every width of a non-official model and names it', () => {
    const shapes = withClasses(shapesOf('kmax_r50_keys.json'), 8);
    shapes.set('sem_seg_head.predictor._cluster_centers.weight', { shape: [7, 256] });
    shapes.delete('backbone.res4.5.conv1.weight');
    shapes.delete('backbone.res4.4.conv1.weight');
    const config = detectConfig(shapes);
    expect(config.name).toBe('detected-custom-7-resnet-3-4-4-3-k7');
    expect(config.numClasses).toBe(7);
    expect(config.dataset).toBe('custom-7');
    expect(config.backbone).toEqual({
      type: 'resnet',
      variant: 'pytorch',
      stemChannels: 64,
      depths: [3, 4, 4, 3],
      bottleneckChannels: [64, 128, 256, 512],
      outChannels: [256, 512, 1024, 2048],
    });
    expect(config.pixelDecoder).toEqual(PRESETS['coco-r50'].pixelDecoder);
    expect(config.transformerDecoder).toEqual({ ...PRESETS['coco-r50'].transformerDecoder, numClusters: 7 });
    expect(config.predictor).toEqual({ headChannels: 256, embeddingChannels: 128 });
  });

  it('takes the ResNet variant from the caller (TF and PT ResNets have the same keys and shapes, T23)', () => {
    const config = detectConfig(shapesOf('kmax_r50_keys.json'), { resnetVariant: 'tf' });
    expect(config.backbone).toEqual({ ...PRESETS['coco-r50'].backbone, variant: 'tf' });
    expect(config).toBe(PRESETS['coco-r50-tf']);
  });

  it('says why another model is not a kMaX-DeepLab checkpoint', () => {
    expect(() => detectConfig(new Map([['fc.weight', { shape: [10, 4] }]]))).toThrow(/not a kMaX-DeepLab checkpoint/);
    const headless = shapesOf('kmax_r50_keys.json');
    headless.delete('sem_seg_head.predictor._predcitor._transformer_class_head.conv.bias');
    expect(() => detectConfig(headless)).toThrow(/_predcitor\._transformer_class_head\.conv\.bias" is missing/);
  });

  it.each(['coco-max-s', 'cityscapes-max-s'])('detects the MaX-S preset %s from the weights it declares', (name) => {
    expect(detectConfig(declaredShapes(name))).toBe(PRESETS[name]);
  });

  it('reads a reduced Axial-ResNet and rejects one whose axial blocks deeplab2 would not build', () => {
    const shapes = declaredShapes('coco-max-s');
    for (const key of [...shapes.keys()]) if (key.startsWith('backbone.res4.5.')) shapes.delete(key);
    const config = detectConfig(shapes);
    expect(config.name).toBe('detected-coco_panoptic-axial-resnet-3-4-5-3-k128');
    expect(config.backbone).toEqual({ ...PRESETS['coco-max-s'].backbone, depths: [3, 4, 5, 3] });
    for (const key of [...shapes.keys()]) if (key.startsWith('backbone.res4.3._attention.')) shapes.delete(key);
    expect(() => detectConfig(shapes)).toThrow(/backbone\.res4\.3 is not an axial block.*from input stride 16 on/);
  });
});
