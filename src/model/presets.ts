import type {
  BackboneConfig,
  BackboneFeature,
  KMaXConfig,
  PixelDecoderStageConfig,
  PostProcessConfig,
} from './config';
// The demo model's architecture has one record, read by the training too.
import syntheticDemo from '../../training/configs/demo-model.json';

/**
 * The official kMaX-DeepLab variants (spec 1.2, 10), as config objects.
 * Widths are those of the PyTorch reference; thresholds are its `TEST.*` values (spec 5.4).
 */

const RESNET50: BackboneConfig = {
  type: 'resnet',
  variant: 'pytorch',
  stemChannels: 64,
  depths: [3, 4, 6, 3],
  bottleneckChannels: [64, 128, 256, 512],
  outChannels: [256, 512, 1024, 2048],
};

/** deeplab2's ResNet-50 (spec 3.2 "TF", T23): same weights layout, different network. */
const RESNET50_TF: BackboneConfig = { ...RESNET50, variant: 'tf' };

/**
 * deeplab2's `kmax_axial_resnet50`: MaX-S (Axial-ResNet-50, Inception stem, axial blocks from
 * stride 16) with GeLU. deeplab2 publishes it only as TF checkpoints.
 */
const MAX_S: BackboneConfig = {
  type: 'axial-resnet',
  stemChannels: [64, 128],
  depths: [3, 4, 6, 3],
  bases: [64, 128, 256, 512],
  axialHeads: 8,
  axialFromStride: 16,
};

const CONVNEXT = {
  t: { type: 'convnext', depths: [3, 3, 9, 3], dims: [96, 192, 384, 768] },
  s: { type: 'convnext', depths: [3, 3, 27, 3], dims: [96, 192, 384, 768] },
  b: { type: 'convnext', depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024] },
  l: { type: 'convnext', depths: [3, 3, 27, 3], dims: [192, 384, 768, 1536] },
} as const satisfies Record<string, BackboneConfig>;

const STAGES: readonly PixelDecoderStageConfig[] = [
  { base: 512, blocks: 1, type: 'axial' },
  { base: 256, blocks: 5, type: 'axial' },
  { base: 128, blocks: 1, type: 'bottleneck' },
  { base: 64, blocks: 1, type: 'bottleneck' },
  { base: 32, blocks: 1, type: 'bottleneck' },
];

const FOUR_STAGE_INPUTS: readonly BackboneFeature[] = ['res5', 'res4', 'res3', 'res2'];

/** Thresholds per dataset (PT config = TF config), spec 5.4. */
export const POSTPROCESS: Record<'coco' | 'cityscapes' | 'ade20k', PostProcessConfig> = {
  coco: {
    pixelThreshold: 0.4,
    classThresholdThing: 0.7,
    classThresholdStuff: 0.5,
    overlapThreshold: 0.8,
    reorderClassWeight: 1.0,
    reorderMaskWeight: 1.0,
    thingAreaLimit: 400,
    stuffAreaLimit: 6400,
  },
  cityscapes: {
    pixelThreshold: 0.4,
    classThresholdThing: 0.5,
    classThresholdStuff: 0.3,
    overlapThreshold: 0.9,
    reorderClassWeight: 1.0,
    reorderMaskWeight: 0.0,
    thingAreaLimit: 256,
    stuffAreaLimit: 2048,
  },
  ade20k: {
    pixelThreshold: 0.4,
    classThresholdThing: 0.4,
    classThresholdStuff: 0.4,
    overlapThreshold: 0.8,
    reorderClassWeight: 1.0,
    reorderMaskWeight: 1.0,
    thingAreaLimit: 0,
    stuffAreaLimit: 0,
  },
};

const DATASETS = {
  coco: { dataset: 'coco_panoptic', numClasses: 133, numClusters: 128, inputSize: [1281, 1281] },
  ade20k: { dataset: 'ade20k_panoptic', numClasses: 150, numClusters: 128, inputSize: [1281, 1281] },
  cityscapes: { dataset: 'cityscapes_panoptic', numClasses: 19, numClusters: 256, inputSize: [1025, 2049] },
} as const;

function official(
  name: string,
  dataset: keyof typeof DATASETS,
  backbone: BackboneConfig,
  inputs: readonly BackboneFeature[],
  tf?: { readonly inputSize: readonly [number, number] },
): KMaXConfig {
  const d = DATASETS[dataset];
  return {
    name,
    backbone,
    pixelDecoder: { inputs, stages: STAGES.slice(0, inputs.length), axialHeads: 8 },
    transformerDecoder: {
      numClusters: d.numClusters,
      queryChannels: 256,
      bottleneckChannels: 256,
      keyChannels: 128,
      valueChannels: 256,
      heads: 8,
      ffnChannels: 2048,
      layersPerStage: [2, 2, 2],
    },
    predictor: { headChannels: 256, embeddingChannels: 128 },
    numClasses: d.numClasses,
    inputSize: tf?.inputSize ?? d.inputSize,
    processing: tf === undefined ? 'pytorch' : 'tf',
    postprocess: POSTPROCESS[dataset],
    dataset: d.dataset,
  };
}

/**
 * The nine PyTorch checkpoints of the spec's section 10, deeplab2's ResNet-50 ones and our
 * demo model (training/, so that its checkpoints convert without --config). Cityscapes decoders take a
 * fifth input; PT's stable sort on declared strides puts the R50 stem before res2
 * and the ConvNeXt stem after it (spec 3.4, T13).
 */
export const PRESETS: Readonly<Record<string, KMaXConfig>> = {
  'coco-r50': official('coco-r50', 'coco', RESNET50, FOUR_STAGE_INPUTS),
  'coco-convnext-t': official('coco-convnext-t', 'coco', CONVNEXT.t, FOUR_STAGE_INPUTS),
  'coco-convnext-s': official('coco-convnext-s', 'coco', CONVNEXT.s, FOUR_STAGE_INPUTS),
  'coco-convnext-b': official('coco-convnext-b', 'coco', CONVNEXT.b, FOUR_STAGE_INPUTS),
  'coco-convnext-l': official('coco-convnext-l', 'coco', CONVNEXT.l, FOUR_STAGE_INPUTS),
  'cityscapes-r50': official('cityscapes-r50', 'cityscapes', RESNET50, ['res5', 'res4', 'res3', 'stem', 'res2']),
  // deeplab2 publishes Cityscapes ConvNeXt-T/S/B too (the model zoo); same decoder wiring as L.
  'cityscapes-convnext-t': official('cityscapes-convnext-t', 'cityscapes', CONVNEXT.t, ['res5', 'res4', 'res3', 'res2', 'stem']),
  'cityscapes-convnext-s': official('cityscapes-convnext-s', 'cityscapes', CONVNEXT.s, ['res5', 'res4', 'res3', 'res2', 'stem']),
  'cityscapes-convnext-b': official('cityscapes-convnext-b', 'cityscapes', CONVNEXT.b, ['res5', 'res4', 'res3', 'res2', 'stem']),
  'cityscapes-convnext-l': official('cityscapes-convnext-l', 'cityscapes', CONVNEXT.l, [
    'res5',
    'res4',
    'res3',
    'res2',
    'stem',
  ]),
  'ade20k-r50': official('ade20k-r50', 'ade20k', RESNET50, FOUR_STAGE_INPUTS),
  'ade20k-convnext-l': official('ade20k-convnext-l', 'ade20k', CONVNEXT.l, FOUR_STAGE_INPUTS),
  // deeplab2's R50 checkpoints need its own ResNet and its pre/post-processing (spec 2.2, 5.5).
  // Its Cityscapes decoder takes the stride-2 stem last (spec D12).
  'coco-r50-tf': official('coco-r50-tf', 'coco', RESNET50_TF, FOUR_STAGE_INPUTS, { inputSize: [1281, 1281] }),
  'cityscapes-r50-tf': official('cityscapes-r50-tf', 'cityscapes', RESNET50_TF, ['res5', 'res4', 'res3', 'res2', 'stem'], {
    inputSize: [1025, 2049],
  }),
  'ade20k-r50-tf': official('ade20k-r50-tf', 'ade20k', RESNET50_TF, FOUR_STAGE_INPUTS, { inputSize: [1281, 1281] }),
  'ade20k-r50-tf-641': official('ade20k-r50-tf-641', 'ade20k', RESNET50_TF, FOUR_STAGE_INPUTS, { inputSize: [641, 641] }),
  'coco-max-s': official('coco-max-s', 'coco', MAX_S, FOUR_STAGE_INPUTS, { inputSize: [1281, 1281] }),
  'cityscapes-max-s': official('cityscapes-max-s', 'cityscapes', MAX_S, ['res5', 'res4', 'res3', 'res2', 'stem'], {
    inputSize: [1025, 2049],
  }),
  // JSON widens tuples and literal types; detect-config.test checks it against the shipped weights.
  [syntheticDemo.name]: syntheticDemo as unknown as KMaXConfig,
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export class UnknownPresetError extends Error {
  override readonly name = 'UnknownPresetError';
  constructor(preset: string) {
    super(`Unknown preset "${preset}". Known presets: ${presetNames().join(', ')}`);
  }
}

export function getPreset(name: string): KMaXConfig {
  const preset = PRESETS[name];
  if (preset === undefined) throw new UnknownPresetError(name);
  return preset;
}
