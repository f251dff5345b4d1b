import { useState } from 'react';
import { compareModels } from '../state/compare-actions';
import type { ServedModel } from '../state/model-slice';
import { useAppStore } from '../state/store';
import { modelOptionText } from './compare-words';

/** Pits the loaded model against another served one on the picture on show, each with the attention it was trained with. */
export function CompareModels() {
  const models = useAppStore((s) => s.models);
  const modelId = useAppStore((s) => s.modelId);
  const hasImage = useAppStore((s) => s.image !== null);
  const busy = useAppStore((s) => s.engineStatus !== 'ready' && s.engineStatus !== 'error');
  const others = models.filter((m): m is ServedModel => m.kind === 'served' && m.id !== modelId);
  const [choice, setChoice] = useState<string | null>(null);
  const chosen = others.find((m) => m.id === choice) ?? others[0];
  if (others.length === 0) return null;
  return (
    <div className="compare-models" role="group" aria-label="Two models">
      <label className="field inline">
        <span>Compare against</span>
        <select aria-label="Compare against" value={chosen?.id ?? ''} onChange={(e) => setChoice(e.target.value)}>
          {others.map((m) => (
            <option key={m.id} value={m.id}>
              {modelOptionText(m.name, m.trainedAttention)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" disabled={!hasImage || busy || chosen === undefined} onClick={() => chosen !== undefined && void compareModels(chosen.id)}>
        Run both models
      </button>
    </div>
  );
}
