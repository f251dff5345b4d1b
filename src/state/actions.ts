import { BACKEND_ORDER, type BackendName } from '../backend/backend-report';
import type { BackendBenchmark } from '../backend/software-adapter';
import { openModelStore, type StoredModel } from '../loading/model-store';
import { ATTENTION_MODES, type AttentionMode, type StageEvent } from '../segmenter/types';
import { CancelledError } from '../worker/errors';
import type { WorkerSegmenterClient } from '../worker/client';
import type { NetworkInput, NetworkOutputs } from '../worker/network-probe';
import type { WorkerModelSource } from '../worker/protocol';
import { attentionPlan } from './attention-plan';
import { engine } from './engine';
import type { ConvertedModel, ModelEntry, ServedModel } from './model-slice';
import type { AttentionPlan, LoadedImage } from './result-slice';
import type { ProblemPlace } from './placed-problem';
import { useAppStore, type AppState } from './store';
import { messageOf, stageNames } from './status-words';
import { layerCount, numLayers } from './view-actions';
import type { ViewMode } from './view-slice';

// Actions are plain functions over the store, callable from components, worker
// callbacks and tests alike. The segmenter itself stays out of the store.
const set = (partial: Partial<AppState>) => useAppStore.setState(partial);
const get = () => useAppStore.getState();

let segmenter: WorkerSegmenterClient | undefined;
let running: AbortController | undefined;
let unsubscribe: (() => void) | undefined;
/** Counts model loads, so that a load overtaken by a newer one drops its result. */
let loads = 0;

/** One entry of models/manifest.json. */
interface ManifestEntry {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  /** Sample pictures under models/, e.g. "demo/samples/street.png". */
  readonly samples?: readonly string[];
  readonly trainedAttention?: string;
  readonly reports?: readonly string[];
}

/** The backend asked for with `?backend=` (the "Backend" select), or null for the automatic choice. */
let requestedBackend: BackendName | null = null;

/** Where the page keeps the backend micro-benchmark of a software WebGPU adapter (measured once per machine). */
const BENCHMARK_KEY = 'kmax-lens-backend-benchmark';

function storedBenchmark(): BackendBenchmark | undefined {
  try {
    const text = localStorage.getItem(BENCHMARK_KEY);
    return text === null ? undefined : (JSON.parse(text) as BackendBenchmark);
  } catch {
    return undefined;
  }
}

/** `?backend=` value if it names a backend. */
export function parseBackend(value: string | null): BackendName | null {
  return BACKEND_ORDER.find((b) => b === value) ?? null;
}

function trainedAttentionOf(value: string | undefined): { trainedAttention?: AttentionMode } {
  const mode = ATTENTION_MODES.find((m) => m === value);
  return mode === undefined ? {} : { trainedAttention: mode };
}

/** Reads the served model list, picks the remembered (or `?model=`) model and loads it; `backend` forces a backend (null: automatic). */
export async function startApp(base: string, requested: string | null, backend: BackendName | null = null): Promise<void> {
  requestedBackend = backend;
  listenToDeviceLoss();
  let served: ServedModel[] = [];
  try {
    const response = await fetch(`${base}models/manifest.json`);
    if (response.ok) {
      served = ((await response.json()) as { models: ManifestEntry[] }).models.map((m) => ({
        kind: 'served',
        id: m.id,
        name: m.name,
        url: `${base}models/${m.path}`,
        samples: (m.samples ?? []).map((s) => `${base}models/${s}`),
        reports: m.reports ?? [],
        ...trainedAttentionOf(m.trainedAttention),
      }));
    }
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

/**
 * Loads a model in the worker (download progress in bytes), then warms it up
 * on a blank picture so that WebGPU compiles its shaders before the first real
 * run (progress per stage), and segments the current picture if there is one.
 */
export async function loadModel(id: string): Promise<void> {
  const entry = get().models.find((m) => m.id === id);
  if (entry === undefined) return;
  const ticket = ++loads;
  running?.abort();
  segmenter = undefined;
  set({ modelId: id, engineStatus: 'loading', progress: { phase: 'download', loaded: 0, total: 0 }, engineError: null, result: null, resultFor: null, comparison: null, selectedCluster: null });
  let bytes = entry.kind === 'stored' ? entry.bytes : 0;
  try {
    const benchmark = storedBenchmark();
    const loaded = await engine().load(sourceOf(entry), {
      ...(requestedBackend === null ? {} : { backends: [requestedBackend] }),
      ...(benchmark === undefined ? {} : { benchmark }),
      onProgress: (e) => {
        bytes = e.total;
        if (ticket === loads) set({ progress: { phase: 'download', loaded: e.loaded, total: e.total } });
      },
    });
    if (ticket !== loads) return;
    if (loaded.backend.benchmark !== undefined) {
      try {
        localStorage.setItem(BENCHMARK_KEY, JSON.stringify(loaded.backend.benchmark));
      } catch {
        // Storage refused: the next visit measures again.
      }
    }
    const stages = stageNames(layerCount(loaded.config));
    const warmUpStart = performance.now();
    set({
      engineStatus: 'warming',
      progress: { phase: 'warm-up', stage: '', done: 0, total: stages.length, next: stages[0], elapsedMs: 0 },
      backend: loaded.backend,
      modelName: loaded.config.name,
      config: loaded.config,
      modelBytes: bytes,
      trainedAttention: loaded.trainedAttention ?? null,
      numClusters: loaded.config.transformerDecoder.numClusters,
      classes: loaded.classes,
      layer: Math.min(get().layer, layerCount(loaded.config)),
    });
    const onProgress = (event: StageEvent): void => {
      if (ticket !== loads) return;
      // Names the next stage only where the segmenter counts the stages stageNames lists.
      const next = event.total === stages.length ? (stages[event.index + 1] ?? '') : undefined;
      set({ progress: { phase: 'warm-up', stage: event.stage, done: event.index + 1, total: event.total, elapsedMs: performance.now() - warmUpStart, ...(next === undefined ? {} : { next }) } });
    };
    await loaded.segment(WARM_UP_PICTURE, { ...runOptions(currentPlan()), onProgress });
    if (ticket !== loads) return;
    segmenter = loaded;
    set({ engineStatus: 'ready', progress: null });
    if (get().image !== null) await runSegmentation();
  } catch (error) {
    if (ticket !== loads) return;
    // A stored model whose shards no longer match their hashes: the list marks it and offers to delete it.
    const damaged = entry.kind === 'stored' && error instanceof Error && error.name === 'ModelIntegrityError';
    set({
      engineStatus: 'error',
      progress: null,
      engineError: `could not load model "${entry.name}": ${messageOf(error)}`,
      ...(damaged ? { models: get().models.map((m) => (m.id === id ? { ...m, damaged: messageOf(error) } : m)) } : {}),
    });
  }
}

/** A small grey picture: the network always runs at the model's input size, so it compiles every shader a real run needs. */
const WARM_UP_PICTURE = { width: 64, height: 48, channels: 3 as const, data: new Uint8Array(64 * 48 * 3).fill(128) };

/** The model loaded and warmed up in the worker, if any (Compare runs on it). */
export const loadedSegmenter = (): WorkerSegmenterClient | undefined => segmenter;

/** The attention plan the controls describe. */
export function currentPlan(): AttentionPlan {
  const { attention, fromLayer } = get();
  return attentionPlan(attention, fromLayer, numLayers());
}

/** Segment options of an app run: every stage recorded with its soft maps; semantic or instances when the view shows them. */
export function runOptions(plan: AttentionPlan) {
  const { viewMode } = get();
  return { attention: plan.schedule, stages: true, softMaps: true, semantic: viewMode === 'semantic', instances: viewMode === 'instances', keepOutputs: true };
}

/** Reports each finished stage of a run in the status region. */
export function segmentProgress(event: StageEvent): void {
  set({ progress: { phase: 'segment', stage: event.stage, done: event.index + 1, total: event.total } });
}

/**
 * Converts official checkpoint files in the worker (the page never reads them),
 * which keeps the model in the browser; it joins the model list and is loaded.
 * A failure is reported and leaves the current model as it was.
 */
export async function convertCheckpoint(files: readonly File[], at: ProblemPlace): Promise<void> {
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
    set({ conversion: null, conversionError: { message: `could not convert ${fileNames.map((n) => `"${n}"`).join(' + ')}: ${messageOf(error)}`, at } });
    return;
  }
  set({ conversion: null });
  await adoptConvertedModel(model);
}

/** A model just converted and stored (a drop or the model zoo) joins the model list and is loaded. */
export async function adoptConvertedModel(model: StoredModel): Promise<void> {
  const entry: ConvertedModel = { ...model, kind: 'stored' };
  set({ models: [...get().models.filter((m) => m.id !== entry.id), entry] });
  await loadModel(entry.id);
}

export const setConvertInputSize = (convertInputSize: number | null) => set({ convertInputSize });

/** Removes a converted model from the browser; if it was in use, the first other model is loaded. */
export async function deleteConvertedModel(id: string): Promise<void> {
  try {
    await (await openModelStore()).delete(id);
  } catch (error) {
    set({ conversionError: { message: `could not delete the stored model: ${messageOf(error)}`, at: 'checkpoint panel' } });
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
  set({ modelId: null, modelName: null, config: null, modelBytes: null, trainedAttention: null, classes: [], engineStatus: 'idle', result: null, resultFor: null, comparison: null });
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

export function reportInputError(message: string, at: ProblemPlace): void {
  set({ inputError: { message, at } });
}

/** Segments the current picture with the current attention plan (a newer run cancels an older one). */
export async function runSegmentation(): Promise<void> {
  const { image } = get();
  if (image === null || segmenter === undefined) return;
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const plan = currentPlan();
  set({ engineStatus: 'running', engineError: null, progress: null });
  try {
    const result = await segmenter.segment(image.pixels, { ...runOptions(plan), signal: controller.signal, onProgress: segmentProgress });
    if (controller.signal.aborted) return;
    set({ result, resultFor: image, resultPlan: plan, engineStatus: 'ready', progress: null, hiddenRegions: [], hoveredRegion: null, lastPostprocessMs: null });
  } catch (error) {
    if (error instanceof CancelledError || controller.signal.aborted) return;
    set({ engineStatus: 'error', progress: null, engineError: `segmentation failed: ${messageOf(error)}` });
  } finally {
    if (running === controller) running = undefined;
  }
}

export async function setAttention(attention: AttentionMode): Promise<void> {
  set({ attention, comparison: null });
  await runSegmentation();
}

/** Applies the attention mode from kMaX layer `fromLayer` (0-based) on; earlier layers stay argmax. */
export async function setFromLayer(fromLayer: number): Promise<void> {
  set({ fromLayer: Math.min(numLayers() - 1, Math.max(0, fromLayer)), comparison: null });
  if (get().attention !== 'kmeans') await runSegmentation();
}

/**
 * Switches the overlay between panoptic, semantic and instance views. What the
 * result lacks is post-processed in the worker from the network outputs it kept
 * ("re-thresholding"): no network run; only if those are gone (device lost) does it segment again.
 */
export async function setViewMode(viewMode: ViewMode): Promise<void> {
  set({ viewMode, hiddenRegions: [], hoveredRegion: null });
  const { result, resultFor } = get();
  if (result === null || segmenter?.repostprocess === undefined) return;
  const semantic = viewMode === 'semantic' || result.semantic !== undefined;
  const instances = viewMode === 'instances' || result.instances !== undefined;
  if (semantic === (result.semantic !== undefined) && instances === (result.instances !== undefined)) return;
  set({ engineStatus: 'rethresholding', progress: null });
  try {
    const post = await segmenter.repostprocess({ semantic, instances });
    if (get().result !== result) return;
    const ms = post.timings.reduce((sum, t) => sum + t.ms, 0);
    set({ result: { ...result, ...post, timings: result.timings }, resultFor, engineStatus: 'ready', lastPostprocessMs: ms });
  } catch {
    if (get().result === result) await runSegmentation();
  }
}

/** Debug and parity hook: the bare network of model `id` on a normalised, padded input, in the worker. */
export async function runNetwork(id: string, input: NetworkInput, attention: AttentionMode): Promise<NetworkOutputs> {
  const entry = get().models.find((m) => m.id === id);
  if (entry === undefined) throw new Error(`no model "${id}" in the list`);
  return engine().network(sourceOf(entry), input, attention);
}

export function sourceOf(entry: ModelEntry): WorkerModelSource {
  return entry.kind === 'served' ? { kind: 'url', url: new URL(entry.url, location.href).toString() } : { kind: 'stored', id: entry.id };
}

/** Debug and e2e hook: destroys the worker's GPU device. */
export async function loseDevice(): Promise<boolean> {
  return engine().loseDevice();
}

function listenToDeviceLoss(): void {
  unsubscribe?.();
  unsubscribe = engine().onEvent((event) => {
    if (event.kind === 'deviceLost') set({ deviceNotice: `GPU device lost (${event.loss.reason}); recovering…` });
    else set({ backend: event.backend, deviceNotice: `GPU device was lost and recovered on ${event.backend.backend}` });
  });
}

