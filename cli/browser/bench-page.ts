/**
 * The page `kmax bench --backend webgpu` and `kmax bench --peers` open in headless Chromium.
 * `?mode=stages` (default): starts WebGPU as the app does (chooseBackend, CPU forwarding off),
 * loads the model from `?model=URL`, runs the segmenter `warmup + runs` times on the bench
 * card counting each run's dispatches, bytes read back and GPU memory, then one profiled run.
 * `?mode=peers`: our engine on `?backend=webgpu|wasm` (`?threads=N`) against ONNX Runtime Web's
 * build for that backend on `?onnx=URL`, as bench-peers-run.ts does it.
 */
import * as tf from '@tensorflow/tfjs-core';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { chooseBackend } from '../../src/backend';
import { loadSegmenter } from '../../src/segmenter';
import type { AttentionMode } from '../../src/segmenter/types';
import { comparePeers, type PeerReport } from '../commands/bench-peers-run';
import { benchImage, timeRuns, type TimedRuns } from '../commands/bench-runs';
import { installGpuCounters, profileByStage, type KernelProfile } from './gpu-counters';

export interface BrowserBenchReport extends TimedRuns {
  readonly backend: string;
  readonly adapter?: string;
  readonly modelName: string;
  readonly inputSize: readonly [number, number];
  readonly profile?: KernelProfile;
}

declare global {
  interface Window {
    kmaxBench?: { report?: BrowserBenchReport; peers?: PeerReport; error?: string };
  }
}

const WASM_PATHS = { 'tfjs-backend-wasm.wasm': wasm, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd };

async function startWebGpu(): Promise<string | undefined> {
  const report = await chooseBackend({ order: ['webgpu'] });
  if (tf.getBackend() !== 'webgpu') throw new Error(`the active backend is ${tf.getBackend()}, not webgpu`);
  return report.adapter;
}

async function stages(params: URLSearchParams): Promise<BrowserBenchReport> {
  const counters = installGpuCounters();
  const adapter = await startWebGpu();
  const segmenter = await loadSegmenter({ kind: 'url', url: params.get('model') ?? '' });
  try {
    const size = params.has('size') ? Number(params.get('size')) : undefined;
    const [height, width] = size === undefined ? segmenter.config.inputSize : [size, size];
    const options = { inputSize: size, attention: (params.get('attention') ?? 'kmeans') as AttentionMode };
    const image = benchImage(height, width);
    const timed = await timeRuns(segmenter, image, options, Number(params.get('runs') ?? 5), counters);
    const timestamps = (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true;
    const profile = params.get('profile') === '0' ? undefined : await profileByStage(segmenter, image, options, counters, timestamps);
    return { backend: tf.getBackend(), ...(adapter !== undefined && { adapter }), modelName: segmenter.config.name, inputSize: [height, width], ...timed, ...(profile !== undefined && { profile }) };
  } finally {
    segmenter.dispose();
  }
}

/** Workers the page starts (wasm threads run in workers: their count shows the threads each engine really got). */
function countWorkers(): () => number {
  let started = 0;
  const Original = globalThis.Worker;
  globalThis.Worker = class extends Original {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      started++;
    }
  };
  return () => started;
}

async function peers(params: URLSearchParams): Promise<PeerReport> {
  const backend = params.get('backend') ?? 'webgpu';
  const threads = Number(params.get('threads') ?? 1);
  const size = Number(params.get('size'));
  const runs = Number(params.get('runs') ?? 5);
  const workers = countWorkers();
  let adapter: string | undefined;
  if (backend === 'webgpu') adapter = await startWebGpu();
  else if ((await chooseBackend({ order: ['wasm'], wasmPaths: WASM_PATHS, wasmThreads: threads })).backend !== 'wasm') throw new Error('wasm did not start');
  const segmenter = await loadSegmenter({ kind: 'url', url: params.get('model') ?? '' });
  const oursWorkers = workers();
  const ort = backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  ort.env.logLevel = 'warning';
  ort.env.wasm.numThreads = threads;
  const model = new Uint8Array(await (await fetch(params.get('onnx') ?? '')).arrayBuffer());
  const session = await ort.InferenceSession.create(model, { executionProviders: [backend === 'webgpu' ? 'webgpu' : 'wasm'], logSeverityLevel: 2 });
  try {
    const result = await comparePeers({ segmenter, session, tensor: (data, dims) => new ort.Tensor('float32', data, dims) }, size, runs);
    const ortWorkers = workers() - oursWorkers;
    // wasm threads: the count each library reports; the workers each started show they were real.
    const oursThreads = backend === 'wasm' ? getThreadsCount() : undefined;
    const threadedBuild = backend === 'wasm' && 'PThread' in (tf.backend() as unknown as { wasm: object }).wasm;
    const ortThreads = backend === 'wasm' ? (ort.env.wasm.numThreads ?? 1) : undefined;
    return {
      model: result.model,
      device: backend === 'webgpu' ? `webgpu in Chromium (${adapter ?? 'unknown adapter'})` : `wasm in Chromium (ours: tfjs-wasm ${threadedBuild ? 'threaded' : 'single-threaded'} build, workers started: ours ${oursWorkers}, ORT ${ortWorkers})`,
      size,
      runs,
      ours: { engine: 'kmax-lens', ...(oursThreads !== undefined && { threads: oursThreads }), ...result.ours },
      ort: { engine: 'onnxruntime-web', ...(ortThreads !== undefined && { threads: ortThreads }), ...result.ort },
      parity: result.parity,
      crossOriginIsolated: globalThis.crossOriginIsolated,
    };
  } finally {
    await session.release();
    segmenter.dispose();
  }
}

const params = new URLSearchParams(location.search);
const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
if (params.get('mode') === 'peers') {
  peers(params).then(
    (report) => void (window.kmaxBench = { peers: report }),
    (error: unknown) => void (window.kmaxBench = { error: describe(error) }),
  );
} else {
  stages(params).then(
    (report) => void (window.kmaxBench = { report }),
    (error: unknown) => void (window.kmaxBench = { error: describe(error) }),
  );
}
