import { engineStatusLine } from '../state/actions';
import { useAppStore } from '../state/store';
import { useShallow } from 'zustand/react/shallow';

/** The "Engine status" region: backend (and why faster ones were skipped), model, progress, errors. */
export function EngineStatus() {
  const state = useAppStore(useShallow((s) => ({ backend: s.backend, engineStatus: s.engineStatus, modelName: s.modelName, progress: s.progress })));
  const error = useAppStore((s) => s.engineError);
  const notice = useAppStore((s) => s.deviceNotice);
  return (
    <section role="status" aria-label="Engine status" className="engine-status" data-backend={state.backend?.backend ?? ''} data-status={state.engineStatus}>
      <p>{engineStatusLine(state)}</p>
      {state.progress !== null && state.progress.total > 0 && <progress aria-label="Model download" max={state.progress.total} value={state.progress.loaded} />}
      {notice !== null && <p className="notice">{notice}</p>}
      {error !== null && <p className="error">{error}</p>}
    </section>
  );
}
