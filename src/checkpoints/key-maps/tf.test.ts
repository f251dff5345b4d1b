import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import datasets from '../../datasets/kmax-datasets.json';
import { declareWeights } from '../../model/meta-arch/kmax-deeplab';
import { PRESETS } from '../../model/presets';
import { WeightReader, WeightsMismatchError } from '../../model/weights';
import { CheckpointFormatError, UnmappedKeysError } from '../errors';
import type { RawTensor } from '../raw-tensor';
import { LAYOUTS } from './layouts';
import { pytorchKeyRule } from './pytorch';
import { isTfBookkeepingKey, pytorchKeyToTf, stripTfValueSuffix, tfBackboneFamily, tfKeyRule, TF_VALUE_SUFFIX } from './tf';
import { convertTfCheckpoint } from './tf-convert';
import { tfClassOrder } from './tf-class-order';

interface OfficialKeys {
  keys: Record<string, { shape: number[]; dtype: string; role: string }>;
}

const officialKeys = (name: string): OfficialKeys =>
  JSON.parse(readFileSync(new URL(`../../../training/official_keys/${name}`, import.meta.url), 'utf8'));

const HEADS = { axial: 8, query: 8 };

/** Engine shape of a PyTorch tensor; the aux semantic head has no PT rule (never loaded), so derive it. */
function engineShape(key: string, shape: number[]): number[] | null {
  const rule = pytorchKeyRule(key);
  if (rule !== undefined) return rule.layout.shape(shape);
  if (shape.length !== 4) return shape;
  return (shape[1] === 1 ? LAYOUTS.depthwise : LAYOUTS.conv).shape(shape);
}

/**
 * The TF checkpoint deeplab2 would have written for a PT inventory: each PT key
 * renamed by the rules in reverse, each engine shape turned into its TF shape, plus
 * the bookkeeping entries of a training checkpoint.
 */
function tfInventory(keys: OfficialKeys['keys']) {
  const tf = new Map<string, number[]>();
  const expected = new Map<string, number[]>();
  const problems: string[] = [];
  for (const [key, { shape }] of Object.entries(keys)) {
    if (key.endsWith('num_batches_tracked')) continue;
    const engine = engineShape(key, shape);
    const match = pytorchKeyToTf(key);
    const tfShape = engine === null || match === undefined ? null : match.rule.layout.tfShape(engine, HEADS);
    if (engine === null || match === undefined || tfShape === null) {
      problems.push(key);
      continue;
    }
    expected.set(key, engine);
    tf.set(match.name + TF_VALUE_SUFFIX, tfShape);
  }
  const slot = `${[...tf.keys()][0].replace(TF_VALUE_SUFFIX, '')}/.OPTIMIZER_SLOT/optimizer/m${TF_VALUE_SUFFIX}`;
  for (const key of ['_CHECKPOINTABLE_OBJECT_GRAPH', `save_counter${TF_VALUE_SUFFIX}`, `optimizer/iter${TF_VALUE_SUFFIX}`, slot]) {
    tf.set(key, [1]);
  }
  return { tf, expected, problems };
}

describe.each([
  ['kmax_r50_keys.json', 1417],
  ['kmax_convnext_tiny_keys.json', 1283],
])('TF key map on the TF inventory generated from %s', (file, count) => {
  const { keys } = officialKeys(file);
  const { tf, expected, problems } = tfInventory(keys);

  it('renames every PyTorch key to a distinct TF variable (the rules run in reverse)', () => {
    expect(Object.keys(keys)).toHaveLength(count);
    expect(problems).toEqual([]);
    expect(tf.size).toBe(expected.size + 4);
  });

  it('maps the TF inventory back with no unmapped and no missing keys, to the engine shapes', () => {
    const unmapped: string[] = [];
    const got = new Map<string, number[] | null>();
    for (const [key, shape] of tf) {
      if (isTfBookkeepingKey(key)) continue;
      const match = tfKeyRule(key);
      if (match === undefined) unmapped.push(key);
      else got.set(match.name, match.rule.layout.shape(shape));
    }
    expect(unmapped).toEqual([]);
    expect([...expected.keys()].filter((k) => !got.has(k))).toEqual([]);
    expect(got).toEqual(expected);
  });
});

describe('TF names and shapes from the spec (8.3, T7, T15, T19)', () => {
  const r50 = tfInventory(officialKeys('kmax_r50_keys.json').keys).tf;
  const convnext = tfInventory(officialKeys('kmax_convnext_tiny_keys.json').keys).tf;
  const layer = 'transformer_decoder/_kmax_decoder/3/_block1_transformer';
  const axial = 'pixel_decoder/_stages/0/_block1/_attention';
  const cases: [Map<string, number[]>, string, number[]][] = [
    [r50, 'encoder/_stem/_conv/kernel', [7, 7, 3, 64]],
    [r50, 'encoder/_stage2/_block1/_shortcut/_conv/kernel', [1, 1, 64, 256]],
    [r50, 'encoder/_stage4/_block6/_conv2_bn_act/_batch_norm/moving_variance', [256]],
    [r50, `${axial}/_height_axis/_batch_norm_similarity/gamma`, [3, 1, 8, 1, 1]],
    [r50, `${axial}/_width_axis/_batch_norm_retrieved_output/moving_mean`, [2, 1, 8, 1, 128]],
    [r50, `${axial}/_width_axis/qkv_kernel`, [1024, 2048]],
    [r50, `${axial}/_height_axis/_value_rpe/embeddings`, [509, 128]],
    [r50, 'pixel_decoder/_skip_connections/2/_resized_conv_bn2/_conv/kernel', [1, 1, 256, 64]],
    [r50, `${layer}/_memory_attention/_batch_norm_retrieved_value/beta`, [1, 8, 1, 32]],
    [r50, `${layer}/_memory_attention/_batch_norm_similarity/beta`, [8]],
    [r50, `${layer}/_memory_ffn_conv1_bn_act/_conv/kernel`, [1, 256, 2048]],
    [r50, `${layer}/_pixel_conv1_bn_act/_conv/kernel`, [1, 1024, 256]],
    [r50, `${layer}/_kmeans_memory_batch_norm_retrieved_value/gamma`, [256]],
    [r50, `${layer}/_auxiliary_clustering_predictor/_transformer_class_head/_conv/kernel`, [1, 256, 134]],
    [
      r50,
      `${layer}/_auxiliary_clustering_predictor/_pixel_space_head/conv_block/_conv1_bn_act/_depthwise/_depthwise_conv/depthwise_kernel`,
      [5, 5, 256, 1],
    ],
    [r50, 'transformer_decoder/cluster_centers', [1, 128, 256]],
    [r50, 'transformer_class_head/_conv/bias', [134]],
    [r50, 'pixel_space_head/final_conv/kernel', [1, 1, 256, 128]],
    [r50, 'pixel_space_feature_batch_norm/gamma', [128]],
    [r50, 'pixel_space_mask_batch_norm/moving_mean', [1]],
    [r50, 'semantic_decoder/_fusion_conv1/_conv1_bn_act/_depthwise/_depthwise_conv/depthwise_kernel', [5, 5, 320, 1]],
    [r50, 'semantic_last_layer/kernel', [1, 1, 256, 134]],
    [convnext, 'encoder/downsample_layers/0/layer_with_weights-0/kernel', [4, 4, 3, 96]],
    [convnext, 'encoder/downsample_layers/0/layer_with_weights-1/gamma', [96]],
    [convnext, 'encoder/downsample_layers/2/layer_with_weights-0/beta', [192]],
    [convnext, 'encoder/downsample_layers/2/layer_with_weights-1/kernel', [2, 2, 192, 384]],
    [convnext, 'encoder/stages/2/layer_with_weights-8/depthwise_conv/kernel', [7, 7, 1, 384]],
    [convnext, 'encoder/stages/2/layer_with_weights-8/pointwise_conv1/kernel', [384, 1536]],
    [convnext, 'encoder/stages/2/layer_with_weights-8/layer_scale', [1, 1, 1, 384]],
    [convnext, 'pixel_decoder/_stages/0/_block1/_shortcut/_conv/kernel', [1, 1, 768, 2048]],
  ];
  it.each(cases.map(([inventory, name, shape]) => [name, shape, inventory] as const))('%s has shape %j', (name, shape, inventory) => {
    expect(inventory.get(name + TF_VALUE_SUFFIX)).toEqual(shape);
  });

  it('maps TF names to the PyTorch names of spec 8.3', () => {
    const pt = (tf: string) => tfKeyRule(tf + TF_VALUE_SUFFIX)?.name;
    expect(pt('encoder/_stage5/_block3/_conv3_bn/_batch_norm/moving_mean')).toBe('backbone.res5.2.conv3.norm.running_mean');
    expect(pt('pixel_decoder/_stages/1/_block5/_attention/_width_axis/_key_rpe/embeddings')).toBe(
      'sem_seg_head.pixel_decoder._stages.1._blocks.4._attention._width_axis._key_rpe._embeddings.weight',
    );
    expect(pt('pixel_decoder/_skip_connections/0/_resized_conv_bn1/_batch_norm/beta')).toBe(
      'sem_seg_head.pixel_decoder._resized_fuses.0._conv_bn_low.norm.bias',
    );
    expect(pt('transformer_decoder/_kmax_decoder/0/_block1_transformer/_memory_qkv_conv_bn/_conv/kernel')).toBe(
      'sem_seg_head.predictor._kmax_transformer_layers.0._query_qkv_conv_bn.conv.weight',
    );
    expect(pt('pixel_space_head/conv_block/_conv1_bn_act/_pointwise/_conv/kernel')).toBe(
      'sem_seg_head.predictor._predcitor._pixel_space_head_conv1bnact.conv.weight',
    );
    expect(pt('encoder/stages/3/layer_with_weights-26/layer_scale')).toBe('backbone.stages.3.26.gamma');
    expect(pt('encoder/some_other_backbone/kernel')).toBeUndefined();
    expect(stripTfValueSuffix('a/b' + TF_VALUE_SUFFIX)).toBe('a/b');
  });

  it('treats optimizer state and counters as bookkeeping, and weights not', () => {
    for (const key of [
      `encoder/_stem/_conv/kernel/.OPTIMIZER_SLOT/optimizer/v${TF_VALUE_SUFFIX}`,
      `optimizer/learning_rate${TF_VALUE_SUFFIX}`,
      `save_counter${TF_VALUE_SUFFIX}`,
      `global_step${TF_VALUE_SUFFIX}`,
      '_CHECKPOINTABLE_OBJECT_GRAPH',
    ]) {
      expect(isTfBookkeepingKey(key), key).toBe(true);
    }
    expect(isTfBookkeepingKey(`encoder/_stem/_conv/kernel${TF_VALUE_SUFFIX}`)).toBe(false);
  });
});

/** Engine keys and shapes of a preset (what the engine asks the weights for). */
function presetShapes(name: string): Map<string, readonly number[]> {
  const reader = new WeightReader(new Map());
  tf.tidy(() => declareWeights(PRESETS[name], reader));
  try {
    reader.finish();
  } catch (e) {
    if (e instanceof WeightsMismatchError) return new Map(e.problems.map((p) => [p.key, p.expected ?? []]));
    throw e;
  }
  return new Map();
}

describe('TF key map of the Axial-ResNet (MaX-S) backbone, deeplab2 kmax_axial_resnet50', () => {
  const engine = presetShapes('coco-max-s');
  const inventory = new Map<string, number[]>();
  for (const [key, shape] of engine) {
    const match = pytorchKeyToTf(key);
    const tfShape = match?.rule.layout.tfShape(shape, HEADS);
    if (match !== undefined && tfShape) inventory.set(match.name, tfShape);
  }

  it('names every weight of coco-max-s in TF and maps the names back, only as an Axial-ResNet', () => {
    expect(inventory.size).toBe(engine.size);
    expect(tfBackboneFamily(inventory.keys())).toBe('axial-resnet');
    const back = new Map([...inventory].map(([name, shape]) => {
      const match = tfKeyRule(name + TF_VALUE_SUFFIX, 'axial-resnet');
      return [match?.name, match?.rule.layout.shape(shape)] as const;
    }));
    expect(back).toEqual(engine);
    // Read as another backbone's checkpoint, the stem and the attention have no rule.
    expect(tfKeyRule('encoder/_stem/_conv1_bn_act/_conv/kernel')).toBeUndefined();
    expect(tfKeyRule('encoder/_stage4/_block2/_attention/_height_axis/qkv_kernel')).toBeUndefined();
  });

  it.each([
    ['encoder/_stem/_conv1_bn_act/_conv/kernel', [3, 3, 3, 64]],
    ['encoder/_stem/_conv3_bn/_batch_norm/gamma', [128]],
    ['encoder/_stage2/_block1/_shortcut/_conv/kernel', [1, 1, 128, 256]],
    ['encoder/_stage4/_block1/_conv2_bn_act/_conv/kernel', [3, 3, 256, 256]],
    ['encoder/_stage4/_block2/_conv1_bn_act/_conv/kernel', [1, 1, 1024, 512]],
    ['encoder/_stage4/_block2/_attention/_height_axis/qkv_kernel', [512, 1024]],
    ['encoder/_stage5/_block1/_attention/_width_axis/_batch_norm_retrieved_output/gamma', [2, 1, 8, 1, 128]],
    ['encoder/_stage5/_block3/_attention/_width_axis/_value_rpe/embeddings', [509, 128]],
  ])('%s has shape %j', (name, shape) => {
    expect(inventory.get(name)).toEqual(shape);
  });

  it('gives the block names deeplab2 shares with its ResNet to the backbone the checkpoint holds', () => {
    const key = `encoder/_stage5/_block3/_conv3_bn/_batch_norm/moving_mean${TF_VALUE_SUFFIX}`;
    expect(tfKeyRule(key)?.name).toBe('backbone.res5.2.conv3.norm.running_mean');
    expect(tfKeyRule(key, 'axial-resnet')?.name).toBe('backbone.res5.2._conv3_bn.norm.running_mean');
    expect(tfKeyRule('encoder/_stem/_conv/kernel', 'axial-resnet')).toBeUndefined();
    expect(tfBackboneFamily(['encoder/_stem/_conv/kernel', key])).toBe('other');
  });
});

/** TF class-head order derived from the class flags (things ascending, then stuff ascending). */
function thingsFirst(dataset: 'cityscapes_panoptic' | 'ade20k_panoptic'): number[] {
  const classes = (datasets as unknown as Record<string, { classes: { id: number; isthing: boolean }[] }>)[dataset].classes;
  return [...classes.filter((c) => c.isthing), ...classes.filter((c) => !c.isthing)].map((c) => c.id);
}

const f32 = (shape: number[], value: (i: number) => number): RawTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => value(i)) };
};

describe('convertTfCheckpoint', () => {
  const head = 'transformer_class_head/_conv';
  const layerHead = 'transformer_decoder/_kmax_decoder/2/_block1_transformer/_auxiliary_clustering_predictor/_transformer_class_head/_conv';

  it('uses the permutation of kmax-datasets.json, which is things-first order (T24)', () => {
    expect(tfClassOrder('cityscapes_panoptic')).toEqual(thingsFirst('cityscapes_panoptic'));
    expect(tfClassOrder('ade20k_panoptic')).toEqual(thingsFirst('ade20k_panoptic'));
    expect(tfClassOrder('coco_panoptic')).toBeNull();
    expect(tfClassOrder('cityscapes_panoptic')!.slice(0, 3)).toEqual([11, 12, 13]);
  });

  it('re-orders Cityscapes class-head columns and bias from TF order to class-id order, void last', () => {
    // TF kernel [1, in=3, 20]: value = 100 * input channel + TF class slot.
    const raw = new Map<string, RawTensor>([
      [`${head}/kernel${TF_VALUE_SUFFIX}`, f32([1, 3, 20], (i) => 100 * Math.floor(i / 20) + (i % 20))],
      [`${layerHead}/bias${TF_VALUE_SUFFIX}`, f32([20], (i) => i)],
    ]);
    const { tensors } = convertTfCheckpoint(raw, 'cityscapes_panoptic');
    const kernel = tensors.get('sem_seg_head.predictor._predcitor._transformer_class_head.conv.weight')!;
    expect(kernel.shape).toEqual([3, 20]);
    const at = (c: number, p: number) => (kernel.data as Float32Array)[c * 20 + p];
    expect(at(0, 11)).toBe(0); // person (trainId 11) is TF's first logit
    expect(at(2, 18)).toBe(207); // bicycle: TF slot 7
    expect(at(1, 0)).toBe(108); // road: first stuff, TF slot 8
    expect(at(2, 10)).toBe(218); // sky: TF slot 18
    expect(at(1, 19)).toBe(119); // void stays last
    const bias = tensors.get('sem_seg_head.predictor._kmax_transformer_layers.2._predcitor._transformer_class_head.conv.bias')!;
    expect(Array.from(bias.data as Float32Array)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0, 1, 2, 3, 4, 5, 6, 7, 19]);
  });

  it('re-orders ADE20K (151 slots) and leaves COCO alone', () => {
    const bias = (n: number) => new Map([[`${head}/bias${TF_VALUE_SUFFIX}`, f32([n], (i) => i)]]);
    const ade = convertTfCheckpoint(bias(151), 'ade20k_panoptic').tensors.values().next().value!.data as Float32Array;
    expect(ade[7]).toBe(0); // bed, the first thing class
    expect(ade[0]).toBe(100); // wall, the first stuff class, follows the 100 things
    expect(ade[150]).toBe(150);
    const order = thingsFirst('ade20k_panoptic');
    expect(order.every((id, k) => ade[id] === k)).toBe(true);
    const coco = convertTfCheckpoint(bias(134), 'coco_panoptic').tensors.values().next().value!.data as Float32Array;
    expect(Array.from(coco)).toEqual(Array.from({ length: 134 }, (_, i) => i));
    expect(() => convertTfCheckpoint(bias(134), 'cityscapes_panoptic')).toThrow(CheckpointFormatError);
  });

  it('reshapes without touching the data, and lists what it dropped', () => {
    const raw = new Map<string, RawTensor>([
      [`pixel_decoder/_stages/1/_block2/_attention/_height_axis/_batch_norm_similarity/gamma${TF_VALUE_SUFFIX}`, f32([3, 1, 2, 1, 1], (i) => i)],
      [`encoder/stages/1/layer_with_weights-2/depthwise_conv/kernel${TF_VALUE_SUFFIX}`, f32([7, 7, 1, 4], (i) => i / 3)],
      [`transformer_decoder/cluster_centers${TF_VALUE_SUFFIX}`, f32([1, 5, 3], (i) => -i)],
      [`save_counter${TF_VALUE_SUFFIX}`, { dtype: 'int64', shape: [], data: new BigInt64Array([7n]) }],
      [`semantic_last_layer/bias${TF_VALUE_SUFFIX}`, f32([4], () => 1)],
    ]);
    const { tensors, dropped } = convertTfCheckpoint(raw, 'coco_panoptic');
    const similarity = tensors.get('sem_seg_head.pixel_decoder._stages.1._blocks.1._attention._height_axis._batch_norm_similarity.weight')!;
    expect(similarity.shape).toEqual([6]);
    expect(Array.from(similarity.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    const dw = tensors.get('backbone.stages.1.2.dwconv.weight')!;
    expect(dw.shape).toEqual([7, 7, 4, 1]);
    expect(dw.data).toBe(raw.get(`encoder/stages/1/layer_with_weights-2/depthwise_conv/kernel${TF_VALUE_SUFFIX}`)!.data);
    expect(tensors.get('sem_seg_head.predictor._cluster_centers.weight')!.shape).toEqual([5, 3]);
    expect(dropped).toEqual([`save_counter${TF_VALUE_SUFFIX}`, `semantic_last_layer/bias${TF_VALUE_SUFFIX}`]);
    expect(tensors.size).toBe(3);
  });

  it('reports unknown keys all at once, and a shape that does not fit its layout by name', () => {
    const raw = new Map<string, RawTensor>([
      [`encoder/_stem/_conv/kernel${TF_VALUE_SUFFIX}`, f32([3, 3, 3, 4], () => 0)],
      [`axial_backbone/_stem/kernel${TF_VALUE_SUFFIX}`, f32([1], () => 0)],
      [`axial_backbone/_stage1/kernel${TF_VALUE_SUFFIX}`, f32([1], () => 0)],
    ]);
    expect(() => convertTfCheckpoint(raw, 'coco_panoptic')).toThrow(UnmappedKeysError);
    expect(() => convertTfCheckpoint(raw, 'coco_panoptic')).toThrow(/2 tensor\(s\)[\s\S]*axial_backbone\/_stage1/);
    const misfit = new Map([[`transformer_mask_head/_conv/kernel${TF_VALUE_SUFFIX}`, f32([256, 128], () => 0)]]);
    expect(() => convertTfCheckpoint(misfit, 'coco_panoptic')).toThrow(/transformer_mask_head\/_conv\/kernel.*Conv1D/);
  });
});
