import { useAppStore } from '../state/store';
import { ATTENTION_CHOICES } from '../state/view-slice';

const label = (mode: string) => ATTENTION_CHOICES.find((c) => c.mode === mode)?.label ?? mode;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));

/** Compare mode: the numbers that say how much the attention mode changed the result. */
export function ComparePanel() {
  const comparison = useAppStore((s) => s.comparison);
  if (comparison === null) return null;
  const { modes, numbers } = comparison;
  return (
    <section className="panel" aria-labelledby="compare-title">
      <h2 id="compare-title">Comparison</h2>
      <table aria-label="Comparison" className="compare">
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col">{label(modes[0])}</th>
            <th scope="col">{label(modes[1])}</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Pixels whose segment changed</th>
            <td colSpan={2} data-measure="changed">
              {pct(numbers.changedShare)}
            </td>
          </tr>
          <tr>
            <th scope="row">Segments</th>
            <td data-measure="segments-a">{numbers.segmentCounts[0]}</td>
            <td data-measure="segments-b">{numbers.segmentCounts[1]}</td>
          </tr>
          <tr>
            <th scope="row">Mean assignment confidence</th>
            <td>{num(numbers.meanConfidence[0])}</td>
            <td>{num(numbers.meanConfidence[1])}</td>
          </tr>
          <tr>
            <th scope="row">Cluster-size entropy (bits)</th>
            <td>{num(numbers.clusterEntropy[0])}</td>
            <td>{num(numbers.clusterEntropy[1])}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
