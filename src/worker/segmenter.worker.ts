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
// One wasm thread, even on a cross-origin isolated page: tfjs-backend-wasm 4.22's threaded build
// starts a pool of pthread workers from Blobs that run its (minified) main script, which fails
// inside this Vite-bundled module worker ("ReferenceError: e is not defined" in each, and the
// worker dies with "Uncaught [object ErrorEvent]").
const WASM_THREADS = 1;

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
