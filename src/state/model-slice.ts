import type { StateCreator } from 'zustand';
import type { BackendReport } from '../backend';
import type { ClassInfo } from '../model/config';

/** A model the app can load: a served folder's model.json. */
export interface ModelEntry {
  readonly id: string;
  readonly name: string;
  readonly url: string;
}

export type EngineStatus = 'idle' | 'loading' | 'ready' | 'running' | 'error';

/** The engine: which model, its loading progress, the backend and what went wrong. */
export interface ModelSlice {
  models: readonly ModelEntry[];
  modelId: string | null;
  engineStatus: EngineStatus;
  progress: { loaded: number; total: number } | null;
  backend: BackendReport | null;
  modelName: string | null;
  numClusters: number;
  classes: readonly ClassInfo[];
  engineError: string | null;
  /** Device loss and recovery, in words, until the next run. */
  deviceNotice: string | null;
}

export const createModelSlice: StateCreator<ModelSlice, [], [], ModelSlice> = () => ({
  models: [],
  modelId: null,
  engineStatus: 'idle',
  progress: null,
  backend: null,
  modelName: null,
  numClusters: 0,
  classes: [],
  engineError: null,
  deviceNotice: null,
});
