import { loadModel } from '../state/actions';
import { useAppStore } from '../state/store';

/** The "Model" combobox: every model folder served under models/. */
export function ModelPicker() {
  const models = useAppStore((s) => s.models);
  const modelId = useAppStore((s) => s.modelId);
  const busy = useAppStore((s) => s.engineStatus === 'loading');
  return (
    <label className="field">
      <span>Model</span>
      <select aria-label="Model" value={modelId ?? ''} disabled={busy || models.length === 0} onChange={(e) => void loadModel(e.target.value)}>
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </select>
    </label>
  );
}
