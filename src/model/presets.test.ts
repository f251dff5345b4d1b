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

  it('holds the nine official PyTorch variants and the deeplab2 ResNet-50 ones', () => {
    expect(Object.keys(PRESETS)).toEqual(expect.arrayContaining([
      'coco-r50', 'coco-convnext-t', 'coco-convnext-s', 'coco-convnext-b', 'coco-convnext-l',
      'cityscapes-r50', 'cityscapes-convnext-l', 'ade20k-r50', 'ade20k-convnext-l', 'coco-r50-tf',
    ]));
    for (const p of Object.values(PRESETS)) {
      expect(p.inputSize.every((n) => (n - 1) % 32 === 0)).toBe(true);
      expect(p.processing).toBe(p.backbone.type === 'resnet' && p.backbone.variant === 'tf' ? 'tf' : 'pytorch');
    }
  });
});
