/**
 * A kMaX-DeepLab variant as data. Every official checkpoint and every small test
 * model is one of these objects; no code branches on the variant's name.
 * Widths follow the PyTorch reference (bytedance/kmax-deeplab), which the official
 * presets fix and the reduced fixture/demo configs shrink.
 */

/** Backbone feature names, as the pixel decoder consumes them. */
export type BackboneFeature = 'stem' | 'res2' | 'res3' | 'res4' | 'res5';

/**
 * ResNet-50 family. `pytorch` is detectron2's ResNet (7x7 stem + ReLU + max-pool,
 * post-ReLU endpoints); `tf` is deeplab2's (no max-pool, stride-2 first block of
 * stage 2, pre-activation endpoints), spec 3.2 / T23.
 */
export interface ResNetConfig {
  readonly type: 'resnet';
  readonly variant: 'pytorch' | 'tf';
  readonly stemChannels: number;
  /** Blocks per stage res2..res5 (3/4/6/3 for R50). */
  readonly depths: readonly [number, number, number, number];
  /** Bottleneck widths per stage (64/128/256/512 for R50). */
  readonly bottleneckChannels: readonly [number, number, number, number];
  /** Output channels per stage (256/512/1024/2048 for R50). */
  readonly outChannels: readonly [number, number, number, number];
}

/** ConvNeXt (spec 3.3): depths and dims per stage. */
export interface ConvNeXtConfig {
  readonly type: 'convnext';
  readonly depths: readonly [number, number, number, number];
  readonly dims: readonly [number, number, number, number];
}

/**
 * deeplab2's Axial-ResNet (`kmax_axial_resnet50` = MaX-S with GeLU): an Inception stem
 * (three 3x3 convs, the first strided) and four stages of AxialBlocks, the first block of
 * each stage strided. Blocks whose input stride is at least `axialFromStride` replace the
 * 3x3 conv by axial attention (filters [2b, b, 4b]); the others are bottlenecks [b, b, 4b].
 */
export interface AxialResNetConfig {
  readonly type: 'axial-resnet';
  /** Widths of the stem's first two convs and of its third (64 and 128 in MaX-S). */
  readonly stemChannels: readonly [number, number];
  /** Blocks per stage res2..res5 (3/4/6/3 in MaX-S). */
  readonly depths: readonly [number, number, number, number];
  /** Base widths b per stage (64/128/256/512 in MaX-S); each stage outputs 4b channels. */
  readonly bases: readonly [number, number, number, number];
  /** Heads of the backbone's axial attention (8 in MaX-S). */
  readonly axialHeads: number;
  /** Input stride from which blocks are axial (16 in MaX-S: res4 after its first block, and res5). */
  readonly axialFromStride: number;
}

export type BackboneConfig = ResNetConfig | ConvNeXtConfig | AxialResNetConfig;

export interface PixelDecoderStageConfig {
  /** Base width: the stage outputs 4*base channels. */
  readonly base: number;
  readonly blocks: number;
  readonly type: 'axial' | 'bottleneck';
}

export interface PixelDecoderConfig {
  /** Backbone features, coarse to fine, one per stage (spec 3.4, T13). */
  readonly inputs: readonly BackboneFeature[];
  readonly stages: readonly PixelDecoderStageConfig[];
  /** Heads of the axial attention (8 in every official model). */
  readonly axialHeads: number;
}

export interface TransformerDecoderConfig {
  /** Number of cluster centres K. */
  readonly numClusters: number;
  /** Width of the cluster centres (in_channel_query, 256 officially). */
  readonly queryChannels: number;
  /** kMaX layer bottleneck width (256 officially). */
  readonly bottleneckChannels: number;
  /** Total key depth of the centre self-attention (128 officially). */
  readonly keyChannels: number;
  /** Total value depth: k-means values and self-attention values (256 officially). */
  readonly valueChannels: number;
  readonly heads: number;
  /** FFN hidden width (2048 officially). */
  readonly ffnChannels: number;
  /** kMaX layers per pixel-decoder output, coarse to fine (2,2,2 officially: D32, D16, D8). */
  readonly layersPerStage: readonly number[];
}

export interface PredictorConfig {
  /** Width of the pixel-space head after its depthwise conv (256 officially). */
  readonly headChannels: number;
  /** Width of the pixel and mask embeddings (128 officially). */
  readonly embeddingChannels: number;
}

/** How the network input is prepared and results mapped back (spec 2.1 vs 2.2, 5.1 vs 5.5). */
export type ProcessingStyle = 'pytorch' | 'tf';

export interface PostProcessConfig {
  readonly pixelThreshold: number;
  readonly classThresholdThing: number;
  readonly classThresholdStuff: number;
  readonly overlapThreshold: number;
  readonly reorderClassWeight: number;
  readonly reorderMaskWeight: number;
  /** deeplab2 area filter (tf style only), in pixels at crop resolution. */
  readonly thingAreaLimit: number;
  readonly stuffAreaLimit: number;
}

export interface ClassInfo {
  /** Contiguous id = class-head row. */
  readonly id: number;
  /** Dataset category id (COCO category id, Cityscapes labelId, ...). */
  readonly datasetId: number;
  readonly name: string;
  readonly isThing: boolean;
  readonly color: readonly [number, number, number];
}

export interface DatasetInfo {
  readonly name: string;
  readonly classes: readonly ClassInfo[];
}

export interface KMaXConfig {
  /** Preset or model name, for display. */
  readonly name: string;
  readonly backbone: BackboneConfig;
  readonly pixelDecoder: PixelDecoderConfig;
  readonly transformerDecoder: TransformerDecoderConfig;
  readonly predictor: PredictorConfig;
  /** Number of non-void classes C; class heads have C+1 rows, void last. */
  readonly numClasses: number;
  /** Network input size [height, width]; 32k+1 sizes (spec 1.3, T20). */
  readonly inputSize: readonly [number, number];
  readonly processing: ProcessingStyle;
  readonly postprocess: PostProcessConfig;
  /** Key of the dataset's class list (see src/datasets). */
  readonly dataset: string;
}
