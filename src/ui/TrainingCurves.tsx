import type { ComparedModel, ModelCurve } from '../state/result-slice';
import { attentionColour, curvePlot } from '../viz';
import { TRAINED_WITH } from './compare-words';

const SIZE = { width: 360, height: 200, margin: { left: 44, bottom: 36, top: 10, right: 24 } };

/**
 * Validation PQ against training step for every served model that ships a training curve, one
 * colour per attention mode; the two compared models drawn bold, the others faint.
 */
export function TrainingCurves({ curves, models, problems }: { curves: readonly ModelCurve[]; models: readonly ComparedModel[]; problems: readonly string[] }) {
  const plot = curvePlot(curves, SIZE);
  const compared = new Set(models.map((m) => m.id));
  const missing = models.filter((m) => !curves.some((c) => c.id === m.id));
  const { box } = plot;
  return (
    <section className="training-curves" aria-labelledby="curves-title">
      <h3 id="curves-title">Training curves</h3>
      {curves.length > 0 && (
        <svg role="img" aria-label="Training curves: validation PQ against training step" viewBox={`0 0 ${SIZE.width} ${SIZE.height}`} width={SIZE.width} height={SIZE.height}>
          <g className="axes">
            <line x1={box.left} y1={box.bottom} x2={box.right} y2={box.bottom} />
            <line x1={box.left} y1={box.top} x2={box.left} y2={box.bottom} />
            {plot.xTicks.map((t) => (
              <text key={`x${t.value}`} x={t.x} y={box.bottom + 14} textAnchor="middle">
                {t.value}
              </text>
            ))}
            {plot.yTicks.map((t) => (
              <text key={`y${t.value}`} x={box.left - 6} y={t.y + 4} textAnchor="end">
                {t.value.toFixed(1)}
              </text>
            ))}
            <text x={(box.left + box.right) / 2} y={SIZE.height - 4} textAnchor="middle">
              training step
            </text>
            <text x={12} y={(box.top + box.bottom) / 2} textAnchor="middle" transform={`rotate(-90 12 ${(box.top + box.bottom) / 2})`}>
              validation PQ
            </text>
          </g>
          {plot.lines.map((line) => {
            const curve = curves.find((c) => c.id === line.id) as ModelCurve;
            const bold = compared.has(line.id);
            return (
              <path key={line.id} d={line.d} fill="none" stroke={attentionColour(curve.attention)} strokeWidth={bold ? 3 : 1.5} strokeOpacity={bold ? 1 : 0.4} data-model={line.id} data-highlighted={bold}>
                <title>{curve.name}</title>
              </path>
            );
          })}
        </svg>
      )}
      <ul className="curve-legend" aria-label="Training curves legend">
        {curves.map((c) => {
          const last = c.points.reduce((best, p) => (p.step > best.step ? p : best), c.points[0] ?? { step: 0, pq: Number.NaN });
          return (
            <li key={c.id} className={compared.has(c.id) ? 'compared' : undefined}>
              <span className="swatch" style={{ background: attentionColour(c.attention) }} aria-hidden="true" />
              {c.name}: {c.attention === null ? 'attention not recorded' : TRAINED_WITH[c.attention]}, PQ {last.pq.toFixed(3)} at step {last.step}
              {c.images === null ? '' : ` (on ${c.images} validation scenes)`}
              {compared.has(c.id) ? ' (compared)' : ''}
            </li>
          );
        })}
        {missing.map((m) => (
          <li key={m.id} className="compared">
            {m.name}: no training curve shipped
          </li>
        ))}
      </ul>
      {problems.map((p) => (
        <p key={p} className="error">
          {p}
        </p>
      ))}
    </section>
  );
}
