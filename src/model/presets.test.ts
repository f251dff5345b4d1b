import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { declareWeights } from './meta-arch/kmax-deeplab';
import { getPreset, PRESETS } from './presets';
import { WeightReader, WeightsMismatchError } from './weights';

/** Every key and engine-layout shape a preset asks for. */
function declared(name: string): Map<string, readonly number[]> {
  const reader = new WeightReader(new Map());
  tf.tidy(() => declareWeights(getPreset(name), reader));
  try {
    reader.finish();
  } catch (e) {
    if (e instanceof WeightsMismatchError) return new Map(e.problems.map((p) => [p.key, p.expected ?? []]));
    throw e;
  }
  return new Map();
}

/** The official inventory's inference keys, in engine layout (the converter's transposes). */
function official(file: string): Map<string, number[]> {
  const keys = JSON.parse(readFileSync(`training/official_keys/${file}`, 'utf8')).keys as Record<string, { shape: number[]; role: string }>;
  const out = new Map<string, number[]>();
  for (const [key, { shape, role }] of Object.entries(keys)) {
    if (role === 'training_only' || role === 'buffer_unused_in_eval') continue;
    const engine =
      shape.length === 4 && shape[1] === 1 && /conv0bnact|dwconv/.test(key) ? [shape[2], shape[3], shape[0], 1]
      : shape.length === 4 ? [shape[2], shape[3], shape[1], shape[0]]
      : shape.length === 3 ? [shape[1], shape[0]]
      : key.endsWith('_cluster_centers.weight') || /pwconv[12]\.weight$/.test(key) ? [shape[1], shape[0]]
      : shape;
    out.set(key, engine);
  }
  return out;
}

describe('presets', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['coco-r50', 'kmax_r50_keys.json'],
    ['coco-convnext-t', 'kmax_convnext_tiny_keys.json'],
  ])('%s asks for exactly the inference weights of the official checkpoint', (preset, file) => {
    expect(Object.fromEntries(declared(preset))).toEqual(Object.fromEntries(official(file)));
  });

  it('holds the nine official PyTorch variants and the deeplab2 ResNet-50 and MaX-S ones', () => {
    expect(Object.keys(PRESETS)).toEqual(expect.arrayContaining([
      'coco-r50', 'coco-convnext-t', 'coco-convnext-s', 'coco-convnext-b', 'coco-convnext-l',
      'cityscapes-r50', 'cityscapes-convnext-l', 'ade20k-r50', 'ade20k-convnext-l', 'coco-r50-tf',
      'coco-max-s', 'cityscapes-max-s',
    ]));
    for (const p of Object.values(PRESETS)) {
      expect(p.inputSize.every((n) => (n - 1) % 32 === 0)).toBe(true);
      const deeplab2Only = p.backbone.type === 'axial-resnet' || (p.backbone.type === 'resnet' && p.backbone.variant === 'tf');
      expect(p.processing).toBe(deeplab2Only ? 'tf' : 'pytorch');
    }
  });

  it('coco-max-s declares MaX-S: Inception stem, bottlenecks [b, b, 4b] to res4.0, axial blocks [2b, b, 4b] from res4.1', () => {
    const shapes = declared('coco-max-s');
    expect(shapes.get('backbone.stem._conv1_bn_act.conv.weight')).toEqual([3, 3, 3, 64]);
    expect(shapes.get('backbone.stem._conv3_bn.conv.weight')).toEqual([3, 3, 64, 128]);
    expect(shapes.get('backbone.res4.0._conv2_bn_act.conv.weight')).toEqual([3, 3, 256, 256]);
    expect(shapes.has('backbone.res4.0._attention._height_axis.qkv_transform.conv.weight')).toBe(false);
    // conv1 to 2b = 512, then keys b = 256 and values 2b = 512 in 8 heads: qkv 2 * 256 + 512.
    expect(shapes.get('backbone.res4.1._conv1_bn_act.conv.weight')).toEqual([1, 1, 1024, 512]);
    expect(shapes.get('backbone.res4.1._attention._height_axis.qkv_transform.conv.weight')).toEqual([512, 1024]);
    expect(shapes.get('backbone.res4.1._attention._height_axis._value_rpe._embeddings.weight')).toEqual([509, 64]);
    expect(shapes.get('backbone.res5.0._shortcut.conv.weight')).toEqual([1, 1, 1024, 2048]);
    expect(shapes.get('backbone.res5.2._attention._width_axis._query_rpe._embeddings.weight')).toEqual([509, 64]);
    const axialBlocks = new Set([...shapes.keys()].filter((k) => k.startsWith('backbone.') && k.includes('._attention.')).map((k) => k.split('._attention.')[0]));
    expect([...axialBlocks].sort()).toEqual(['backbone.res4.1', 'backbone.res4.2', 'backbone.res4.3', 'backbone.res4.4', 'backbone.res4.5',
      'backbone.res5.0', 'backbone.res5.1', 'backbone.res5.2']);
  });
});
