import { useShallow } from 'zustand/react/shallow';
import { engineStatusLine, progressLine } from '../state/status-words';
import { useAppStore } from '../state/store';

/** The "Engine status" region: backend (and why faster ones were skipped), model, progress (the warm-up's bar says the stage being compiled and the time left), errors. */
export function EngineStatus() {
  const state = useAppStore(useShallow((s) => ({ backend: s.backend, engineStatus: s.engineStatus, modelName: s.modelName, progress: s.progress })));
  const error = useAppStore((s) => s.engineError);
  const notice = useAppStore((s) => s.deviceNotice);
  const { progress } = state;
  return (
    <section role="status" aria-label="Engine status" className="engine-status" data-backend={state.backend?.backend ?? ''} data-status={state.engineStatus}>
      <p title={engineStatusLine(state)}>{engineStatusLine(state)}</p>
      {state.backend?.reason !== undefined && <p className="backend-reason">Why {state.backend.backend}: {state.backend.reason}</p>}
      {progress?.phase === 'download' && progress.total > 0 && <progress aria-label="Model download" max={progress.total} value={progress.loaded} />}
      {progress?.phase === 'warm-up' && <progress aria-label="Warm-up" aria-valuetext={progressLine(progress)} max={progress.total} value={progress.done} />}
      {progress?.phase === 'segment' && <progress aria-label="Segmentation" max={progress.total} value={progress.done} />}
      {notice !== null && <p className="notice">{notice}</p>}
      {error !== null && <p className="error">{error}</p>}
    </section>
  );
}
