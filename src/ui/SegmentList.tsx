import { useMemo } from 'react';
import { selectCluster } from '../state/actions';
import { useAppStore } from '../state/store';
import { segmentPalette } from '../viz';

/** The "Segments" list: one entry per panoptic segment, in its overlay colour; picking one selects its cluster. */
export function SegmentList() {
  const result = useAppStore((s) => s.result);
  const classes = useAppStore((s) => s.classes);
  const selected = useAppStore((s) => s.selectedCluster);
  const palette = useMemo(() => (result === null ? null : segmentPalette(result.panoptic.segments, classes)), [result, classes]);
  const total = result === null ? 1 : result.panoptic.width * result.panoptic.height;
  return (
    <section className="panel" aria-labelledby="segments-title">
      <h2 id="segments-title">Segments</h2>
      <ul aria-label="Segments" className="segments">
        {result?.panoptic.segments.map((s) => {
          const colour = palette === null ? 'transparent' : `rgb(${palette[s.id * 3]}, ${palette[s.id * 3 + 1]}, ${palette[s.id * 3 + 2]})`;
          return (
            <li key={s.id} data-segment-id={s.id}>
              <button type="button" aria-pressed={selected === s.cluster} onClick={() => selectCluster(selected === s.cluster ? null : s.cluster)}>
                <span className="swatch" style={{ background: colour }} aria-hidden="true" />
                <span className="name">{s.name}</span>
                <span className="meta">
                  {(s.score * 100).toFixed(0)}% · {((100 * s.area) / total).toFixed(1)}% of picture · cluster {s.cluster}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {result !== null && result.panoptic.segments.length === 0 && <p className="hint">No segment passed the thresholds.</p>}
    </section>
  );
}
