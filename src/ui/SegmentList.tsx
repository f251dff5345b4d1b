import { hoverRegion, layerCount, selectCluster, toggleRegion } from '../state/view-actions';
import { useAppStore } from '../state/store';
import { VIEW_MODES } from '../state/view-slice';
import { legendRegions, pictureShare } from '../viz';
import { labelledView } from './labelled-view';

/**
 * The legend, list "Segments": one entry per region of the current view (those
 * printing 0.0% of the picture left out) in its
 * overlay colour, with a switch to show or hide it; pointing at an entry
 * highlights the region, and its button follows the region's cluster in the stage explorer.
 */
export function SegmentList() {
  const result = useAppStore((s) => s.result);
  // While a new picture is segmented, the list still describes the previous one.
  const stale = useAppStore((s) => s.resultFor !== s.image);
  const classes = useAppStore((s) => s.classes);
  const viewMode = useAppStore((s) => s.viewMode);
  const selected = useAppStore((s) => s.selectedCluster);
  const hidden = useAppStore((s) => s.hiddenRegions);
  const hovered = useAppStore((s) => s.hoveredRegion);
  const minScore = useAppStore((s) => s.config?.postprocess.classThresholdThing ?? 0);
  const view = result === null ? null : labelledView(result, viewMode, classes, minScore);
  const total = result === null ? 1 : result.panoptic.width * result.panoptic.height;
  const title = VIEW_MODES.find((v) => v.mode === viewMode)?.label ?? viewMode;
  const listed = view === null ? [] : legendRegions(view.regions, total);
  const unlisted = view === null ? 0 : view.regions.length - listed.length;
  return (
    <section className={stale ? 'panel legend stale' : 'panel legend'} aria-labelledby="segments-title">
      <h2 id="segments-title">Segments{stale && ' (previous picture)'}</h2>
      <p className="hint">
        {view === null
          ? 'No result yet.'
          : `${listed.length} regions, ${title} view${unlisted > 0 ? ` (${unlisted} under 0.05% of the picture not listed)` : ''}. Untick one to hide it; point at one to highlight it.`}
      </p>
      <ul aria-label="Segments" className="segments" onMouseLeave={() => hoverRegion(null)}>
        {view !== null &&
          listed.map((r) => {
          const colour = `rgb(${view.colours[r.id * 3]}, ${view.colours[r.id * 3 + 1]}, ${view.colours[r.id * 3 + 2]})`;
          const shown = !hidden.includes(r.id);
          return (
            <li key={r.id} data-segment-id={r.id} className={hovered === r.id ? 'hovered' : undefined} onMouseEnter={() => hoverRegion(r.id)} onFocus={() => hoverRegion(r.id)} onBlur={() => hoverRegion(null)}>
              <input type="checkbox" checked={shown} aria-label={`Show ${r.name} (segment ${r.id})`} onChange={() => toggleRegion(r.id)} />
              <span className="swatch" style={{ background: colour }} aria-hidden="true" />
              <span className="name">{r.name}</span>
              <span className="meta">
                {r.score !== null && `${(r.score * 100).toFixed(0)}% · `}
                {pictureShare(r.area, total)}% of picture
              </span>
              {r.cluster !== null && (
                <button
                  type="button"
                  className="follow"
                  aria-pressed={selected === r.cluster}
                  aria-label={`Follow cluster ${r.cluster} of ${r.name} in the stage explorer`}
                  onClick={() => selectCluster(selected === r.cluster ? null : r.cluster, layerCount(useAppStore.getState().config))}
                >
                  k{r.cluster}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {view !== null && view.regions.length === 0 && <p className="hint">No segment passed the thresholds.</p>}
    </section>
  );
}
