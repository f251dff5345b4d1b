import type { StateCreator } from 'zustand';
import type { ClassInfo } from '../model/config';
import type { AttentionMode, RgbImage, SegmentResult } from '../segmenter/types';
import type { GroundTruthMap } from '../eval/layer-covering';
import type { ResizedSize, RunComparison, VanishedSegment } from '../viz';
import type { HeldOutReport, TrainingCurve } from './model-reports';
import type { PlacedProblem } from './placed-problem';

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

/** One model of a two-model comparison, with what its folder ships beside model.json. */
export interface ComparedModel {
  readonly id: string;
  readonly name: string;
  readonly trainedAttention: AttentionMode | null;
  readonly heldOut: HeldOutReport | null;
}

/** A served model's training curve, for the plot beside a two-model comparison. */
export interface ModelCurve extends TrainingCurve {
  readonly id: string;
  readonly name: string;
}

export interface Comparison {
  readonly plans: readonly [AttentionPlan, AttentionPlan];
  readonly results: readonly [SegmentResult, SegmentResult];
  readonly numbers: RunComparison;
  /** Each run's classes (the same twice unless two models are compared). */
  readonly classes: readonly [readonly ClassInfo[], readonly ClassInfo[]];
  /** Where the photo sits in each run's network input. */
  readonly resized: readonly [ResizedSize, ResizedSize];
  /** The layer the comparison opened at: the first whose pixel-to-cluster assignment differs (the final layer's index if none does). */
  readonly openedAt: number;
  /** Final segments of one run with no counterpart in the other, with the other run's verdict. */
  readonly vanished: readonly VanishedSegment[];
  /** Set when two models are compared: their cluster ids are unrelated, so layers pair clusters by overlap. */
  readonly models?: readonly [ComparedModel, ComparedModel];
  /** With `models`: the training curves every served model ships. */
  readonly curves?: readonly ModelCurve[];
  /** With `models`: shipped report files that could not be read. */
  readonly reportProblems?: readonly string[];
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
  /** A problem with the last input (broken file...), shown where the user gave it; the previous result stays. */
  inputError: PlacedProblem | null;
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
