import type { StateCreator } from 'zustand';
import type { BackendReport } from '../backend';
import type { StoredModel } from '../loading/model-store';
import type { ClassInfo, KMaXConfig } from '../model/config';
import type { AttentionMode } from '../segmenter/types';
import type { ConversionProgress } from '../worker/protocol';
import type { PlacedProblem } from './placed-problem';

/** A model folder served under models/ (its model.json URL). */
export interface ServedModel {
  readonly kind: 'served';
  readonly id: string;
  readonly name: string;
  readonly url: string;
  /** Sample pictures shipped with the model (models/<id>/samples/*.png), as URLs. */
  readonly samples: readonly string[];
  /** The attention its model.json says it was trained with (models/manifest.json carries it). */
  readonly trainedAttention?: AttentionMode;
  /** The optional reports its folder ships beside model.json (held-out.json, training-curve.json). */
  readonly reports: readonly string[];
}

/** A model converted from an official checkpoint and kept in this browser. */
export type ConvertedModel = StoredModel & {
  readonly kind: 'stored';
  /** Why its stored files failed their integrity check on the last load (the list offers to delete it). */
  readonly damaged?: string;
};

/** A model the app can load. */
export type ModelEntry = ServedModel | ConvertedModel;

/** A checkpoint conversion under way in the worker. */
export interface Conversion {
  readonly fileNames: readonly string[];
  /** Null until the worker reports the first bytes read. */
  readonly progress: ConversionProgress | null;
}

/** `rethresholding`: post-processing the kept network outputs again, no network run. */
export type EngineStatus = 'idle' | 'loading' | 'warming' | 'ready' | 'running' | 'rethresholding' | 'error';

/** What the engine is busy with: weight bytes arriving, or stages of a warm-up or real run finishing. */
export type EngineProgress =
  | { readonly phase: 'download'; readonly loaded: number; readonly total: number }
  | {
      readonly phase: 'warm-up' | 'segment';
      /** The last finished stage ('' before the first). */
      readonly stage: string;
      readonly done: number;
      readonly total: number;
      /** Warm-up: the stage being compiled now, and ms from the start to the last finished stage (for an estimate). */
      readonly next?: string;
      readonly elapsedMs?: number;
    };

/** The engine: which model, its loading progress, the backend and what went wrong. */
export interface ModelSlice {
  models: readonly ModelEntry[];
  modelId: string | null;
  engineStatus: EngineStatus;
  progress: EngineProgress | null;
  backend: BackendReport | null;
  modelName: string | null;
  /** The loaded model's configuration and weight bytes (shown in the model panel). */
  config: KMaXConfig | null;
  modelBytes: number | null;
  /** The attention the loaded model was trained with; null where its folder does not say. */
  trainedAttention: AttentionMode | null;
  numClusters: number;
  classes: readonly ClassInfo[];
  engineError: string | null;
  /** Device loss and recovery, in words, until the next run. */
  deviceNotice: string | null;
  conversion: Conversion | null;
  /** Square network input size for the next conversion; null keeps the detected (trained) size. */
  convertInputSize: number | null;
  /** Why the last conversion (or a stored-model operation) failed, shown where the user acted; the page carries on. */
  conversionError: PlacedProblem | null;
}

export const createModelSlice: StateCreator<ModelSlice, [], [], ModelSlice> = () => ({
  models: [],
  modelId: null,
  engineStatus: 'idle',
  progress: null,
  backend: null,
  modelName: null,
  config: null,
  modelBytes: null,
  trainedAttention: null,
  numClusters: 0,
  classes: [],
  engineError: null,
  deviceNotice: null,
  conversion: null,
  convertInputSize: null,
  conversionError: null,
});
