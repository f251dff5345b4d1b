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
  /** WebGPU adapter description (vendor / architecture), when on webgpu. */
  readonly adapter?: string;
}

/** One line for the "Engine status" region. */
export function describeBackend(report: BackendReport): string {
  const head = report.adapter === undefined ? report.backend : `${report.backend} (${report.adapter})`;
  if (report.skipped.length === 0) return head;
  const why = report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  return `${head}, faster backends skipped: ${why}`;
}
