import { describe, expect, it } from 'vitest';
import { describeBenchmark, fastestMeasured, isSoftwareAdapter } from './software-adapter';

describe('isSoftwareAdapter', () => {
  it('trusts the fallback flag and recognises CPU rasterisers by name', () => {
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'apple', architecture: 'common-3', device: '', description: '' })).toBe(false);
  });
});

describe('fastestMeasured', () => {
  const order = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
  it('picks the shortest time, skipping backends that were not measured', () => {
    expect(fastestMeasured({ webgpu: 60, webgl: 9, wasm: 4 }, order)).toBe('wasm');
    expect(fastestMeasured({ webgpu: 3, wasm: 4 }, order)).toBe('webgpu');
    expect(fastestMeasured({ webgpu: 5, wasm: 5 }, order)).toBe('webgpu');
    expect(fastestMeasured({ webgl: Number.NaN }, order)).toBeUndefined();
    expect(fastestMeasured({}, order)).toBeUndefined();
  });
  it('describes the measurement fastest first', () => {
    expect(describeBenchmark({ webgpu: 61.2, webgl: 9, wasm: 4.04 })).toBe('wasm 4.0 ms, webgl 9.0 ms, webgpu 61 ms');
  });
});
