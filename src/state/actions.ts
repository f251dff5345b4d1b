import { describeBackend } from '../backend/backend-report';
import { openModelStore, type StoredModel } from '../loading/model-store';
import type { AttentionMode } from '../segmenter/types';
import { compareRuns } from '../viz';
import { CancelledError } from '../worker/errors';
import type { WorkerSegmenterClient } from '../worker/client';
import type { NetworkInput, NetworkOutputs } from '../worker/network-probe';
import type { WorkerModelSource } from '../worker/protocol';
import { engine } from './engine';
import type { ConvertedModel, ModelEntry, ServedModel } from './model-slice';
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
  let served: ServedModel[] = [];
  try {
    const response = await fetch(`${base}models/manifest.json`);
    if (response.ok) served = ((await response.json()) as { models: { id: string; name: string; path: string }[] }).models.map((m) => ({ kind: 'served', id: m.id, name: m.name, url: `${base}models/${m.path}` }));
  } catch {
    // No manifest: the list stays empty and the status says so.
  }
  const models: ModelEntry[] = [...served, ...(await convertedModels())];
  set({ models });
  if (models.length === 0) {
    set({ engineStatus: 'error', engineError: 'no models are served under models/; add a model folder (see README) or convert a checkpoint' });
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
    segmenter = await engine().load(sourceOf(entry), { onProgress: (e) => set({ progress: { loaded: e.loaded, total: e.total } }) });
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

/**
 * Converts official checkpoint files in the worker (the page never reads them),
 * which keeps the model in the browser; it joins the model list and is loaded.
 * A failure is reported and leaves the current model as it was.
 */
export async function convertCheckpoint(files: readonly File[]): Promise<void> {
  if (files.length === 0 || get().conversion !== null) return;
  const fileNames = files.map((f) => f.name);
  set({ conversion: { fileNames, progress: null }, conversionError: null });
  let shown = '';
  let model: StoredModel;
  try {
    const size = get().convertInputSize;
    model = await engine().convert(
      files.map((file) => ({ name: file.name, file })),
      {
        ...(size === null ? {} : { inputSize: [size, size] as const }),
        onProgress: (progress) => {
          // Hundreds of chunks per file: the bar moves in steps of 0.5%.
          const done = progress.status === 'read' ? progress.loaded : progress.status === 'convert' ? progress.converted : progress.stored;
          const step = `${progress.status}:${Math.floor((200 * done) / Math.max(1, progress.total))}`;
          if (step !== shown) set({ conversion: { fileNames, progress } });
          shown = step;
        },
      },
    );
  } catch (error) {
    set({ conversion: null, conversionError: `could not convert ${fileNames.map((n) => `"${n}"`).join(' + ')}: ${messageOf(error)}` });
    return;
  }
  const entry: ConvertedModel = { ...model, kind: 'stored' };
  set({ conversion: null, models: [...get().models.filter((m) => m.id !== entry.id), entry] });
  await loadModel(entry.id);
}

export const setConvertInputSize = (convertInputSize: number | null) => set({ convertInputSize });

/** Removes a converted model from the browser; if it was in use, the first other model is loaded. */
export async function deleteConvertedModel(id: string): Promise<void> {
  try {
    await (await openModelStore()).delete(id);
  } catch (error) {
    set({ conversionError: `could not delete the stored model: ${messageOf(error)}` });
    return;
  }
  const models = get().models.filter((m) => m.id !== id);
  set({ models, conversionError: null });
  if (get().modelId !== id) return;
  if (models.length > 0) {
    await loadModel(models[0].id);
    return;
  }
  segmenter?.dispose();
  segmenter = undefined;
  set({ modelId: null, modelName: null, classes: [], engineStatus: 'idle' });
}

/** Models converted earlier in this browser; none when storage is refused (converting says why). */
async function convertedModels(): Promise<ConvertedModel[]> {
  try {
    return (await (await openModelStore()).list()).map((m) => ({ ...m, kind: 'stored' }));
  } catch {
    return [];
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

/** Debug and parity hook: the bare network of model `id` on a normalised, padded input, in the worker. */
export async function runNetwork(id: string, input: NetworkInput, attention: AttentionMode): Promise<NetworkOutputs> {
  const entry = get().models.find((m) => m.id === id);
  if (entry === undefined) throw new Error(`no model "${id}" in the list`);
  return engine().network(sourceOf(entry), input, attention);
}

function sourceOf(entry: ModelEntry): WorkerModelSource {
  return entry.kind === 'served' ? { kind: 'url', url: new URL(entry.url, location.href).toString() } : { kind: 'stored', id: entry.id };
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
