import type { BackendBenchmark } from './software-adapter';

/** The TF.js backends the app can run on, fastest first. */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_ORDER)[number];

export interface SkippedBackend {
  readonly backend: BackendName;
  /** Why a faster backend was not used, in words a user can act on. */
  readonly reason: string;
}

/** Which backend runs the model, and why each faster one was passed over. */
export interface BackendReport {
  readonly backend: BackendName;
  readonly skipped: readonly SkippedBackend[];
  /** WebGPU adapter description (vendor / architecture), when on webgpu or when it was passed over. */
  readonly adapter?: string;
  /** Why this backend: asked for by name, the fastest that started, or measured faster on a software adapter. */
  readonly reason?: string;
  /** The micro-benchmark behind the choice (run on a software WebGPU adapter), for the page to keep. */
  readonly benchmark?: BackendBenchmark;
  /** wasm: the number of threads (more than 1 only on a cross-origin isolated page). */
  readonly threads?: number;
}

/** One line for the "Engine status" region. */
export function describeBackend(report: BackendReport): string {
  const threads = report.threads === undefined ? '' : `, ${report.threads} thread${report.threads === 1 ? '' : 's'}`;
  const head = report.adapter === undefined || report.backend !== 'webgpu' ? `${report.backend}${threads}` : `${report.backend} (${report.adapter})`;
  if (report.skipped.length === 0) return head;
  const why = report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  return `${head}, faster backends skipped: ${why}`;
}
