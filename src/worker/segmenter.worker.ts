/// <reference lib="webworker" />
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { chooseBackend, loseDevice, restartWebGpu, watchDeviceLoss } from '../backend';
import { loadSegmenter } from '../segmenter';
import { SegmenterWorkerHandler } from './handler';

// The wasm binaries are served by the app itself, never fetched from a CDN.
const wasmPaths = { 'tfjs-backend-wasm.wasm': wasm, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd };
const scope = self as unknown as DedicatedWorkerGlobalScope;

const handler = new SegmenterWorkerHandler({
  post: (reply, transfer) => scope.postMessage(reply, transfer),
  chooseBackend: (order) => chooseBackend({ wasmPaths, ...(order === undefined ? {} : { order }) }),
  restartBackend: restartWebGpu,
  watchDeviceLoss,
  loseDevice,
  loadSegmenter,
});
scope.onmessage = (event) => void handler.handle(event.data);
