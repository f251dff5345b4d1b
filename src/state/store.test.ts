import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// The store persists to localStorage, which Node lacks: a Map stands in for it.
const saved = new Map<string, string>();
vi.stubGlobal('localStorage', {
  getItem: (k: string) => saved.get(k) ?? null,
  setItem: (k: string, v: string) => void saved.set(k, v),
  removeItem: (k: string) => void saved.delete(k),
});

let store: typeof import('./store');
let view: typeof import('./view-actions');
let words: typeof import('./status-words');

beforeAll(async () => {
  store = await import('./store');
  view = await import('./view-actions');
  words = await import('./status-words');
});

beforeEach(() => {
  store.resetStore();
  saved.clear();
});

describe('app store', () => {
  it('persists the model choice and view options, never pictures or results', () => {
    const pixels = { width: 1, height: 1, channels: 4 as const, data: new Uint8ClampedArray(4) };
    store.useAppStore.setState({ modelId: 'demo', attention: 'softmax', fromLayer: 3, viewMode: 'semantic', opacity: 0.3, image: { name: 'secret.png', pixels }, layer: 2, hiddenRegions: [4] });
    const persisted = JSON.parse(saved.get('kmax-lens') ?? '{}') as { state: Record<string, unknown> };
    expect(Object.keys(persisted.state).sort()).toEqual(['attention', 'colourBy', 'contours', 'follow', 'fromLayer', 'labels', 'layer', 'modelId', 'opacity', 'viewMode']);
    expect(persisted.state).toMatchObject({ modelId: 'demo', attention: 'softmax', fromLayer: 3, viewMode: 'semantic', opacity: 0.3, layer: 2 });
    expect(JSON.stringify(persisted)).not.toContain('secret');
  });

  it('resets to the initial state', () => {
    store.useAppStore.setState({ opacity: 0.1, layer: 3, inputError: { message: 'x', at: 'page' } });
    store.resetStore();
    expect(store.useAppStore.getState()).toMatchObject({ opacity: 0.6, layer: 6, inputError: null, result: null });
  });

  it('steps layers with wrap-around and clamps direct choices', () => {
    view.stepLayer(1);
    expect(store.useAppStore.getState().layer).toBe(0);
    view.stepLayer(-1);
    expect(store.useAppStore.getState().layer).toBe(6);
    view.setLayer(9);
    expect(store.useAppStore.getState().layer).toBe(6);
  });

  it('names the backend, the skipped ones, the model and the download progress in bytes in the status line', () => {
    const line = words.engineStatusLine({
      backend: { backend: 'wasm', skipped: [{ backend: 'webgpu', reason: 'the browser refused a WebGPU adapter' }] },
      engineStatus: 'loading',
      modelName: 'demo',
      progress: { phase: 'download', loaded: 1_500_000, total: 6_000_000 },
    });
    expect(line).toBe('Backend: wasm, faster backends skipped: webgpu: the browser refused a WebGPU adapter · Model: demo · downloading the model: 1.5 MB of 6.0 MB (25%)');
  });

  it('says which stage of the warm-up or of a run has finished', () => {
    expect(words.progressLine({ phase: 'warm-up', stage: 'backbone', done: 1, total: 9 })).toBe('warming up shaders: backbone done (1 of 9)');
    expect(words.progressLine({ phase: 'warm-up', stage: '', done: 0, total: 9, next: 'backbone', elapsedMs: 0 })).toBe('warming up shaders: compiling backbone (0 of 9 done)');
    expect(words.progressLine({ phase: 'warm-up', stage: 'pixel decoder', done: 2, total: 9, next: 'kmax layer 1', elapsedMs: 3000 })).toBe('warming up shaders: compiling kmax layer 1 (2 of 9 done, about 11 s left)');
    expect(words.progressLine({ phase: 'warm-up', stage: 'kmax layer 6', done: 8, total: 9, next: 'final head', elapsedMs: 80_000 })).toBe('warming up shaders: compiling final head (8 of 9 done, about 10 s left)');
    expect(words.progressLine({ phase: 'warm-up', stage: 'postprocess', done: 9, total: 9, next: '', elapsedMs: 95_000 })).toBe('warming up shaders: finishing (9 of 9 done)');
    expect(words.progressLine({ phase: 'segment', stage: 'kmax layer 3', done: 5, total: 9 })).toBe('segmenting: kmax layer 3 done (5 of 9)');
    expect(words.engineStatusLine({ backend: null, engineStatus: 'ready', modelName: null, progress: null })).toBe('choosing a backend · ready');
  });

  it('names the stages a warm-up compiles in the segmenter\'s order and estimates the time left from the mean stage time', () => {
    expect(words.stageNames(2)).toEqual(['backbone', 'pixel decoder', 'kmax layer 1', 'kmax layer 2', 'final head']);
    expect(words.warmUpEstimate({ done: 0, total: 11, elapsedMs: 0 })).toBeNull();
    expect(words.warmUpEstimate({ done: 3, total: 11, elapsedMs: 30_000 })).toBe('about 80 s left');
    expect(words.warmUpEstimate({ done: 1, total: 11, elapsedMs: 54_000 })).toBe('about 9 min left');
  });

  it('toggles regions and clears hidden ones only for a new result', () => {
    view.toggleRegion(3);
    view.toggleRegion(5);
    view.toggleRegion(3);
    expect(store.useAppStore.getState().hiddenRegions).toEqual([5]);
  });
});
