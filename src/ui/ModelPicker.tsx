import { loadModel } from '../state/actions';
import type { ModelEntry } from '../state/model-slice';
import { useAppStore } from '../state/store';
import { modelOptionText } from './compare-words';
import { ModelZoo } from './ModelZoo';

/** The "Model" combobox: model folders served under models/, then models converted in this browser; then the model zoo. */
export function ModelPicker() {
  const models = useAppStore((s) => s.models);
  const modelId = useAppStore((s) => s.modelId);
  const busy = useAppStore((s) => s.engineStatus === 'loading');
  const served = models.filter((m) => m.kind === 'served');
  const converted = models.filter((m) => m.kind === 'stored');
  return (
    <>
    <label className="field">
      <span>Model</span>
      <select aria-label="Model" value={modelId ?? ''} disabled={busy || models.length === 0} onChange={(e) => void loadModel(e.target.value)}>
        {modelId === null && <option value="">(none)</option>}
        {converted.length === 0 ? <Options models={served} /> : (
          <>
            <optgroup label="Served">
              <Options models={served} />
            </optgroup>
            <optgroup label="Converted in this browser">
              <Options models={converted} />
            </optgroup>
          </>
        )}
      </select>
    </label>
    <ModelZoo />
    </>
  );
}

function Options({ models }: { models: readonly ModelEntry[] }) {
  return models.map((m) => (
    <option key={m.id} value={m.id}>
      {modelOptionText(m.name, m.kind === 'served' ? m.trainedAttention : undefined)}
    </option>
  ));
}
