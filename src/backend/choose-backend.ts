import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND_ORDER, type BackendName, type BackendReport, type SkippedBackend } from './backend-report';

export interface ChooseBackendOptions {
  /** Candidates in order of preference; defaults to webgpu, webgl, wasm, cpu. */
  readonly order?: readonly BackendName[];
  /**
   * Where the wasm binaries are served (file name -> URL), so that nothing is
   * fetched from a CDN; Node finds them next to the package without this.
   */
  readonly wasmPaths?: Partial<Record<WasmBinary, string>>;
}

export type WasmBinary = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/**
 * Sets the fastest backend that initialises and says why each faster one was
 * skipped. WebGPU is probed before TF.js tries it, so that "no API" and "no
 * adapter" are told apart from a failed device or backend start.
 */
export async function chooseBackend(options: ChooseBackendOptions = {}): Promise<BackendReport> {
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  const skipped: SkippedBackend[] = [];
  for (const backend of options.order ?? BACKEND_ORDER) {
    const outcome = await tryBackend(backend);
    if (outcome.ok) return { backend, skipped, ...(outcome.adapter === undefined ? {} : { adapter: outcome.adapter }) };
    skipped.push({ backend, reason: outcome.reason });
  }
  throw new NoBackendError(skipped);
}

export class NoBackendError extends Error {
  override readonly name = 'NoBackendError';
  constructor(readonly skipped: readonly SkippedBackend[]) {
    super(`no TF.js backend could start (${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}); try another browser`);
  }
}

type Outcome = { ok: true; adapter?: string } | { ok: false; reason: string };

async function tryBackend(name: BackendName): Promise<Outcome> {
  let adapter: string | undefined;
  if (name === 'webgpu') {
    const probe = await probeWebGpu();
    if (!probe.ok) return probe;
    adapter = probe.adapter;
    // Without this flag TF.js runs small ops on the CPU and reads GPU data back for them.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  }
  if (tf.findBackendFactory(name) === null) return { ok: false, reason: 'not registered in this environment' };
  const failure = recordInitFailure(name);
  const started = await tf.setBackend(name);
  if (started) return { ok: true, ...(adapter === undefined ? {} : { adapter }) };
  return { ok: false, reason: `initialisation failed: ${failure.message ?? 'unknown error'}` };
}

async function probeWebGpu(): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  const gpu = globalThis.navigator?.gpu;
  if (gpu === undefined) return { ok: false, reason: 'navigator.gpu is absent (WebGPU not available here)' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { ok: false, reason: `requestAdapter threw: ${messageOf(error)}` };
  }
  if (adapter === null) return { ok: false, reason: 'the browser refused a WebGPU adapter' };
  const info = adapter.info;
  return { ok: true, adapter: [info.vendor, info.architecture].filter((s) => s !== '').join(' ') || 'unknown adapter' };
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
