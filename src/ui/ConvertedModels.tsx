import { megabytes } from '../loading/model-store';
import { deleteConvertedModel } from '../state/actions';
import type { ConvertedModel } from '../state/model-slice';
import { describeConfig } from './model-description';

/** The models converted in this browser: what each is, its classes and size, and a way to delete it. */
export function ConvertedModels({ models }: { models: readonly ConvertedModel[] }) {
  if (models.length === 0) return null;
  return (
    <ul className="converted" aria-label="Converted models">
      {models.map((m) => (
        <li key={m.id} data-model-id={m.id}>
          <strong>{m.name}</strong>
          <span className="hint">
            {describeConfig(m.config)} · {megabytes(m.bytes)}
          </span>
          <details>
            <summary>
              {m.classes.length} classes ({m.config.dataset})
            </summary>
            <p className="hint">{m.classes.map((c) => c.name).join(', ')}</p>
          </details>
          {m.damaged !== undefined && (
            <p role="alert" className="error">
              This stored copy is damaged ({m.damaged}). Delete it, then convert the checkpoint again.
            </p>
          )}
          <button type="button" aria-label={`Delete ${m.name}`} onClick={() => void deleteConvertedModel(m.id)}>
            {m.damaged !== undefined ? 'Delete damaged copy' : 'Delete'}
          </button>
        </li>
      ))}
    </ul>
  );
}
