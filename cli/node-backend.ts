import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

export type NodeBackend = 'wasm' | 'cpu' | 'webgpu';

export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/** Selects a tfjs backend in Node; refuses to fall back silently (tfjs would). */
export async function selectNodeBackend(backend: NodeBackend, threads?: number): Promise<void> {
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(`${path.join(dist, 'dist')}/`);
    if (threads !== undefined) setThreadsCount(threads);
  }
  if (backend === 'webgpu') {
    if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
      throw new BackendUnavailableError('webgpu: this Node.js has no WebGPU implementation (navigator.gpu is missing); use --backend wasm or cpu');
    }
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) {
    throw new BackendUnavailableError(`could not initialise the ${backend} backend (active: ${tf.getBackend()})`);
  }
}
