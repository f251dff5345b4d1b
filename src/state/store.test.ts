import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// The store persists to localStorage, which Node lacks: a Map stands in for it.
const saved = new Map<string, string>();
vi.stubGlobal('localStorage', {
  getItem: (k: string) => saved.get(k) ?? null,
  setItem: (k: string, v: string) => void saved.set(k, v),
  removeItem: (k: string) => void saved.delete(k),
});

let store: typeof import('./store');
let actions: typeof import('./actions');

beforeAll(async () => {
  store = await import('./store');
  actions = await import('./actions');
});

beforeEach(() => {
  store.resetStore();
  saved.clear();
});

describe('app store', () => {
  it('persists the model choice and view options, never pictures or results', () => {
    const pixels = { width: 1, height: 1, channels: 4 as const, data: new Uint8ClampedArray(4) };
    store.useAppStore.setState({ modelId: 'demo', attention: 'softmax', opacity: 0.3, image: { name: 'secret.png', pixels }, layer: 2 });
    const persisted = JSON.parse(saved.get('kmax-lens') ?? '{}') as { state: Record<string, unknown> };
    expect(Object.keys(persisted.state).sort()).toEqual(['attention', 'colourBy', 'contours', 'labels', 'modelId', 'opacity']);
    expect(persisted.state).toMatchObject({ modelId: 'demo', attention: 'softmax', opacity: 0.3 });
    expect(JSON.stringify(persisted)).not.toContain('secret');
  });

  it('resets to the initial state', () => {
    store.useAppStore.setState({ opacity: 0.1, layer: 3, inputError: 'x' });
    store.resetStore();
    expect(store.useAppStore.getState()).toMatchObject({ opacity: 0.6, layer: 6, inputError: null, result: null });
  });

  it('steps layers with wrap-around and clamps direct choices', () => {
    actions.stepLayer(1);
    expect(store.useAppStore.getState().layer).toBe(0);
    actions.stepLayer(-1);
    expect(store.useAppStore.getState().layer).toBe(6);
    actions.setLayer(9);
    expect(store.useAppStore.getState().layer).toBe(6);
  });

  it('names the backend, the skipped ones, the model and the load progress in the status line', () => {
    const line = actions.engineStatusLine({
      backend: { backend: 'wasm', skipped: [{ backend: 'webgpu', reason: 'the browser refused a WebGPU adapter' }] },
      engineStatus: 'loading',
      modelName: 'demo',
      progress: { loaded: 1, total: 4 },
    });
    expect(line).toBe('Backend: wasm, faster backends skipped: webgpu: the browser refused a WebGPU adapter · Model: demo · loading 25%');
  });
});
