import { megabytes } from '../loading/model-store';
import { useAppStore } from '../state/store';
import { describeConfig } from './model-description';

/** The loaded model: where it comes from, its configuration, classes and size. */
export function ModelInfo() {
  const config = useAppStore((s) => s.config);
  const classes = useAppStore((s) => s.classes);
  const bytes = useAppStore((s) => s.modelBytes);
  const entry = useAppStore((s) => s.models.find((m) => m.id === s.modelId));
  if (config === null || entry === undefined) return null;
  const things = classes.filter((c) => c.isThing).length;
  return (
    <section className="panel model-info" aria-labelledby="model-title">
      <h2 id="model-title">Model</h2>
      <dl>
        <dt>Name</dt>
        <dd>{config.name}</dd>
        <dt>Source</dt>
        <dd>{entry.kind === 'served' ? `served: ${new URL(entry.url, location.href).pathname}` : 'converted in this browser'}</dd>
        <dt>Config</dt>
        <dd>{describeConfig(config)}</dd>
        <dt>Size</dt>
        <dd>{bytes === null || bytes === 0 ? 'unknown' : megabytes(bytes)}</dd>
      </dl>
      <details>
        <summary>
          {classes.length} classes ({config.dataset}: {things} things, {classes.length - things} stuff)
        </summary>
        <p className="hint class-names">{classes.map((c) => c.name).join(', ')}</p>
      </details>
    </section>
  );
}
