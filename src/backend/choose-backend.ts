import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import './webgpu-multi-head-attention';
import './webgpu-gelu';
import './webgpu-l2-normalize';
import './webgpu-layer-norm';
import './wasm-gelu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND_ORDER, type BackendName, type BackendReport, type SkippedBackend } from './backend-report';
import { describeBenchmark, fastestMeasured, isSoftwareAdapter, type AdapterFacts, type BackendBenchmark } from './software-adapter';

export interface ChooseBackendOptions {
  /** Candidates in order of preference; defaults to webgpu, webgl, wasm, cpu. */
  readonly order?: readonly BackendName[];
  /**
   * Where the wasm binaries are served (file name -> URL), so that nothing is
   * fetched from a CDN; Node finds them next to the package without this.
   */
  readonly wasmPaths?: Partial<Record<WasmBinary, string>>;
  /** wasm threads to ask for (used only where the page is cross-origin isolated; default 1). */
  readonly wasmThreads?: number;
  /** An earlier micro-benchmark on a software adapter; it is reused when the adapter is the same. */
  readonly benchmark?: BackendBenchmark;
}

export type WasmBinary = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/**
 * Sets the fastest backend that initialises and says why each faster one was
 * skipped. WebGPU is probed before TF.js tries it, so that "no API" and "no
 * adapter" are told apart from a failed device or backend start.
 */
export async function chooseBackend(options: ChooseBackendOptions = {}): Promise<BackendReport> {
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  if (options.wasmThreads !== undefined) setThreadsCount(options.wasmThreads);
  // On a cross-origin isolated page tfjs picks its threaded wasm build by itself, whatever the count.
  if (options.wasmThreads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const order = options.order ?? BACKEND_ORDER;
  const skipped: SkippedBackend[] = [];
  for (const backend of order) {
    const outcome = await tryBackend(backend);
    if (!outcome.ok) {
      skipped.push({ backend, reason: outcome.reason });
      continue;
    }
    const automatic = options.order === undefined;
    if (automatic && backend === 'webgpu' && outcome.software === true) return benchmarkAndChoose(outcome.adapter ?? 'unknown adapter', skipped, options.benchmark);
    const reason = automatic ? 'automatic: the fastest backend that started' : order.length === 1 ? `asked for by name (${backend})` : 'the first of the requested backends that started';
    return withThreads({ backend, skipped, reason, ...(outcome.adapter === undefined ? {} : { adapter: outcome.adapter }) });
  }
  throw new NoBackendError(skipped);
}

/** wasm reports its thread count (threads need a cross-origin isolated page). */
function withThreads(report: BackendReport): BackendReport {
  return report.backend === 'wasm' ? { ...report, threads: getThreadsCount() } : report;
}

/** Backends raced on a software WebGPU adapter (the CPU runs them all; which is quickest depends on the machine). */
const RACED: readonly BackendName[] = ['webgpu', 'webgl', 'wasm'];

/**
 * On a software (fallback) WebGPU adapter, WebGPU is the CPU emulating a GPU:
 * time one small convolution and product on each backend (or reuse the
 * measurement made on this adapter before) and keep the fastest.
 */
async function benchmarkAndChoose(adapter: string, skipped: SkippedBackend[], cached: BackendBenchmark | undefined): Promise<BackendReport> {
  const reused = cached !== undefined && cached.adapter === adapter;
  const ms: BackendBenchmark['ms'] = reused ? cached.ms : {};
  if (!reused) {
    for (const name of RACED) {
      if (name !== 'webgpu' && !(await tryBackend(name)).ok) continue;
      if (name === 'webgpu') await tf.setBackend('webgpu');
      ms[name] = await microBenchmark();
    }
  }
  const winner = fastestMeasured(ms, RACED) ?? 'webgpu';
  if (tf.getBackend() !== winner && !(await tf.setBackend(winner))) throw new NoBackendError([...skipped, { backend: winner, reason: 'measured fastest, but would not start again' }]);
  const why = `automatic: the WebGPU adapter (${adapter}) is a software (fallback) adapter, so the backends were ${reused ? 'measured earlier on it' : 'measured'}: ${describeBenchmark(ms)}`;
  const passedOver = winner === 'webgpu' ? skipped : [...skipped, { backend: 'webgpu' as const, reason: `software adapter (${adapter}), measured slower` }];
  return withThreads({ backend: winner, skipped: passedOver, adapter, reason: why, benchmark: { adapter, ms } });
}

/** Median ms of a 3x3 convolution on 64x64x32 plus a 256x256 product, after one warm-up step (shader compilation). */
async function microBenchmark(): Promise<number> {
  const x = tf.randomUniform([1, 64, 64, 32], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 32, 32], -1, 1, 'float32', 2) as tf.Tensor4D;
  const a = tf.randomUniform([256, 256], -1, 1, 'float32', 3) as tf.Tensor2D;
  const step = async () => {
    const out = tf.tidy(() => tf.add(tf.sum(tf.conv2d(x, w, 1, 'same')), tf.sum(tf.matMul(a, a))));
    try {
      await out.data();
    } finally {
      out.dispose();
    }
  };
  try {
    await step();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    return times.sort((p, q) => p - q)[1];
  } finally {
    tf.dispose([x, w, a]);
  }
}

export class NoBackendError extends Error {
  override readonly name = 'NoBackendError';
  constructor(readonly skipped: readonly SkippedBackend[]) {
    super(`no TF.js backend could start (${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}); try another browser`);
  }
}

type Outcome = { ok: true; adapter?: string; software?: boolean } | { ok: false; reason: string };

async function tryBackend(name: BackendName): Promise<Outcome> {
  let adapter: string | undefined;
  let software = false;
  if (name === 'webgpu') {
    const probe = await probeWebGpu();
    if (!probe.ok) return probe;
    adapter = probe.adapter;
    software = probe.software;
    // Without this flag TF.js runs small ops on the CPU and reads GPU data back for them.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  }
  if (tf.findBackendFactory(name) === null) return { ok: false, reason: 'not registered in this environment' };
  const failure = recordInitFailure(name);
  const started = await tf.setBackend(name);
  if (started) return { ok: true, ...(adapter === undefined ? {} : { adapter, software }) };
  return { ok: false, reason: `initialisation failed: ${failure.message ?? 'unknown error'}` };
}

async function probeWebGpu(): Promise<{ ok: true; adapter: string; software: boolean } | { ok: false; reason: string }> {
  const gpu = globalThis.navigator?.gpu;
  if (gpu === undefined) return { ok: false, reason: 'navigator.gpu is absent (WebGPU not available here)' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { ok: false, reason: `requestAdapter threw: ${messageOf(error)}` };
  }
  if (adapter === null) return { ok: false, reason: 'the browser refused a WebGPU adapter' };
  const info = adapter.info as GPUAdapterInfo & AdapterFacts;
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const software = isSoftwareAdapter({ ...pickFacts(info), ...(info.isFallbackAdapter === undefined && legacy !== undefined ? { isFallbackAdapter: legacy } : {}) });
  return { ok: true, adapter: [info.vendor, info.architecture].filter((s) => s !== '').join(' ') || 'unknown adapter', software };
}

function pickFacts(info: GPUAdapterInfo & AdapterFacts): AdapterFacts {
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, ...(info.isFallbackAdapter === undefined ? {} : { isFallbackAdapter: info.isFallbackAdapter }) };
}

/**
 * TF.js swallows a backend factory's exception (it only logs it), so the factory
 * is wrapped once to keep the message for the report.
 */
function recordInitFailure(name: string): { message?: string } {
  const record: { message?: string } = {};
  const original = tf.findBackendFactory(name);
  const priority = tf.engine().registryFactory[name]?.priority ?? 1;
  tf.removeBackend(name);
  tf.registerBackend(
    name,
    async () => {
      try {
        return await original();
      } catch (error) {
        record.message = messageOf(error);
        throw error;
      }
    },
    priority,
  );
  return record;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
