import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseBackend, NoBackendError } from './choose-backend';
import { describeBackend } from './backend-report';

describe('chooseBackend', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('falls through webgpu and webgl in Node and says why', async () => {
    const report = await chooseBackend();
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
    expect(report.skipped[0].reason).toMatch(/navigator\.gpu is absent/);
    expect(report.skipped[1].reason).toBe('not registered in this environment');
    expect(report.reason).toBe('automatic: the fastest backend that started');
    // Node is not cross-origin isolated: one thread.
    expect(report.threads).toBe(1);
    expect(describeBackend(report)).toMatch(/^wasm, 1 thread, faster backends skipped: webgpu: navigator\.gpu is absent .*; webgl: not registered in this environment/);
  });

  it('tells a refused adapter apart from a missing API', async () => {
    const requestAdapter = vi.fn(async () => null);
    vi.stubGlobal('navigator', { gpu: { requestAdapter } });
    const report = await chooseBackend({ order: ['webgpu', 'cpu'] });
    expect(requestAdapter).toHaveBeenCalledOnce();
    expect(report).toEqual({ backend: 'cpu', skipped: [{ backend: 'webgpu', reason: 'the browser refused a WebGPU adapter' }], reason: 'the first of the requested backends that started' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('reports an adapter that throws', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => Promise.reject(new Error('blocklisted')) } });
    const report = await chooseBackend({ order: ['webgpu', 'cpu'] });
    expect(report.skipped[0].reason).toBe('requestAdapter threw: blocklisted');
  });

  it('keeps the message of a backend whose start throws', async () => {
    tf.registerBackend('webgl', () => {
      throw new Error('context lost at creation');
    });
    try {
      const report = await chooseBackend({ order: ['webgl', 'cpu'] });
      expect(report.skipped).toEqual([{ backend: 'webgl', reason: 'initialisation failed: context lost at creation' }]);
      expect(report.backend).toBe('cpu');
    } finally {
      tf.removeBackend('webgl');
    }
  });

  it('throws a NoBackendError listing every reason when nothing starts', async () => {
    const attempt = chooseBackend({ order: ['webgpu', 'webgl'] });
    await expect(attempt).rejects.toBeInstanceOf(NoBackendError);
    await expect(attempt).rejects.toThrow(/webgpu: navigator\.gpu is absent.*webgl: not registered in this environment/);
  });

  it('names the adapter in the status line', () => {
    expect(describeBackend({ backend: 'webgpu', skipped: [], adapter: 'google swiftshader' })).toBe('webgpu (google swiftshader)');
  });
});
