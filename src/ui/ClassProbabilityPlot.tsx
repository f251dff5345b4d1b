import type { ClassInfo } from '../model/config';
import type { LayerRecord } from '../segmenter/types';
import { classTrajectories } from '../viz';
import { layerName } from './layer-name';

interface Props {
  readonly layers: readonly LayerRecord[];
  readonly cluster: number;
  readonly classes: readonly ClassInfo[];
  /** Number of kMaX layers (the last record is the final head). */
  readonly count: number;
}

/** Void's grey, as in the class palette. */
const VOID = 'rgb(128, 128, 128)';
const WIDTH = 360;
const HEIGHT = 170;
const PAD = { left: 34, right: 10, top: 10, bottom: 24 };

/** How one cluster's class prediction firms up layer by layer: a line per class worth following, the numbers below. */
export function ClassProbabilityPlot({ layers, cluster, classes, count }: Props) {
  const name = (id: number) => classes[id]?.name ?? 'void';
  // One colour language: each line in its class's colour, as in the overlay and the legend.
  const colour = (id: number) => {
    const c = classes[id]?.color;
    return c === undefined ? VOID : `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
  };
  const { classIds, series } = classTrajectories(layers, cluster, 3);
  const x = (i: number) => PAD.left + (i * (WIDTH - PAD.left - PAD.right)) / Math.max(1, layers.length - 1);
  const y = (p: number) => PAD.top + (1 - p) * (HEIGHT - PAD.top - PAD.bottom);
  const last = layers.length - 1;
  return (
    <figure className="class-plot">
      <svg role="img" aria-label="Class probabilities per layer" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT}>
        <title>{`Cluster ${cluster}: ${classIds.map((c, i) => `${name(c)} ${(series[i][last] * 100).toFixed(0)}%`).join(', ')} at the final layer`}</title>
        {[0, 0.5, 1].map((p) => (
          <g key={p} className="grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(p)} y2={y(p)} />
            <text x={PAD.left - 4} y={y(p) + 4} textAnchor="end">
              {p * 100}%
            </text>
          </g>
        ))}
        {layers.map((r, i) => (
          <text key={r.layer} className="axis" x={x(i)} y={HEIGHT - 6} textAnchor="middle">
            {i >= count ? 'F' : i + 1}
          </text>
        ))}
        {series.map((values, s) => (
          <g key={classIds[s]} data-class={name(classIds[s])} stroke={colour(classIds[s])} fill={colour(classIds[s])}>
            <polyline fill="none" strokeWidth={2} points={values.map((p, i) => `${x(i)},${y(p)}`).join(' ')} />
            {values.map((p, i) => (
              <circle key={i} cx={x(i)} cy={y(p)} r={2.5} />
            ))}
          </g>
        ))}
      </svg>
      <figcaption>
        Cluster {cluster}: class probabilities per layer
        <ul className="plot-legend">
          {classIds.map((c, s) => (
            <li key={c}>
              <span className="swatch" aria-hidden="true" style={{ background: colour(c) }} />
              {name(c)}: {series[s].map((p) => `${(p * 100).toFixed(0)}`).join(' → ')}%
            </li>
          ))}
        </ul>
      </figcaption>
      <details>
        <summary>Numbers per layer</summary>
        <table className="plot-table" aria-label="Class probabilities per layer (numbers)">
          <thead>
            <tr>
              <th scope="col">Layer</th>
              {classIds.map((c) => (
                <th key={c} scope="col">
                  {name(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {layers.map((r, i) => (
              <tr key={r.layer}>
                <th scope="row">{layerName(i, count)}</th>
                {series.map((values, s) => (
                  <td key={classIds[s]}>{(values[i] * 100).toFixed(1)}%</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
