import { describe, expect, it } from 'vitest';
import { officialKeys } from '../testdata/official-keys';
import { isIgnoredPytorchKey, pytorchKeyRule } from './pytorch';

describe.each(['kmax_r50_keys.json', 'kmax_convnext_tiny_keys.json'] as const)('PyTorch key map on %s', (file) => {
  const keys = Object.fromEntries(officialKeys(file));

  it('maps every inference key and ignores exactly the train-only ones', () => {
    const unknown: string[] = [];
    for (const [key, { role }] of Object.entries(keys)) {
      const ignored = isIgnoredPytorchKey(key);
      const trainOnly = role === 'training_only' || role === 'buffer_unused_in_eval';
      expect(ignored, key).toBe(trainOnly);
      if (!ignored && pytorchKeyRule(key) === undefined) unknown.push(key);
    }
    expect(unknown).toEqual([]);
  });

  it('gives every mapped key a layout that fits its shape', () => {
    for (const [key, { shape }] of Object.entries(keys)) {
      const rule = pytorchKeyRule(key);
      if (rule !== undefined) expect(rule.layout.shape(shape), key).not.toBeNull();
    }
  });
});

describe('PyTorch key map layouts', () => {
  const cases: [string, number[], number[]][] = [
    ['backbone.stem.conv1.weight', [64, 3, 7, 7], [7, 7, 3, 64]],
    ['backbone.res3.0.shortcut.weight', [512, 256, 1, 1], [1, 1, 256, 512]],
    ['backbone.res3.0.shortcut.norm.running_var', [512], [512]],
    ['backbone.downsample_layers.0.0.weight', [96, 3, 4, 4], [4, 4, 3, 96]],
    ['backbone.downsample_layers.2.0.weight', [192], [192]],
    ['backbone.downsample_layers.2.1.weight', [384, 192, 2, 2], [2, 2, 192, 384]],
    ['backbone.stages.2.8.dwconv.weight', [384, 1, 7, 7], [7, 7, 384, 1]],
    ['backbone.stages.2.8.pwconv1.weight', [1536, 384], [384, 1536]],
    ['backbone.stages.2.8.pwconv2.weight', [384, 1536], [1536, 384]],
    ['backbone.stages.2.8.gamma', [384], [384]],
    ['sem_seg_head.pixel_decoder._stages.1._blocks.3._attention._width_axis.qkv_transform.conv.weight', [1024, 512, 1], [512, 1024]],
    ['sem_seg_head.pixel_decoder._stages.0._blocks.0._attention._height_axis._value_rpe._embeddings.weight', [509, 128], [509, 128]],
    ['sem_seg_head.pixel_decoder._resized_fuses.2._conv_bn_high.conv.weight', [64, 256, 1, 1], [1, 1, 256, 64]],
    ['sem_seg_head.predictor._cluster_centers.weight', [256, 128], [128, 256]],
    ['sem_seg_head.predictor._kmax_transformer_layers.4._pixel_conv1_bn_act.conv.weight', [256, 512, 1, 1], [1, 1, 512, 256]],
    ['sem_seg_head.predictor._kmax_transformer_layers.4._query_ffn_conv1_bn_act.conv.weight', [2048, 256, 1], [256, 2048]],
    ['sem_seg_head.predictor._kmax_transformer_layers.0._predcitor._pixel_space_head_conv0bnact.conv.weight', [256, 1, 5, 5], [5, 5, 256, 1]],
    ['sem_seg_head.predictor._predcitor._transformer_class_head.conv.weight', [134, 256, 1], [256, 134]],
    ['sem_seg_head.predictor._predcitor._pixel_space_mask_batch_norm.weight', [1], [1]],
  ];
  it.each(cases)('%s %j -> %j', (key, source, engine) => {
    expect(pytorchKeyRule(key)?.layout.shape(source)).toEqual(engine);
  });

  it('rejects shapes that do not fit the layout and keys of other models', () => {
    expect(pytorchKeyRule('backbone.stages.0.0.dwconv.weight')?.layout.shape([96, 3, 7, 7])).toBeNull();
    expect(pytorchKeyRule('sem_seg_head.predictor._cluster_centers.weight')?.layout.shape([1, 128, 256])).toBeNull();
    expect(pytorchKeyRule('model.fc.weight')).toBeUndefined();
    expect(pytorchKeyRule('sem_seg_head.predictor._predictor._transformer_class_head.conv.weight')).toBeUndefined();
  });
});
