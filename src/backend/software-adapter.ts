import type { BackendName } from './backend-report';

/** What an adapter says about itself (GPUAdapterInfo, plus the older `isFallbackAdapter` on the adapter). */
export interface AdapterFacts {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** Names of CPU rasterisers that browsers expose as WebGPU adapters. */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** A fallback (software, CPU) WebGPU adapter: flagged so by the browser, or named after a CPU rasteriser. */
export function isSoftwareAdapter(facts: AdapterFacts): boolean {
  if (facts.isFallbackAdapter === true) return true;
  return SOFTWARE.test([facts.vendor, facts.architecture, facts.device, facts.description].filter((s) => s !== undefined).join(' '));
}

/** A micro-benchmark of the backends on one adapter, kept by the page so that it runs once per machine. */
export interface BackendBenchmark {
  /** The adapter it was measured with (a different adapter measures again). */
  readonly adapter: string;
  /** Median milliseconds of one benchmark step per backend that started. */
  readonly ms: Partial<Record<BackendName, number>>;
}

/** The backend with the shortest measured time (ties keep the order of `BACKEND_ORDER`), or undefined when none was measured. */
export function fastestMeasured(ms: BackendBenchmark['ms'], order: readonly BackendName[]): BackendName | undefined {
  let best: BackendName | undefined;
  for (const name of order) {
    const t = ms[name];
    if (t === undefined || !Number.isFinite(t)) continue;
    if (best === undefined || t < (ms[best] as number)) best = name;
  }
  return best;
}

/** "wasm 4 ms, webgl 9 ms, webgpu 61 ms", fastest first. */
export function describeBenchmark(ms: BackendBenchmark['ms']): string {
  return Object.entries(ms)
    .sort((a, b) => (a[1] as number) - (b[1] as number))
    .map(([name, t]) => `${name} ${(t as number) < 10 ? (t as number).toFixed(1) : Math.round(t as number)} ms`)
    .join(', ');
}
