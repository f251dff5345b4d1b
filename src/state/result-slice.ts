import type { StateCreator } from 'zustand';
import type { AttentionMode, RgbImage, SegmentResult } from '../segmenter/types';
import type { GroundTruthMap } from '../eval/layer-covering';
import type { RunComparison } from '../viz';

export interface LoadedImage {
  readonly name: string;
  readonly pixels: RgbImage;
  /** Set when the picture was scaled down before segmentation (over 50 MP). */
  readonly downscaledFrom?: readonly [number, number];
  /** The ground truth a shipped sample comes with (COCO panoptic, at the picture's size). */
  readonly truth?: GroundTruthMap;
}

/** The per-layer attention of one run, and how the UI names it. */
export interface AttentionPlan {
  readonly schedule: readonly AttentionMode[];
  readonly label: string;
}

export interface Comparison {
  readonly plans: readonly [AttentionPlan, AttentionPlan];
  readonly results: readonly [SegmentResult, SegmentResult];
  readonly numbers: RunComparison;
}

/** The current picture and results: plain arrays only, replaced whole, never tensors. */
export interface ResultSlice {
  image: LoadedImage | null;
  result: SegmentResult | null;
  /** The picture `result` belongs to (it stays while a newer picture is being segmented). */
  resultFor: LoadedImage | null;
  /** Attention plan `result` was computed with. */
  resultPlan: AttentionPlan | null;
  comparison: Comparison | null;
  /** A problem with the last input (broken file...); the previous result stays. */
  inputError: string | null;
  /** Worker time of the last re-post-processing (view switch), in ms; null until one ran. */
  lastPostprocessMs: number | null;
}

export const createResultSlice: StateCreator<ResultSlice, [], [], ResultSlice> = () => ({
  image: null,
  result: null,
  resultFor: null,
  resultPlan: null,
  comparison: null,
  inputError: null,
  lastPostprocessMs: null,
});
