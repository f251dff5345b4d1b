import { LAYOUTS, type Layout } from './layouts';

/**
 * The PyTorch kMaX-DeepLab state dict (bytedance/kmax-deeplab; spec 8.1, Appendix A)
 * as a table of name patterns, one per tensor kind, each with its layout transform.
 * Engine tensors keep the PyTorch names (including the upstream misspelling
 * `_predcitor`, spec T36). Built like the upstream converter's map_bn / map_conv:
 * small helpers per module type, one function per component.
 *
 * Pattern syntax: `{i}` is an index, `{a|b}` one of the alternatives.
 */
export interface KeyRule {
  readonly pattern: RegExp;
  readonly layout: Layout;
}

function rule(template: string, layout: Layout): KeyRule {
  const source = template
    .split(/(\{[^}]*\})/)
    .map((part) => {
      if (part === '{i}') return '\\d+';
      if (part.startsWith('{')) return `(?:${part.slice(1, -1).split('|').map(escape).join('|')})`;
      return escape(part);
    })
    .join('');
  return { pattern: new RegExp(`^${source}$`), layout };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const { identity, conv, depthwise, conv1d, linear, clusterCenters } = LAYOUTS;

/** BatchNorm: affine + running statistics (num_batches_tracked is ignored). */
const batchNorm = (p: string) => [rule(`${p}.{weight|bias|running_mean|running_var}`, identity)];
const layerNorm = (p: string) => [rule(`${p}.{weight|bias}`, identity)];
/** kMaX ConvBN: `{p}.conv.weight` + `{p}.norm.*`. */
const convBN = (p: string, layout: Layout) => [rule(`${p}.conv.weight`, layout), ...batchNorm(`${p}.norm`)];
/** detectron2 Conv2d with a norm: `{p}.weight` + `{p}.norm.*`. */
const detectronConvBN = (p: string) => [rule(`${p}.weight`, conv), ...batchNorm(`${p}.norm`)];

function resnet(): KeyRule[] {
  return [...detectronConvBN('backbone.stem.conv1'), ...detectronConvBN('backbone.res{i}.{i}.{conv1|conv2|conv3|shortcut}')];
}

function convnext(): KeyRule[] {
  const block = 'backbone.stages.{i}.{i}';
  return [
    // Stem: patchify conv then LN; later downsamplers: LN then conv.
    rule('backbone.downsample_layers.0.0.weight', conv),
    rule('backbone.downsample_layers.0.0.bias', identity),
    ...layerNorm('backbone.downsample_layers.0.1'),
    ...layerNorm('backbone.downsample_layers.{1|2|3}.0'),
    rule('backbone.downsample_layers.{1|2|3}.1.weight', conv),
    rule('backbone.downsample_layers.{1|2|3}.1.bias', identity),
    rule(`${block}.dwconv.weight`, depthwise),
    rule(`${block}.dwconv.bias`, identity),
    ...layerNorm(`${block}.norm`),
    rule(`${block}.{pwconv1|pwconv2}.weight`, linear),
    rule(`${block}.{pwconv1|pwconv2}.bias`, identity),
    rule(`${block}.gamma`, identity),
  ];
}

/**
 * Axial-ResNet (MaX-S), which exists only as deeplab2 checkpoints: these are the names
 * our reference gives it, deeplab2's modules in kMaX-PT's ConvBN style.
 */
function axialResnet(): KeyRule[] {
  return [...convBN('backbone.stem.{_conv1_bn_act|_conv2_bn_act|_conv3_bn}', conv), ...axialBlock('backbone.res{i}.{i}')];
}

/** deeplab2's AxialBlock (pixel decoder and Axial-ResNet), bottleneck or axial. */
function axialBlock(block: string): KeyRule[] {
  const axis = `${block}._attention.{_height_axis|_width_axis}`;
  return [
    ...convBN(`${block}.{_conv1_bn_act|_conv2_bn_act|_conv3_bn|_shortcut}`, conv),
    rule(`${axis}.qkv_transform.conv.weight`, conv1d),
    rule(`${axis}.{_query_rpe|_key_rpe|_value_rpe}._embeddings.weight`, identity),
    ...batchNorm(`${axis}.{_batch_norm_qkv|_batch_norm_similarity|_batch_norm_retrieved_output}`),
  ];
}

function pixelDecoder(): KeyRule[] {
  const decoder = 'sem_seg_head.pixel_decoder';
  return [
    ...layerNorm(`${decoder}._in_norms.{i}`),
    ...axialBlock(`${decoder}._stages.{i}._blocks.{i}`),
    ...convBN(`${decoder}._resized_fuses.{i}.{_conv_bn_low|_conv_bn_high}`, conv),
  ];
}

/** kMaXPredictor (spec 3.6), per layer and final. */
function predictor(p: string): KeyRule[] {
  return [
    ...convBN(`${p}._pixel_space_head_conv0bnact`, depthwise),
    ...convBN(`${p}._pixel_space_head_conv1bnact`, conv),
    ...convBN(`${p}._pixel_space_head_last_convbn`, conv),
    rule(`${p}._pixel_space_head_last_convbn.conv.bias`, identity),
    ...convBN(`${p}._transformer_mask_head`, conv1d),
    rule(`${p}._transformer_class_head.conv.weight`, conv1d),
    rule(`${p}._transformer_class_head.conv.bias`, identity),
    ...batchNorm(`${p}._pixel_space_mask_batch_norm`),
  ];
}

function transformerDecoder(): KeyRule[] {
  const head = 'sem_seg_head.predictor';
  const layer = `${head}._kmax_transformer_layers.{i}`;
  return [
    rule(`${head}._cluster_centers.weight`, clusterCenters),
    // Pixel-side 1x1 convs are Conv2d; query-side ones are Conv1d on [C, K] sequences.
    ...convBN(`${layer}.{_pixel_conv1_bn_act|_pixel_v_conv_bn}`, conv),
    ...convBN(
      `${layer}.{_query_conv1_bn_act|_query_qkv_conv_bn|_query_conv3_bn|_query_ffn_conv1_bn_act|_query_ffn_conv2_bn|_kmeans_query_conv3_bn}`,
      conv1d,
    ),
    ...batchNorm(`${layer}._kmeans_query_batch_norm_retrieved_value`),
    ...batchNorm(`${layer}._query_self_attention.{_batch_norm_similarity|_batch_norm_retrieved_value}`),
    ...predictor(`${layer}._predcitor`),
    ...predictor(`${head}._predcitor`),
    ...convBN(`${head}.{_class_embedding_projection|_mask_embedding_projection}`, conv1d),
  ];
}

export const PYTORCH_KEY_RULES: readonly KeyRule[] = [
  ...resnet(),
  ...convnext(),
  ...axialResnet(),
  ...pixelDecoder(),
  ...transformerDecoder(),
];

/**
 * Keys present in PT checkpoints that inference never reads (spec 8.1, T37): BN step
 * counters, and the train-only auxiliary semantic head (spec 3.8).
 */
export const PYTORCH_IGNORED: readonly RegExp[] = [
  /\.num_batches_tracked$/,
  /^sem_seg_head\.predictor\._auxiliary_semantic_predictor\./,
];

export function isIgnoredPytorchKey(key: string): boolean {
  return PYTORCH_IGNORED.some((pattern) => pattern.test(key));
}

/** The rule for a key, or undefined for a key that is not a kMaX-DeepLab weight. */
export function pytorchKeyRule(key: string): KeyRule | undefined {
  return PYTORCH_KEY_RULES.find((r) => r.pattern.test(key));
}
