import { isAxialBlock } from '../model/backbone/axial-resnet';
import type {
  AxialResNetConfig,
  BackboneConfig,
  BackboneFeature,
  KMaXConfig,
  PixelDecoderStageConfig,
  ResNetConfig,
  TransformerDecoderConfig,
} from '../model/config';
import { POSTPROCESS, PRESETS } from '../model/presets';
import { CheckpointFormatError } from './errors';

/**
 * The kMaX-DeepLab variant of a checkpoint, read from the keys and shapes of its
 * engine tensors alone (never from the file name): backbone family and sizes, decoder
 * stages and input order, transformer widths, K and the dataset. Works on engine
 * tensors so that every checkpoint format is detected by this one function. In engine
 * layouts a weight's output width is always its last axis and its input width the one
 * before (conv HWIO, Conv1d/Linear [in,out], norms [C]); cluster centres are [K,C].
 * When the result equals an official preset, the preset itself is returned (so
 * official files get the official name, input size and thresholds).
 */

export interface ShapeOf {
  readonly shape: readonly number[];
}

type Shapes = ReadonlyMap<string, ShapeOf>;

export interface DetectOptions {
  /**
   * Which ResNet the weights were trained in: the names and shapes are the same, the
   * maths differ (spec 3.2, T23), so only the file's format tells. Default 'pytorch'.
   */
  readonly resnetVariant?: ResNetConfig['variant'];
}

const DECODER = 'sem_seg_head.pixel_decoder';
const HEAD = 'sem_seg_head.predictor';
/** The final class head's bias: C+1 entries, void last. */
export const FINAL_CLASS_BIAS = `${HEAD}._predcitor._transformer_class_head.conv.bias`;

/** Dataset by number of non-void classes (spec 9). */
const DATASETS: Readonly<Record<number, { key: 'coco' | 'cityscapes' | 'ade20k'; dataset: string; inputSize: [number, number] }>> = {
  133: { key: 'coco', dataset: 'coco_panoptic', inputSize: [1281, 1281] },
  19: { key: 'cityscapes', dataset: 'cityscapes_panoptic', inputSize: [1025, 2049] },
  150: { key: 'ade20k', dataset: 'ade20k_panoptic', inputSize: [1281, 1281] },
};

/** Input size for models of other datasets: weights do not fix it; 641 is the smallest official size. */
const DEFAULT_INPUT_SIZE: [number, number] = [641, 641];

/** The dataset a class head of `numClasses` (+ void) rows belongs to: an official one, else `custom-N`. */
export function datasetOfClassCount(numClasses: number): string {
  return DATASETS[numClasses]?.dataset ?? `custom-${numClasses}`;
}

export function detectConfig(shapes: Shapes, options: DetectOptions = {}): KMaXConfig {
  const backbone = detectBackbone(shapes, options.resnetVariant ?? 'pytorch');
  const stages = detectDecoderStages(shapes);
  const inputs = detectDecoderInputs(shapes, backbone, stages.length);
  const numClasses = out(shapes, FINAL_CLASS_BIAS) - 1;
  const known = DATASETS[numClasses];
  const detected: KMaXConfig = {
    name: '',
    backbone,
    pixelDecoder: { inputs, stages, axialHeads: detectAxialHeads(shapes, stages) },
    transformerDecoder: detectTransformerDecoder(shapes, stages),
    predictor: {
      headChannels: out(shapes, `${HEAD}._predcitor._pixel_space_head_conv1bnact.conv.weight`),
      embeddingChannels: out(shapes, `${HEAD}._predcitor._pixel_space_head_last_convbn.conv.weight`),
    },
    numClasses,
    inputSize: known?.inputSize ?? DEFAULT_INPUT_SIZE,
    processing: 'pytorch',
    postprocess: POSTPROCESS[known?.key ?? 'coco'],
    dataset: datasetOfClassCount(numClasses),
  };
  const preset = Object.values(PRESETS).find((p) => sameArchitecture(p, detected));
  return preset ?? { ...detected, name: describe(detected) };
}

function detectBackbone(shapes: Shapes, variant: ResNetConfig['variant']): BackboneConfig {
  if (shapes.has('backbone.stem.conv1.weight')) {
    const stages = [2, 3, 4, 5] as const;
    return {
      type: 'resnet',
      variant,
      stemChannels: out(shapes, 'backbone.stem.conv1.weight'),
      depths: tuple4(stages.map((s) => count(shapes, (b) => `backbone.res${s}.${b}.conv1.weight`))),
      bottleneckChannels: tuple4(stages.map((s) => out(shapes, `backbone.res${s}.0.conv1.weight`))),
      outChannels: tuple4(stages.map((s) => out(shapes, `backbone.res${s}.0.conv3.weight`))),
    };
  }
  if (shapes.has('backbone.downsample_layers.0.0.weight')) {
    const stages = [0, 1, 2, 3] as const;
    return {
      type: 'convnext',
      depths: tuple4(stages.map((i) => count(shapes, (j) => `backbone.stages.${i}.${j}.dwconv.weight`))),
      dims: tuple4(stages.map((i) => out(shapes, `backbone.downsample_layers.${i}.${i === 0 ? 0 : 1}.weight`))),
    };
  }
  if (shapes.has(`${AXIAL_STEM}._conv1_bn_act.conv.weight`)) return detectAxialResnet(shapes);
  throw new CheckpointFormatError(
    'This is not a kMaX-DeepLab checkpoint: it has neither a ResNet (backbone.stem.conv1.weight), ' +
      `a ConvNeXt (backbone.downsample_layers.0.0.weight) nor an Axial-ResNet (${AXIAL_STEM}._conv1_bn_act.conv.weight) backbone.`,
  );
}

const AXIAL_STEM = 'backbone.stem';

/**
 * Axial-ResNet (MaX-S): widths from the stem and each stage's conv3 (4 x base); which
 * blocks are axial fixes axialFromStride, and the config must say exactly those blocks.
 */
function detectAxialResnet(shapes: Shapes): AxialResNetConfig {
  const stages = [2, 3, 4, 5] as const;
  const blockKey = (s: number, b: number) => `backbone.res${s}.${b}._conv1_bn_act.conv.weight`;
  const axialKey = (s: number, b: number) => `backbone.res${s}.${b}._attention._height_axis._batch_norm_similarity.weight`;
  const depths = tuple4(stages.map((s) => count(shapes, (b) => blockKey(s, b))));
  const blocks = stages.flatMap((s, i) => Array.from({ length: depths[i] }, (_, b) => ({ s: i, b, axial: shapes.has(axialKey(s, b)) })));
  const firstAxial = blocks.find((block) => block.axial);
  const config: AxialResNetConfig = {
    type: 'axial-resnet',
    stemChannels: [out(shapes, `${AXIAL_STEM}._conv1_bn_act.conv.weight`), out(shapes, `${AXIAL_STEM}._conv3_bn.conv.weight`)],
    depths,
    bases: tuple4(stages.map((s) => out(shapes, `backbone.res${s}.0._conv3_bn.conv.weight`) / 4)),
    axialHeads: firstAxial === undefined ? 8 : out(shapes, axialKey(firstAxial.s + 2, firstAxial.b)) / 3,
    // Input stride of the first axial block; 64 (beyond res5) when there is none.
    axialFromStride: firstAxial === undefined ? 64 : 2 ** (firstAxial.s + (firstAxial.b === 0 ? 1 : 2)),
  };
  const misplaced = blocks.find((block) => block.axial !== isAxialBlock(config, block.s, block.b));
  if (misplaced !== undefined) {
    throw new CheckpointFormatError(
      `backbone.res${misplaced.s + 2}.${misplaced.b} is ${misplaced.axial ? '' : 'not '}an axial block, but deeplab2's Axial-ResNet ` +
        `makes every block from input stride ${config.axialFromStride} on axial`,
    );
  }
  return config;
}

/** Stage type from the presence of axial attention; base from the first 1x1 conv (2*base axial, base bottleneck). */
function detectDecoderStages(shapes: Shapes): PixelDecoderStageConfig[] {
  const numStages = count(shapes, (s) => `${DECODER}._stages.${s}._blocks.0._conv1_bn_act.conv.weight`);
  if (numStages === 0) throw new CheckpointFormatError('This checkpoint has no kMaX pixel decoder (sem_seg_head.pixel_decoder).');
  return Array.from({ length: numStages }, (_, s) => {
    const block = `${DECODER}._stages.${s}._blocks`;
    const axial = shapes.has(`${block}.0._attention._height_axis.qkv_transform.conv.weight`);
    const conv1 = out(shapes, `${block}.0._conv1_bn_act.conv.weight`);
    return {
      base: axial ? conv1 / 2 : conv1,
      blocks: count(shapes, (b) => `${block}.${b}._conv1_bn_act.conv.weight`),
      type: axial ? 'axial' : 'bottleneck',
    };
  });
}

/**
 * Which backbone feature each decoder input LayerNorm normalises, by width. Ties
 * (ConvNeXt stem and res2 are both dims[0] wide) follow PT's stable sort on declared
 * strides: R50 stem before res2, ConvNeXt stem after it (spec 3.4, T13).
 */
function detectDecoderInputs(shapes: Shapes, backbone: BackboneConfig, numStages: number): BackboneFeature[] {
  const widths = featureWidths(backbone);
  const preference: BackboneFeature[] =
    backbone.type === 'resnet' ? ['res5', 'res4', 'res3', 'stem', 'res2'] : ['res5', 'res4', 'res3', 'res2', 'stem'];
  const used = new Set<BackboneFeature>();
  return Array.from({ length: numStages }, (_, i) => {
    const width = out(shapes, `${DECODER}._in_norms.${i}.weight`);
    const feature = preference.find((f) => !used.has(f) && widths[f] === width);
    if (feature === undefined) {
      throw new CheckpointFormatError(
        `pixel decoder input ${i} is ${width} channels wide, which matches no unused backbone feature ` +
          `(${preference.map((f) => `${f}: ${widths[f]}`).join(', ')})`,
      );
    }
    used.add(feature);
    return feature;
  });
}

function featureWidths(backbone: BackboneConfig): Record<BackboneFeature, number> {
  switch (backbone.type) {
    case 'resnet': {
      const [res2, res3, res4, res5] = backbone.outChannels;
      return { stem: backbone.stemChannels, res2, res3, res4, res5 };
    }
    case 'convnext': {
      const [res2, res3, res4, res5] = backbone.dims;
      return { stem: res2, res2, res3, res4, res5 };
    }
    case 'axial-resnet': {
      const [res2, res3, res4, res5] = backbone.bases.map((base) => 4 * base);
      return { stem: backbone.stemChannels[1], res2, res3, res4, res5 };
    }
  }
}

/** Axial similarity BN has 3 terms x heads channels (spec 3.4 step 5). */
function detectAxialHeads(shapes: Shapes, stages: readonly PixelDecoderStageConfig[]): number {
  const s = stages.findIndex((stage) => stage.type === 'axial');
  if (s < 0) return 8;
  return out(shapes, `${DECODER}._stages.${s}._blocks.0._attention._height_axis._batch_norm_similarity.weight`) / 3;
}

function detectTransformerDecoder(shapes: Shapes, stages: readonly PixelDecoderStageConfig[]): TransformerDecoderConfig {
  const layer = (l: number) => `${HEAD}._kmax_transformer_layers.${l}`;
  const numLayers = count(shapes, (l) => `${layer(l)}._query_conv1_bn_act.conv.weight`);
  if (numLayers === 0) throw new CheckpointFormatError('This checkpoint has no kMaX transformer layers.');
  // Each layer reads the decoder stage whose output (4*base channels) feeds its pixel conv, coarse to
  // fine; of stages of equal width the earliest is taken unless a preset says otherwise (sameArchitecture).
  const layersPerStage: number[] = [];
  let stage = 0;
  for (let l = 0; l < numLayers; l++) {
    const width = dim(shapes, `${layer(l)}._pixel_conv1_bn_act.conv.weight`, -2);
    while (stage < stages.length && 4 * stages[stage].base !== width) stage++;
    if (stage === stages.length) {
      throw new CheckpointFormatError(`kMaX layer ${l} reads ${width} channels, which no decoder stage outputs in order`);
    }
    while (layersPerStage.length <= stage) layersPerStage.push(0);
    layersPerStage[stage]++;
  }
  const valueChannels = out(shapes, `${layer(0)}._pixel_v_conv_bn.conv.weight`);
  return {
    numClusters: dim(shapes, `${HEAD}._cluster_centers.weight`, 0),
    queryChannels: out(shapes, `${HEAD}._cluster_centers.weight`),
    bottleneckChannels: out(shapes, `${layer(0)}._pixel_conv1_bn_act.conv.weight`),
    keyChannels: (out(shapes, `${layer(0)}._query_qkv_conv_bn.conv.weight`) - valueChannels) / 2,
    valueChannels,
    heads: out(shapes, `${layer(0)}._query_self_attention._batch_norm_similarity.weight`),
    ffnChannels: out(shapes, `${layer(0)}._query_ffn_conv1_bn_act.conv.weight`),
    layersPerStage,
  };
}

/** Size of `key` along `axis` (negative: from the end). */
function dim(shapes: Shapes, key: string, axis: number): number {
  const entry = shapes.get(key);
  if (entry === undefined) {
    throw new CheckpointFormatError(`This is not a complete kMaX-DeepLab checkpoint: "${key}" is missing.`);
  }
  const size = entry.shape.at(axis);
  if (size === undefined) throw new CheckpointFormatError(`"${key}" has shape [${entry.shape.join(', ')}], expected more axes`);
  return size;
}

/** Output width of a weight (the last axis of every engine layout). */
function out(shapes: Shapes, key: string): number {
  return dim(shapes, key, -1);
}

/** Number of consecutive indices 0, 1, ... for which `key(i)` exists. */
function count(shapes: Shapes, key: (i: number) => string): number {
  let n = 0;
  while (shapes.has(key(n))) n++;
  return n;
}

function tuple4(values: number[]): [number, number, number, number] {
  return [values[0], values[1], values[2], values[3]];
}

/**
 * Everything the weights fix; name, input size and thresholds are not in the file. Of the
 * layer-to-stage schedule the weights fix only each kMaX layer's input width, so decoder
 * stages of equal width (the demo model's 16+16 bases) are told apart by the preset alone.
 */
function sameArchitecture(a: KMaXConfig, b: KMaXConfig): boolean {
  const pick = (c: KMaXConfig) => [
    c.backbone,
    c.pixelDecoder,
    { ...c.transformerDecoder, layersPerStage: layerInputWidths(c) },
    c.predictor,
    c.numClasses,
  ];
  return canonical(pick(a)) === canonical(pick(b));
}

/** The pixel-feature width each kMaX layer reads, in order (4*base of its decoder stage). */
function layerInputWidths(config: KMaXConfig): number[] {
  const { stages } = config.pixelDecoder;
  return config.transformerDecoder.layersPerStage.flatMap((n, s) => Array<number>(n).fill(4 * stages[s].base));
}

/** JSON with object keys sorted, so key order does not matter. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}

function describe(config: KMaXConfig): string {
  const b = config.backbone;
  const backbone =
    b.type === 'resnet'
      ? `resnet${b.variant === 'tf' ? '-tf' : ''}-${b.depths.join('-')}`
      : b.type === 'convnext'
        ? `convnext-${b.dims[0]}`
        : `axial-resnet-${b.depths.join('-')}`;
  return `detected-${config.dataset}-${backbone}-k${config.transformerDecoder.numClusters}`;
}
