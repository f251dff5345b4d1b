import { setAttention, setFromLayer, setViewMode } from '../state/actions';
import { layerCount, setContours, setLabels, setOpacity } from '../state/view-actions';
import { useAppStore } from '../state/store';
import { ATTENTION_CHOICES, VIEW_MODES } from '../state/view-slice';
import { encodePng, hideRegions, panopticAnnotation, panopticOverlay, panopticPng, segmentPalette } from '../viz';
import { saveFile } from './downloads';
import { labelledView } from './labelled-view';
import { compareAttention } from '../state/compare-actions';
import { CompareModels } from './CompareModels';

/** Attention plan, what the overlay shows and how, compare, and the downloads. */
export function ViewControls() {
  const attention = useAppStore((s) => s.attention);
  const trained = useAppStore((s) => s.trainedAttention);
  const fromLayer = useAppStore((s) => s.fromLayer);
  const viewMode = useAppStore((s) => s.viewMode);
  const opacity = useAppStore((s) => s.opacity);
  const contours = useAppStore((s) => s.contours);
  const labels = useAppStore((s) => s.labels);
  const busy = useAppStore((s) => s.engineStatus !== 'ready' && s.engineStatus !== 'error');
  const hasImage = useAppStore((s) => s.image !== null);
  const layers = useAppStore((s) => layerCount(s.config));
  return (
    <section className="panel controls" aria-labelledby="controls-title">
      <h2 id="controls-title">View</h2>
      <fieldset role="radiogroup" aria-label="Attention" className="radios">
        <legend>Attention</legend>
        {ATTENTION_CHOICES.map((c) => (
          <label key={c.mode}>
            <input
              type="radio"
              name="attention"
              value={c.mode}
              checked={attention === c.mode}
              aria-describedby={trained === c.mode ? 'attention-as-trained' : undefined}
              onChange={() => void setAttention(c.mode)}
            />
            {c.label}
            {/* A description, not part of the option's name. Unknown provenance: no mark. */}
            {trained === c.mode && (
              <span id="attention-as-trained" className="as-trained" aria-hidden="true">
                as trained
              </span>
            )}
          </label>
        ))}
        <label className="field inline">
          <span>from layer</span>
          <select aria-label="Attention from layer" value={fromLayer} disabled={attention === 'kmeans'} onChange={(e) => void setFromLayer(Number(e.target.value))}>
            {Array.from({ length: layers }, (_, i) => (
              <option key={i} value={i}>
                {i + 1}
              </option>
            ))}
          </select>
        </label>
        <p className="hint">{attention === 'kmeans' ? 'Argmax (k-means) in every layer.' : `Layers before ${fromLayer + 1} keep argmax.`}</p>
      </fieldset>
      <fieldset role="radiogroup" aria-label="Overlay view" className="radios">
        <legend>Show</legend>
        {VIEW_MODES.map((v) => (
          <label key={v.mode}>
            <input type="radio" name="view-mode" value={v.mode} checked={viewMode === v.mode} onChange={() => void setViewMode(v.mode)} />
            {v.label}
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Overlay opacity: {Math.round(opacity * 100)}%</span>
        <input type="range" aria-label="Overlay opacity" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
      </label>
      <div className="checks">
        <label className="check">
          <input type="checkbox" checked={contours} onChange={(e) => setContours(e.target.checked)} /> Contours
        </label>
        <label className="check">
          <input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} /> Labels
        </label>
      </div>
      <div className="buttons">
        <button type="button" disabled={!hasImage || busy} onClick={() => void compareAttention()}>
          Compare
        </button>
      </div>
      <CompareModels />
      <Downloads />
    </section>
  );
}

/** COCO panoptic PNG and its segments_info, and the overlay as shown (without the text labels). */
function Downloads() {
  const result = useAppStore((s) => s.result);
  const image = useAppStore((s) => s.resultFor);
  const classes = useAppStore((s) => s.classes);
  const stem = (image?.name ?? 'image').replace(/\.[^.]*$/, '');
  const saveOverlay = () => {
    const { viewMode, hiddenRegions, opacity, contours, config } = useAppStore.getState();
    if (result === null || image === null) return;
    const view = labelledView(result, viewMode, classes, config?.postprocess.classThresholdThing ?? 0);
    if (view === null) return;
    const overlay = panopticOverlay(image.pixels, hideRegions(view.ids, new Set(hiddenRegions)), view.colours, { opacity, contours });
    saveFile(`${stem}_${viewMode}_overlay.png`, encodePng(overlay.width, overlay.height, overlay.data, 4), 'image/png');
  };
  const saveSegments = () => {
    if (result === null) return;
    const palette = segmentPalette(result.panoptic.segments, classes);
    const annotation = panopticAnnotation(result.panoptic, `${stem}_panoptic.png`);
    const segments = annotation.segments_info.map((s) => ({ ...s, color: [palette[s.id * 3], palette[s.id * 3 + 1], palette[s.id * 3 + 2]] }));
    saveFile(`${stem}_segments.json`, JSON.stringify({ ...annotation, segments_info: segments }, null, 1), 'application/json');
  };
  return (
    <div className="buttons downloads" role="group" aria-label="Downloads">
      <button type="button" disabled={result === null} onClick={() => result !== null && saveFile(`${stem}_panoptic.png`, panopticPng(result.panoptic), 'image/png')}>
        Download panoptic PNG
      </button>
      <button type="button" disabled={result === null} onClick={saveSegments}>
        Download segments JSON
      </button>
      <button type="button" disabled={result === null} onClick={saveOverlay}>
        Download overlay PNG
      </button>
    </div>
  );
}
