import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
// Our wasm kernels (the app registers them through src/backend/choose-backend.ts).
import '../src/backend/wasm-gelu';

export type NodeBackend = 'wasm' | 'cpu' | 'webgpu';

export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/**
 * Why Node gets one wasm thread: tfjs-backend-wasm 4.22 answers WASM_HAS_MULTITHREAD_SUPPORT
 * with false under Node (tfjs issue 3830), and forcing the flag fails, since its Emscripten
 * pthreads start their workers from a Blob URL, which Node's worker_threads cannot load.
 */
export const NODE_WASM_THREADS_REASON =
  "tfjs-backend-wasm 4.22 has no threaded build in Node.js (its pthread workers load from a Blob URL, which Node's worker_threads cannot; tfjs issue 3830)";

/** Threads tfjs-backend-wasm can use in this Node.js: its single-threaded SIMD build. */
export const NODE_WASM_MAX_THREADS = 1;

/**
 * Selects a tfjs backend in Node; refuses to fall back silently (tfjs would), and refuses
 * a thread count the backend would not use. Returns the backend's own thread count.
 */
export async function selectNodeBackend(backend: NodeBackend, threads?: number): Promise<{ readonly threads: number }> {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new BackendUnavailableError(`--threads must be a whole number >= 1, got ${threads}`);
  if (threads !== undefined && threads > 1 && backend !== 'wasm') throw new BackendUnavailableError(`--threads ${threads}: only the wasm backend has threads (got --backend ${backend})`);
  if (backend === 'wasm') {
    if (threads !== undefined && threads > NODE_WASM_MAX_THREADS) throw new BackendUnavailableError(`--threads ${threads} refused: ${NODE_WASM_THREADS_REASON}; use --threads 1, or kmax bench --backend webgpu for the browser`);
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(`${path.join(dist, 'dist')}/`);
    // The default is every thread the backend can use here (all cores where it is threaded).
    setThreadsCount(threads ?? NODE_WASM_MAX_THREADS);
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
  return { threads: activeThreads() };
}

/** Threads the active backend computes on, as it reports them (1 off wasm). */
export function activeThreads(): number {
  return tf.getBackend() === 'wasm' ? getThreadsCount() : 1;
}
