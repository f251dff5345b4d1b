import type { ClassInfo } from '../model/config';
import type { LayerRecord } from '../segmenter/types';
import { topClasses } from '../viz';

interface Props {
  readonly layers: readonly LayerRecord[];
  readonly cluster: number;
  readonly classes: readonly ClassInfo[];
}

/** How one cluster's class prediction firms up layer by layer: its top three classes per layer as bars. */
export function ClassProbabilityPlot({ layers, cluster, classes }: Props) {
  const name = (id: number) => classes[id]?.name ?? 'void';
  return (
    <table className="class-plot" aria-label="Class probabilities per layer">
      <caption>Cluster {cluster}: class probabilities per layer</caption>
      <thead>
        <tr>
          <th scope="col">Layer</th>
          <th scope="col">Top classes</th>
        </tr>
      </thead>
      <tbody>
        {layers.map((record) => (
          <tr key={record.layer}>
            <th scope="row">{record.final ? 'Final' : record.layer + 1}</th>
            <td>
              {topClasses(record.classProbs, record.clusterSizes.length, cluster, 3).map((c) => (
                <div key={c.classId} className="bar-row">
                  <span className="bar" style={{ width: `${Math.round(c.probability * 100)}%` }} />
                  <span className="bar-label">
                    {name(c.classId)} {(c.probability * 100).toFixed(1)}%
                  </span>
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
