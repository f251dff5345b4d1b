import type { ClassInfo, KMaXConfig, PostProcessConfig } from '../model/config';
import type { AttentionMode } from '../model/transformer-decoder/attention-mode';
import type { LayerRecord } from '../model/transformer-decoder/layer-record';

export { ATTENTION_MODES } from '../model/transformer-decoder/attention-mode';
export type { AttentionMode, LayerRecord };

/** An RGB(A) 8-bit image in row-major order, already decoded. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width * height * channels bytes. */
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly channels: 3 | 4;
}

export interface SegmentOptions {
  /** Network input size; defaults to the model's. 32k+1 sizes (641, 1281, ...). */
  readonly inputSize?: number | readonly [number, number];
  /** One mode for every layer, or one per kMaX layer. Default `kmeans`. */
  readonly attention?: AttentionMode | readonly AttentionMode[];
  /** Record per-layer stage outputs (assignments, cluster sizes, class probabilities). */
  readonly stages?: boolean;
  /** With `stages`: also the soft maps (softmax over clusters, and over pixels). */
  readonly softMaps?: boolean;
  /** Post-processing thresholds overriding the model's defaults. */
  readonly thresholds?: Partial<PostProcessConfig>;
  readonly semantic?: boolean;
  readonly instances?: boolean;
  /** Return the intermediate tensors named in issue 2 (for `kmax segment --dump`). */
  readonly dump?: boolean;
  /**
   * Keep this run's final class and mask logits (as plain arrays, no tensor) so
   * that `repostprocess` can redo post-processing without the network; they
   * stay until the next run that keeps its outputs (runs that do not, such as
   * a comparison's second plan, leave them alone).
   */
  readonly keepOutputs?: boolean;
  /** Called as each stage finishes. */
  readonly onProgress?: (event: StageEvent) => void;
  /**
   * Stops the run at the next stage boundary: `segment` then rejects with the signal's
   * reason, and the tensors made so far are freed (a stage in flight on the GPU cannot be cut).
   */
  readonly signal?: AbortSignal;
}

export interface StageEvent {
  readonly stage: string;
  readonly index: number;
  readonly total: number;
}

export interface Segment {
  /** Segment id in the panoptic map (1..n; 0 is void). */
  readonly id: number;
  /** Contiguous class id (class-head row). */
  readonly classId: number;
  /** Dataset category id (COCO category id etc.). */
  readonly categoryId: number;
  readonly name: string;
  readonly isThing: boolean;
  readonly score: number;
  readonly area: number;
  /** Cluster that produced it. */
  readonly cluster: number;
}

export interface PanopticResult {
  readonly width: number;
  readonly height: number;
  /** Segment id per pixel, row-major; 0 = void. */
  readonly ids: Int32Array;
  readonly segments: readonly Segment[];
  /** Per cluster (index = cluster), why post-processing kept or dropped its mask (Compare explains vanished segments with it). */
  readonly clusters?: readonly ClusterVerdict[];
}

/**
 * What post-processing made of one cluster's mask, checked in this order: its class
 * score against the thing/stuff threshold, an empty mask (no pixel above the pixel
 * threshold), the share of its pixels still free (overlap rule), then (deeplab2 only)
 * the area limits and whether any pixel of the raw image shows it.
 */
export type ClusterOutcome =
  /** It made segment `segmentId` (a stuff cluster may join its class's first segment). */
  | { readonly kind: 'kept'; readonly segmentId: number }
  /** Score failed `score > threshold` (PyTorch) or `score >= threshold` (deeplab2). */
  | { readonly kind: 'class-score'; readonly threshold: number; readonly rule: '>' | '>=' }
  | { readonly kind: 'empty-mask'; readonly pixelThreshold: number }
  /** Only `free` of its `pixels` were still free; it needed more than `overlapThreshold` of them. */
  | { readonly kind: 'overlap'; readonly free: number; readonly pixels: number; readonly overlapThreshold: number }
  /** deeplab2: a thing segment (or all of a stuff class) under `limit` pixels at crop resolution. */
  | { readonly kind: 'area'; readonly area: number; readonly limit: number }
  /** deeplab2: pasted, but no pixel of the raw image samples it (padding, or lost to the resize). */
  | { readonly kind: 'off-image' };

export interface ClusterVerdict {
  /** The cluster's most probable class (class-head row) and its probability. */
  readonly classId: number;
  readonly score: number;
  readonly isThing: boolean;
  /** Pixels of its binary mask (probability above the pixel threshold), at the resolution post-processing pasted at. */
  readonly pixels: number;
  readonly outcome: ClusterOutcome;
}

export interface Instance {
  readonly classId: number;
  readonly score: number;
  readonly cluster: number;
  /** 1 where the pixel belongs to the instance, row-major at the image size. */
  readonly mask: Uint8Array;
}

export interface DumpedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly layout: string;
  readonly data: Float32Array | Int32Array;
}

export interface StageTiming {
  readonly stage: string;
  readonly ms: number;
}

export interface SegmentResult {
  readonly panoptic: PanopticResult;
  /** Class id per pixel (spec 5.2), when asked. */
  readonly semantic?: Int32Array;
  readonly instances?: readonly Instance[];
  readonly layers?: readonly LayerRecord[];
  readonly timings: readonly StageTiming[];
  readonly tensors?: readonly DumpedTensor[];
  /** Network input size actually used, [h, w]. */
  readonly inputSize: readonly [number, number];
}

/** What post-processing alone can change: thresholds and the extra semantic / instance outputs. */
export type RepostprocessOptions = Pick<SegmentOptions, 'thresholds' | 'semantic' | 'instances'>;

/** A post-processing pass over kept network outputs: the new panoptic (and semantic / instance) result and its time. */
export type RepostprocessResult = Pick<SegmentResult, 'panoptic' | 'semantic' | 'instances' | 'timings'>;

export interface Segmenter {
  readonly config: KMaXConfig;
  readonly classes: readonly ClassInfo[];
  /** The attention the weights were trained with, where the model folder records it. */
  readonly trainedAttention?: AttentionMode;
  segment(image: RgbImage, options?: SegmentOptions): Promise<SegmentResult>;
  /**
   * Post-processes the outputs kept by the last `segment` call with `keepOutputs`
   * again, with other thresholds or outputs; throws if none were kept.
   */
  repostprocess?(options: RepostprocessOptions): Promise<RepostprocessResult>;
  dispose(): void;
}
