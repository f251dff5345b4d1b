import { useEffect } from 'react';
import { layerCount, setColourBy, setLayer, setPlaying, stepLayer } from '../state/view-actions';
import { useAppStore } from '../state/store';
import { COLOUR_CHOICES } from '../state/view-slice';
import { layerName } from './layer-name';

/** The decoder layer the main view shows (slider, step, play) and how its clusters are coloured. */
export function LayerBar() {
  const config = useAppStore((s) => s.config);
  const layer = useAppStore((s) => s.layer);
  const playing = useAppStore((s) => s.playing);
  const colourBy = useAppStore((s) => s.colourBy);
  const count = layerCount(config);
  const name = layerName(layer, count);
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => stepLayer(1), 900);
    return () => clearInterval(timer);
  }, [playing]);
  return (
    <div className="layer-bar" role="group" aria-label="Layer on show">
      <label className="field layer-slider">
        <span>Decoder layer: {name}</span>
        <input type="range" aria-label="Decoder layer" min={1} max={count + 1} step={1} value={layer + 1} aria-valuetext={name} onChange={(e) => setLayer(Number(e.target.value) - 1)} />
      </label>
      <button type="button" onClick={() => stepLayer(-1)} aria-label="Previous layer">
        ◀
      </button>
      <button type="button" onClick={() => setPlaying(!playing)}>
        {playing ? 'Pause' : 'Play'}
      </button>
      <button type="button" onClick={() => stepLayer(1)} aria-label="Next layer">
        ▶
      </button>
      <fieldset role="radiogroup" aria-label="Colour clusters by" className="radios">
        <legend className="visually-hidden">Colour clusters by</legend>
        <span className="radios-title" aria-hidden="true">Colour by</span>
        {COLOUR_CHOICES.map((c) => (
          <label key={c.by}>
            <input type="radio" name="colour-by" checked={colourBy === c.by} onChange={() => setColourBy(c.by)} /> {c.label}
          </label>
        ))}
      </fieldset>
    </div>
  );
}
