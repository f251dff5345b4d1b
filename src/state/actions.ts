import { describeBackend } from '../backend/backend-report';
import type { AttentionMode } from '../segmenter/types';
import { compareRuns } from '../viz';
import { CancelledError } from '../worker/errors';
import type { WorkerSegmenterClient } from '../worker/client';
import { engine } from './engine';
import type { ModelEntry } from './model-slice';
import type { LoadedImage } from './result-slice';
import { useAppStore, type AppState } from './store';
import type { ColourBy } from './view-slice';

// Actions are plain functions over the store, callable from components, worker
// callbacks and tests alike. The segmenter itself stays out of the store.
const set = (partial: Partial<AppState>) => useAppStore.setState(partial);
const get = () => useAppStore.getState();

let segmenter: WorkerSegmenterClient | undefined;
let running: AbortController | undefined;
let unsubscribe: (() => void) | undefined;

/** Reads the served model list, picks the remembered (or `?model=`) model and loads it. */
export async function startApp(base: string, requested: string | null): Promise<void> {
  listenToDeviceLoss();
  let models: ModelEntry[] = [];
  try {
    const response = await fetch(`${base}models/manifest.json`);
    if (response.ok) models = ((await response.json()) as { models: { id: string; name: string; path: string }[] }).models.map((m) => ({ id: m.id, name: m.name, url: `${base}models/${m.path}` }));
  } catch {
    // No manifest: the list stays empty and the status says so.
  }
  set({ models });
  if (models.length === 0) {
    set({ engineStatus: 'error', engineError: 'no models are served under models/; add a model folder (see README)' });
    return;
  }
  const remembered = requested ?? get().modelId;
  await loadModel(models.some((m) => m.id === remembered) ? (remembered as string) : models[0].id);
}

export async function loadModel(id: string): Promise<void> {
  const entry = get().models.find((m) => m.id === id);
  if (entry === undefined) return;
  running?.abort();
  set({ modelId: id, engineStatus: 'loading', progress: { loaded: 0, total: 0 }, engineError: null });
  try {
    segmenter = await engine().load({ kind: 'url', url: new URL(entry.url, location.href).toString() }, { onProgress: (e) => set({ progress: { loaded: e.loaded, total: e.total } }) });
    set({
      engineStatus: 'ready',
      progress: null,
      backend: segmenter.backend,
      modelName: segmenter.config.name,
      numClusters: segmenter.config.transformerDecoder.numClusters,
      classes: segmenter.classes,
      comparison: null,
    });
    if (get().image !== null) await runSegmentation();
  } catch (error) {
    segmenter = undefined;
    set({ engineStatus: 'error', progress: null, engineError: `could not load model "${entry.name}": ${messageOf(error)}` });
  }
}

/** Loads a model folder produced by converting an official checkpoint in the worker. */
export async function convertCheckpoint(file: File): Promise<void> {
  set({ engineStatus: 'loading', engineError: null });
  try {
    const files = await engine().convert(file.name, new Uint8Array(await file.arrayBuffer()));
    segmenter = await engine().load({ kind: 'files', files });
    set({ engineStatus: 'ready', backend: segmenter.backend, modelName: segmenter.config.name, numClusters: segmenter.config.transformerDecoder.numClusters, classes: segmenter.classes });
    if (get().image !== null) await runSegmentation();
  } catch (error) {
    set({ engineStatus: segmenter === undefined ? 'error' : 'ready', engineError: `could not convert "${file.name}": ${messageOf(error)}` });
  }
}

/** Shows a new picture and segments it; the previous result stays until the new one arrives. */
export async function showImage(image: LoadedImage): Promise<void> {
  set({ image, inputError: null, comparison: null, selectedCluster: null });
  await runSegmentation();
}

export function reportInputError(message: string): void {
  set({ inputError: message });
}

/** Segments the current picture with the current attention mode (a newer run cancels an older one). */
export async function runSegmentation(): Promise<void> {
  const { image, attention } = get();
  if (image === null || segmenter === undefined) return;
  running?.abort();
  const controller = new AbortController();
  running = controller;
  set({ engineStatus: 'running', engineError: null });
  try {
    const result = await segmenter.segment(image.pixels, { attention, stages: true, softMaps: true, signal: controller.signal });
    if (controller.signal.aborted) return;
    set({ result, resultFor: image, resultMode: attention, engineStatus: 'ready' });
  } catch (error) {
    if (error instanceof CancelledError || controller.signal.aborted) return;
    set({ engineStatus: 'error', engineError: `segmentation failed: ${messageOf(error)}` });
  } finally {
    if (running === controller) running = undefined;
  }
}

/** Runs argmax and the other chosen mode (softmax when argmax is chosen) and compares them. */
export async function compareAttention(): Promise<void> {
  const { image, attention } = get();
  if (image === null || segmenter === undefined) return;
  const modes: [AttentionMode, AttentionMode] = ['kmeans', attention === 'kmeans' ? 'softmax' : attention];
  set({ engineStatus: 'running', engineError: null });
  try {
    const results = await Promise.all(modes.map((mode) => (segmenter as WorkerSegmenterClient).segment(image.pixels, { attention: mode, stages: true })));
    const finalOf = (i: number) => results[i].layers?.find((l) => l.final);
    const numbers = compareRuns({ panoptic: results[0].panoptic, final: finalOf(0) }, { panoptic: results[1].panoptic, final: finalOf(1) });
    set({ comparison: { modes, results: [results[0], results[1]], numbers }, engineStatus: 'ready' });
  } catch (error) {
    set({ engineStatus: 'error', engineError: `comparison failed: ${messageOf(error)}` });
  }
}

export async function setAttention(attention: AttentionMode): Promise<void> {
  set({ attention });
  await runSegmentation();
}

export const setOpacity = (opacity: number) => set({ opacity });
export const setContours = (contours: boolean) => set({ contours });
export const setLabels = (labels: boolean) => set({ labels });
export const setColourBy = (colourBy: ColourBy) => set({ colourBy });
export const setLayer = (layer: number) => set({ layer: Math.min(6, Math.max(0, layer)) });
export const selectCluster = (selectedCluster: number | null) => set({ selectedCluster });
export const setPlaying = (playing: boolean) => set({ playing });

/** Moves the stage explorer one layer on, wrapping after the final one (the play loop). */
export function stepLayer(delta: 1 | -1): void {
  set({ layer: (get().layer + delta + 7) % 7 });
}

/** Debug and e2e hook: destroys the worker's GPU device. */
export async function loseDevice(): Promise<boolean> {
  return engine().loseDevice();
}

export function engineStatusLine(state: Pick<AppState, 'backend' | 'engineStatus' | 'modelName' | 'progress'>): string {
  const backend = state.backend === null ? 'choosing a backend' : `Backend: ${describeBackend(state.backend)}`;
  const model = state.modelName === null ? '' : ` · Model: ${state.modelName}`;
  const progress = state.progress !== null && state.progress.total > 0 ? ` ${Math.round((100 * state.progress.loaded) / state.progress.total)}%` : '';
  return `${backend}${model} · ${state.engineStatus}${progress}`;
}

function listenToDeviceLoss(): void {
  unsubscribe?.();
  unsubscribe = engine().onEvent((event) => {
    if (event.kind === 'deviceLost') set({ deviceNotice: `GPU device lost (${event.loss.reason}); recovering…` });
    else set({ backend: event.backend, deviceNotice: `GPU device was lost and recovered on ${event.backend.backend}` });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
