// The engine's state in the words of the status line: stages, warm-up time left, progress, errors.
import { describeBackend } from '../backend/backend-report';
import { megabytes } from '../loading/model-store';
import type { EngineProgress } from './model-slice';
import type { AppState } from './store';

/**
 * The stages a run counts, in order (the segmenter's onProgress events, `total` = 3 + layers;
 * post-processing reports the last index again): what the warm-up compiles one after the other.
 */
export function stageNames(layers: number): string[] {
  return ['backbone', 'pixel decoder', ...Array.from({ length: layers }, (_, i) => `kmax layer ${i + 1}`), 'final head'];
}

/** Time left in the warm-up, at the mean time per stage so far; null before the first stage is done and after the last. */
export function warmUpEstimate(progress: { done: number; total: number; elapsedMs?: number }): string | null {
  if (progress.done === 0 || progress.done >= progress.total || progress.elapsedMs === undefined) return null;
  const seconds = Math.ceil(((progress.total - progress.done) * progress.elapsedMs) / progress.done / 1000);
  return seconds < 120 ? `about ${seconds} s left` : `about ${Math.ceil(seconds / 60)} min left`;
}

export function engineStatusLine(state: Pick<AppState, 'backend' | 'engineStatus' | 'modelName' | 'progress'>): string {
  const backend = state.backend === null ? 'choosing a backend' : `Backend: ${describeBackend(state.backend)}`;
  const model = state.modelName === null ? '' : ` · Model: ${state.modelName}`;
  const progress = state.progress === null ? STATUS_WORDS[state.engineStatus] : progressLine(state.progress);
  return `${backend}${model} · ${progress}`;
}

const STATUS_WORDS: Record<AppState['engineStatus'], string> = {
  idle: 'idle',
  loading: 'loading',
  warming: 'warming up',
  ready: 'ready',
  running: 'segmenting',
  rethresholding: 're-thresholding (post-processing the last network outputs, no new run)',
  error: 'error',
};

/** The engine's progress in words: bytes for a download, the stage being compiled and the time left for a warm-up, the finished stage for a run. */
export function progressLine(progress: EngineProgress): string {
  if (progress.phase === 'download') {
    if (progress.total === 0) return 'loading';
    return `downloading the model: ${megabytes(progress.loaded)} of ${megabytes(progress.total)} (${Math.round((100 * progress.loaded) / progress.total)}%)`;
  }
  if (progress.phase === 'warm-up' && progress.next !== undefined) {
    const estimate = warmUpEstimate(progress);
    const compiling = progress.next === '' ? 'finishing' : `compiling ${progress.next}`;
    return `warming up shaders: ${compiling} (${progress.done} of ${progress.total} done${estimate === null ? '' : `, ${estimate}`})`;
  }
  const what = progress.phase === 'warm-up' ? 'warming up shaders' : 'segmenting';
  return `${what}: ${progress.stage} done (${progress.done} of ${progress.total})`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
