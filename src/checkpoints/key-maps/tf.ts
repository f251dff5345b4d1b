import { TF_LAYOUTS, type TfLayout } from './tf-layouts';

/**
 * deeplab2 (TF2) object-graph names -> PyTorch state-dict names, by the rules of
 * bytedance/kmax-deeplab's convert-tf-weights-to-d2.py (spec 8.3). Built like that
 * script: a BN rule and a conv rule emit name pairs, one function per component.
 * Each rule also carries the layout transform of its tensor (tf-layouts.ts).
 *
 * Templates use `{x}` for an index that is the same on both sides and `{x+1}` on the
 * TF side for PyTorch's 0-based index x (deeplab2 numbers blocks from 1). Rules work
 * both ways: TF -> PT to convert, PT -> TF to generate TF-named test inventories.
 */

export interface TfKeyRule {
  readonly tf: string;
  readonly pt: string;
  readonly layout: TfLayout;
  /** Class-head tensors, whose last axis needs the dataset's class re-ordering. */
  readonly classAxis: boolean;
  /** The auxiliary semantic head (spec 3.8): mapped, but inference never reads it. */
  readonly trainOnly: boolean;
  /**
   * An Axial-ResNet (MaX-S) backbone rule. Its blocks have the TF names of deeplab2's
   * ResNet blocks (`encoder/_stageS/_blockB/_conv1_bn_act`), so a checkpoint's backbone
   * (tfBackboneFamily) decides which of the two sets applies.
   */
  readonly axialResnet: boolean;
}

/** A TF2 checkpoint key's suffix for a variable's value. */
export const TF_VALUE_SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE';

/**
 * Checkpoint keys that are not model weights: optimizer slots and state, step and
 * save counters, the serialized object graph (the skip list of the upstream converter).
 */
export function isTfBookkeepingKey(key: string): boolean {
  return /\.OPTIMIZER_SLOT|optimizer|_CHECKPOINTABLE_OBJECT_GRAPH|save_counter|global_step/.test(key);
}

export function stripTfValueSuffix(key: string): string {
  return key.endsWith(TF_VALUE_SUFFIX) ? key.slice(0, -TF_VALUE_SUFFIX.length) : key;
}

const L = TF_LAYOUTS;

interface RuleOptions {
  readonly classAxis?: boolean;
  readonly trainOnly?: boolean;
}

function pair(tf: string, pt: string, layout: TfLayout, options: RuleOptions = {}): TfKeyRule {
  return { tf, pt, layout, classAxis: options.classAxis ?? false, trainOnly: options.trainOnly ?? false, axialResnet: false };
}

/** BN rule: gamma/beta/moving_mean/moving_variance -> weight/bias/running_mean/running_var. */
function bn(tf: string, pt: string, layout: TfLayout = L.batchNorm, options?: RuleOptions): TfKeyRule[] {
  return [
    pair(`${tf}/gamma`, `${pt}.weight`, layout, options),
    pair(`${tf}/beta`, `${pt}.bias`, layout, options),
    pair(`${tf}/moving_mean`, `${pt}.running_mean`, layout, options),
    pair(`${tf}/moving_variance`, `${pt}.running_var`, layout, options),
  ];
}

/** The BN rule for LayerNorms, which have only gamma and beta. */
function ln(tf: string, pt: string): TfKeyRule[] {
  return [pair(`${tf}/gamma`, `${pt}.weight`, L.batchNorm), pair(`${tf}/beta`, `${pt}.bias`, L.batchNorm)];
}

interface ConvOptions extends RuleOptions {
  readonly bias?: boolean;
  /** Keras DepthwiseConv2D names its kernel `depthwise_kernel`. */
  readonly depthwise?: boolean;
}

/** Conv rule: kernel (or depthwise_kernel) -> weight, and bias -> bias when the layer has one. */
function conv(tf: string, pt: string, layout: TfLayout, options: ConvOptions = {}): TfKeyRule[] {
  const kernel = pair(`${tf}/${options.depthwise ? 'depthwise_kernel' : 'kernel'}`, `${pt}.weight`, layout, options);
  return options.bias ? [kernel, pair(`${tf}/bias`, `${pt}.bias`, L.vector, options)] : [kernel];
}

/** deeplab2 conv+BN unit (`X/_conv`, `X/_batch_norm`) <-> kMaX-PT ConvBN (`Y.conv`, `Y.norm`). */
function convBn(tf: string, pt: string, layout: TfLayout, options?: RuleOptions): TfKeyRule[] {
  return [...conv(`${tf}/_conv`, `${pt}.conv`, layout, options), ...bn(`${tf}/_batch_norm`, `${pt}.norm`, L.batchNorm, options)];
}

const RESNET_UNITS: readonly (readonly [string, string])[] = [
  ['_conv1_bn_act', 'conv1'],
  ['_conv2_bn_act', 'conv2'],
  ['_conv3_bn', 'conv3'],
  ['_shortcut', 'shortcut'],
];

function resnet(): TfKeyRule[] {
  return [
    ...conv('encoder/_stem/_conv', 'backbone.stem.conv1', L.conv2d),
    ...bn('encoder/_stem/_batch_norm', 'backbone.stem.conv1.norm'),
    ...RESNET_UNITS.flatMap(([tf, pt]) => [
      ...conv(`encoder/_stage{s}/_block{b+1}/${tf}/_conv`, `backbone.res{s}.{b}.${pt}`, L.conv2d),
      ...bn(`encoder/_stage{s}/_block{b+1}/${tf}/_batch_norm`, `backbone.res{s}.{b}.${pt}.norm`),
    ]),
  ];
}

/** Keras Sequential slots count only layers that own weights (`layer_with_weights-k`). */
function convnext(): TfKeyRule[] {
  const down = 'encoder/downsample_layers';
  const block = 'encoder/stages/{i}/layer_with_weights-{j}';
  const ptBlock = 'backbone.stages.{i}.{j}';
  return [
    // Stem: patchify conv, then LN; the later downsamplers: LN, then conv.
    ...conv(`${down}/0/layer_with_weights-0`, 'backbone.downsample_layers.0.0', L.conv2d, { bias: true }),
    ...ln(`${down}/0/layer_with_weights-1`, 'backbone.downsample_layers.0.1'),
    ...ln(`${down}/{d}/layer_with_weights-0`, 'backbone.downsample_layers.{d}.0'),
    ...conv(`${down}/{d}/layer_with_weights-1`, 'backbone.downsample_layers.{d}.1', L.conv2d, { bias: true }),
    ...conv(`${block}/depthwise_conv`, `${ptBlock}.dwconv`, L.groupedDepthwise, { bias: true }),
    ...ln(`${block}/norm`, `${ptBlock}.norm`),
    ...conv(`${block}/pointwise_conv1`, `${ptBlock}.pwconv1`, L.matrix, { bias: true }),
    ...conv(`${block}/pointwise_conv2`, `${ptBlock}.pwconv2`, L.matrix, { bias: true }),
    pair(`${block}/layer_scale`, `${ptBlock}.gamma`, L.layerScale),
  ];
}

/** deeplab2's Axial-ResNet (MaX-S): Inception stem, AxialBlocks (pytorch.ts names them). */
function axialResnet(): TfKeyRule[] {
  return [
    ...['_conv1_bn_act', '_conv2_bn_act', '_conv3_bn'].flatMap((unit) => convBn(`encoder/_stem/${unit}`, `backbone.stem.${unit}`, L.conv2d)),
    ...axialBlock('encoder/_stage{s}/_block{b+1}', 'backbone.res{s}.{b}'),
  ].map((rule) => ({ ...rule, axialResnet: true }));
}

/** deeplab2's AxialBlock, bottleneck or axial (pixel decoder and Axial-ResNet). */
function axialBlock(tf: string, pt: string): TfKeyRule[] {
  const units = ['_shortcut', '_conv1_bn_act', '_conv2_bn_act', '_conv3_bn'];
  return [
    ...units.flatMap((unit) => convBn(`${tf}/${unit}`, `${pt}.${unit}`, L.conv2d)),
    ...['height', 'width'].flatMap((axis) => axialAttention(`${tf}/_attention/_${axis}_axis`, `${pt}._attention._${axis}_axis`)),
  ];
}

function pixelDecoder(): TfKeyRule[] {
  const pt = 'sem_seg_head.pixel_decoder';
  return [
    ...ln('pixel_decoder/_backbone_norms/{i}', `${pt}._in_norms.{i}`),
    ...convBn('pixel_decoder/_skip_connections/{i}/_resized_conv_bn1', `${pt}._resized_fuses.{i}._conv_bn_low`, L.conv2d),
    ...convBn('pixel_decoder/_skip_connections/{i}/_resized_conv_bn2', `${pt}._resized_fuses.{i}._conv_bn_high`, L.conv2d),
    ...axialBlock('pixel_decoder/_stages/{s}/_block{b+1}', `${pt}._stages.{s}._blocks.{b}`),
  ];
}

function axialAttention(tf: string, pt: string): TfKeyRule[] {
  return [
    pair(`${tf}/qkv_kernel`, `${pt}.qkv_transform.conv.weight`, L.matrix),
    ...['query', 'key', 'value'].map((t) => pair(`${tf}/_${t}_rpe/embeddings`, `${pt}._${t}_rpe._embeddings.weight`, L.matrix)),
    ...bn(`${tf}/_batch_norm_qkv`, `${pt}._batch_norm_qkv`),
    ...bn(`${tf}/_batch_norm_similarity`, `${pt}._batch_norm_similarity`, L.axialSimilarityBN),
    ...bn(`${tf}/_batch_norm_retrieved_output`, `${pt}._batch_norm_retrieved_output`, L.axialOutputBN),
  ];
}

/** kMaX predictor: TF names under `tf` (a path prefix), PT under `pt` (ending in `_predcitor.`). */
function predictor(tf: string, pt: string): TfKeyRule[] {
  const head = `${tf}pixel_space_head/conv_block/_conv1_bn_act`;
  return [
    ...conv(`${head}/_depthwise/_depthwise_conv`, `${pt}_pixel_space_head_conv0bnact.conv`, L.conv2d, { depthwise: true }),
    ...bn(`${head}/_depthwise/_batch_norm`, `${pt}_pixel_space_head_conv0bnact.norm`),
    ...convBn(`${head}/_pointwise`, `${pt}_pixel_space_head_conv1bnact`, L.conv2d),
    ...conv(`${tf}pixel_space_head/final_conv`, `${pt}_pixel_space_head_last_convbn.conv`, L.conv2d, { bias: true }),
    ...bn(`${tf}pixel_space_feature_batch_norm`, `${pt}_pixel_space_head_last_convbn.norm`),
    ...bn(`${tf}pixel_space_mask_batch_norm`, `${pt}_pixel_space_mask_batch_norm`),
    ...conv(`${tf}transformer_class_head/_conv`, `${pt}_transformer_class_head.conv`, L.conv1d, { bias: true, classAxis: true }),
    ...convBn(`${tf}transformer_mask_head`, `${pt}_transformer_mask_head`, L.conv1d),
  ];
}

/** deeplab2 calls the cluster centres "memory"; the PT port calls them "query". */
const KMAX_QUERY_UNITS: readonly (readonly [string, string])[] = [
  ['_memory_conv1_bn_act', '_query_conv1_bn_act'],
  ['_memory_qkv_conv_bn', '_query_qkv_conv_bn'],
  ['_memory_conv3_bn', '_query_conv3_bn'],
  ['_memory_ffn_conv1_bn_act', '_query_ffn_conv1_bn_act'],
  ['_memory_ffn_conv2_bn', '_query_ffn_conv2_bn'],
  ['_kmeans_memory_conv3_bn', '_kmeans_query_conv3_bn'],
];

function transformerDecoder(): TfKeyRule[] {
  const pt = 'sem_seg_head.predictor';
  const layer = 'transformer_decoder/_kmax_decoder/{l}/_block1_transformer/';
  const ptLayer = `${pt}._kmax_transformer_layers.{l}.`;
  return [
    pair('transformer_decoder/cluster_centers', `${pt}._cluster_centers.weight`, L.clusterCenters),
    ...['class', 'mask'].flatMap((p) =>
      convBn(`transformer_decoder/_${p}_embedding_projection`, `${pt}._${p}_embedding_projection`, L.conv1d),
    ),
    ...predictor('', `${pt}._predcitor.`),
    ...KMAX_QUERY_UNITS.flatMap(([tf, ptUnit]) => convBn(`${layer}${tf}`, `${ptLayer}${ptUnit}`, L.conv1d)),
    // Pixel-side 1x1 convs: Conv1D on flattened pixels in TF, Conv2d in PT.
    ...['_pixel_conv1_bn_act', '_pixel_v_conv_bn'].flatMap((unit) => convBn(`${layer}${unit}`, `${ptLayer}${unit}`, L.conv1dAs1x1)),
    ...bn(`${layer}_memory_attention/_batch_norm_similarity`, `${ptLayer}_query_self_attention._batch_norm_similarity`),
    ...bn(
      `${layer}_memory_attention/_batch_norm_retrieved_value`,
      `${ptLayer}_query_self_attention._batch_norm_retrieved_value`,
      L.attentionValueBN,
    ),
    ...bn(`${layer}_kmeans_memory_batch_norm_retrieved_value`, `${ptLayer}_kmeans_query_batch_norm_retrieved_value`),
    ...predictor(`${layer}_auxiliary_clustering_predictor/_`, `${ptLayer}_predcitor.`),
  ];
}

/** Train-only auxiliary semantic head (COCO-style PT names, as the upstream converter writes them). */
function semanticHead(): TfKeyRule[] {
  const pt = 'sem_seg_head.predictor._auxiliary_semantic_predictor.';
  const train = { trainOnly: true };
  const aspp = 'semantic_decoder/_aspp';
  const separable = (tf: string, depthwisePt: string, pointwisePt: string) => [
    ...conv(`${tf}/_conv1_bn_act/_depthwise/_depthwise_conv`, `${pt}${depthwisePt}.conv`, L.conv2d, { ...train, depthwise: true }),
    ...bn(`${tf}/_conv1_bn_act/_depthwise/_batch_norm`, `${pt}${depthwisePt}.norm`, L.batchNorm, train),
    ...convBn(`${tf}/_conv1_bn_act/_pointwise`, `${pt}${pointwisePt}`, L.conv2d, train),
  ];
  return [
    ...convBn(`${aspp}/_conv_bn_act`, `${pt}_aspp._aspp_conv0`, L.conv2d, train),
    ...convBn(`${aspp}/_aspp_conv{i}/_conv_bn_act`, `${pt}_aspp._aspp_conv{i}`, L.conv2d, train),
    ...convBn(`${aspp}/_aspp_pool/_conv_bn_act`, `${pt}_aspp._aspp_pool`, L.conv2d, train),
    ...convBn(`${aspp}/_proj_conv_bn_act`, `${pt}_aspp._proj_conv_bn_act`, L.conv2d, train),
    ...convBn('semantic_decoder/_low_level_conv1', `${pt}_low_level_projection_os8`, L.conv2d, train),
    ...convBn('semantic_decoder/_low_level_conv2', `${pt}_low_level_projection_os4`, L.conv2d, train),
    ...separable('semantic_decoder/_fusion_conv1', '_low_level_fusion_os8_conv0_bn_act', '_low_level_fusion_os8_conv1_bn_act'),
    ...separable('semantic_decoder/_fusion_conv2', '_low_level_fusion_os4_conv0_bn_act', '_low_level_fusion_os4_conv1_bn_act'),
    ...separable('semantic_head_without_last_layer', 'conv_block_0', 'conv_block_1'),
    ...conv('semantic_last_layer', `${pt}final_conv.conv`, L.conv2d, { ...train, bias: true }),
  ];
}

export const TF_KEY_RULES: readonly TfKeyRule[] = [
  // Before resnet(): in an Axial-ResNet checkpoint they claim the shared block names first.
  ...axialResnet(),
  ...resnet(),
  ...convnext(),
  ...pixelDecoder(),
  ...transformerDecoder(),
  ...semanticHead(),
];

/** A rule with its templates compiled, for matching one side and filling in the other. */
interface CompiledRule {
  readonly rule: TfKeyRule;
  readonly tf: Template;
  readonly pt: Template;
}

interface Template {
  readonly pattern: RegExp;
  /** Per capture group: the index name and the offset this side adds to it. */
  readonly slots: readonly { readonly name: string; readonly offset: number }[];
  readonly text: string;
}

const SLOT = /\{(\w+)(\+1)?\}/g;

function compile(text: string): Template {
  const slots: { name: string; offset: number }[] = [];
  const source = text
    .split(SLOT)
    .reduce<string[]>((parts, piece, i) => {
      // split() with 2 capture groups yields [text, name, plus, text, name, plus, ...].
      if (i % 3 === 0) parts.push(piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      else if (i % 3 === 1) {
        slots.push({ name: piece, offset: 0 });
        parts.push('(\\d+)');
      } else if (piece !== undefined) slots[slots.length - 1].offset = 1;
      return parts;
    }, [])
    .join('');
  return { pattern: new RegExp(`^${source}$`), slots, text };
}

/** Indices bound by matching `key` against `from`, written into `to`; undefined if no match. */
function translate(key: string, from: Template, to: Template): string | undefined {
  const match = from.pattern.exec(key);
  if (match === null) return undefined;
  const values = new Map(from.slots.map((slot, i) => [slot.name, Number(match[i + 1]) - slot.offset]));
  return to.text.replace(SLOT, (_all, name: string, plus?: string) => String(values.get(name)! + (plus ? 1 : 0)));
}

const COMPILED: readonly CompiledRule[] = TF_KEY_RULES.map((rule) => ({ rule, tf: compile(rule.tf), pt: compile(rule.pt) }));

export interface TfKeyMatch {
  /** The other side's name: the PyTorch name for tfKeyRule, the TF name for pytorchKeyToTf. */
  readonly name: string;
  readonly rule: TfKeyRule;
}

/** deeplab2 backbones whose TF names overlap: the Axial-ResNet's blocks are named like the ResNet's. */
export type TfBackboneFamily = 'axial-resnet' | 'other';

/** The Axial-ResNet is the one deeplab2 backbone with an Inception stem (`encoder/_stem/_conv1_bn_act`). */
export function tfBackboneFamily(keys: Iterable<string>): TfBackboneFamily {
  for (const key of keys) if (key.startsWith('encoder/_stem/_conv1_bn_act/')) return 'axial-resnet';
  return 'other';
}

/**
 * The PyTorch name and rule of a TF variable (key with or without the value suffix),
 * for a checkpoint of the given backbone family (tfBackboneFamily of its keys).
 */
export function tfKeyRule(tfKey: string, family: TfBackboneFamily = 'other'): TfKeyMatch | undefined {
  const key = stripTfValueSuffix(tfKey);
  for (const c of COMPILED) {
    if (c.rule.axialResnet !== (family === 'axial-resnet') && c.rule.tf.startsWith('encoder/')) continue;
    const name = translate(key, c.tf, c.pt);
    if (name !== undefined) return { name, rule: c.rule };
  }
  return undefined;
}

/** The TF variable path (without the value suffix) of a PyTorch name, by the same rules. */
export function pytorchKeyToTf(ptKey: string): TfKeyMatch | undefined {
  for (const c of COMPILED) {
    const name = translate(ptKey, c.pt, c.tf);
    if (name !== undefined) return { name, rule: c.rule };
  }
  return undefined;
}
