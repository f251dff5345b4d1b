import { compareAttention, setAttention, setContours, setLabels, setOpacity } from '../state/actions';
import { useAppStore } from '../state/store';
import { ATTENTION_CHOICES } from '../state/view-slice';
import { panopticAnnotation, panopticPng, segmentPalette } from '../viz';
import { saveFile } from './downloads';

/** Attention mode, overlay look, compare and the downloads. */
export function ViewControls() {
  const attention = useAppStore((s) => s.attention);
  const opacity = useAppStore((s) => s.opacity);
  const contours = useAppStore((s) => s.contours);
  const labels = useAppStore((s) => s.labels);
  const result = useAppStore((s) => s.result);
  const image = useAppStore((s) => s.image);
  const classes = useAppStore((s) => s.classes);
  const busy = useAppStore((s) => s.engineStatus === 'running' || s.engineStatus === 'loading');
  const stem = (image?.name ?? 'image').replace(/\.[^.]*$/, '');
  return (
    <section className="panel controls" aria-labelledby="controls-title">
      <h2 id="controls-title">View</h2>
      <fieldset role="radiogroup" aria-label="Attention" className="radios">
        <legend>Attention</legend>
        {ATTENTION_CHOICES.map((c) => (
          <label key={c.mode}>
            <input type="radio" name="attention" value={c.mode} checked={attention === c.mode} onChange={() => void setAttention(c.mode)} />
            {c.label}
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Overlay opacity</span>
        <input type="range" aria-label="Overlay opacity" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} />
      </label>
      <label className="check">
        <input type="checkbox" checked={contours} onChange={(e) => setContours(e.target.checked)} /> Contours
      </label>
      <label className="check">
        <input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} /> Labels
      </label>
      <div className="buttons">
        <button type="button" disabled={image === null || busy} onClick={() => void compareAttention()}>
          Compare
        </button>
        <button type="button" disabled={result === null} onClick={() => result !== null && saveFile(`${stem}_panoptic.png`, panopticPng(result.panoptic), 'image/png')}>
          Download panoptic PNG
        </button>
        <button
          type="button"
          disabled={result === null}
          onClick={() => {
            if (result === null) return;
            const palette = segmentPalette(result.panoptic.segments, classes);
            const annotation = panopticAnnotation(result.panoptic, `${stem}_panoptic.png`);
            const segments = annotation.segments_info.map((s) => ({ ...s, color: [palette[s.id * 3], palette[s.id * 3 + 1], palette[s.id * 3 + 2]] }));
            saveFile(`${stem}_segments.json`, JSON.stringify({ ...annotation, segments_info: segments }, null, 1), 'application/json');
          }}
        >
          Download segments JSON
        </button>
      </div>
    </section>
  );
}
