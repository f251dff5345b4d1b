/// <reference lib="webworker" />
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { chooseBackend, loseDevice, restartWebGpu, watchDeviceLoss } from '../backend';
import type { ModelSource } from '../loading/load-model';
import { openModelStore } from '../loading/model-store';
import { loadSegmenter } from '../segmenter';
import { convertToStore } from './convert-checkpoint';
import { SegmenterWorkerHandler } from './handler';
import { runNetwork } from './network-probe';
import { downloadCheckpoint } from './zoo-download';
import type { WorkerModelSource } from './protocol';

// The wasm binaries are served by the app itself, never fetched from a CDN.
const wasmPaths = { 'tfjs-backend-wasm.wasm': wasm, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd };
const scope = self as unknown as DedicatedWorkerGlobalScope;
// wasm threads need SharedArrayBuffer, so a cross-origin isolated page (the app's servers send
// COOP/COEP); one per core there. The pthread Workers start from a copy of tfjs's factory
// function, which the build keeps self-contained and lets the count asked for through (vite.config.ts, tfjsWasmThreads).
const WASM_THREADS = scope.crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;

const handler = new SegmenterWorkerHandler({
  post: (reply, transfer) => scope.postMessage(reply, transfer),
  chooseBackend: (order, benchmark) => chooseBackend({ wasmPaths, wasmThreads: WASM_THREADS, ...(order === undefined ? {} : { order }), ...(benchmark === undefined ? {} : { benchmark }) }),
  restartBackend: restartWebGpu,
  watchDeviceLoss,
  loseDevice,
  loadSegmenter: async (source, options) => loadSegmenter(await modelSource(source), options),
  convertCheckpoint: convertToStore,
  downloadCheckpoint: async (target, signal, onProgress) => {
    // Refused storage is found out before a large download.
    await openModelStore();
    return downloadCheckpoint(target, signal, onProgress);
  },
  runNetwork: async (source, input, attention) => runNetwork(await modelSource(source), input, attention),
});

/** A stored model is read from the browser's store into memory. */
async function modelSource(source: WorkerModelSource): Promise<ModelSource> {
  return source.kind === 'stored' ? { kind: 'files', files: await (await openModelStore()).read(source.id) } : source;
}
scope.onmessage = (event) => void handler.handle(event.data);
