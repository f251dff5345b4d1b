import { useMemo } from 'react';
import { layerCount, setLayer } from '../state/view-actions';
import { useAppStore } from '../state/store';
import { panopticOverlay, sampleForDisplay, stageOverlay, type RgbaImage } from '../viz';
import { saveFile } from './downloads';
import { ImageCanvas } from './ImageCanvas';
import { useLayerColouring } from './layer-colours';
import { layerName } from './layer-name';
import { layerCoverings } from './sample-truth';

/** Longest side of a filmstrip frame. */
const FRAME_SIDE = 150;

/**
 * The paper's figure, live: every kMaX layer's pixel-to-cluster assignment and
 * the final result as small multiples over the photo, labelled (with the
 * covering of the ground truth where the sample ships one), the one on show
 * marked; a frame opens its layer in the main view.
 */
export function Filmstrip() {
  const result = useAppStore((s) => s.result);
  const image = useAppStore((s) => s.image);
  const photo = useAppStore((s) => s.resultFor);
  const config = useAppStore((s) => s.config);
  const layer = useAppStore((s) => s.layer);
  const opacity = useAppStore((s) => s.opacity);
  const stale = photo !== image;
  const count = layerCount(config);
  const coloured = useLayerColouring(photo);
  const frames = useMemo(() => {
    if (coloured === null || result === null || photo === null || result.layers === undefined) return null;
    const { colouring, resized } = coloured;
    const a = Math.max(opacity, 0.35);
    return result.layers.map((record, l): RgbaImage => {
      if (!record.final) return stageOverlay(photo.pixels, record, resized, colouring.colourOf(l, record), { opacity: a, maxSide: FRAME_SIDE, ...(colouring.highlightAt(l) === undefined ? {} : { highlight: colouring.highlightAt(l) }) }).image;
      const small = sampleForDisplay(photo.pixels, result.panoptic.ids, FRAME_SIDE);
      return panopticOverlay(small.photo, small.ids, colouring.segmentColours, { opacity: a, contours: false });
    });
  }, [coloured, result, photo, opacity]);
  const coverings = useMemo(() => (result?.layers === undefined || photo?.truth === undefined ? null : layerCoverings(result.layers, photo.truth, photo.pixels)), [result, photo]);
  if (frames === null || result?.layers === undefined) return null;
  const layers = result.layers;
  const details = layers.map((r, l) => {
    const what = r.final ? `${result.panoptic.segments.length} segments` : `${r.clusterSizes.filter((n) => n > 0).length} clusters`;
    return `stride ${r.stride} · ${what}${coverings === null ? '' : ` · covers ${Math.round(100 * coverings[l])}% of the ground truth`}`;
  });
  return (
    <section className={stale ? 'panel filmstrip stale' : 'panel filmstrip'} aria-labelledby="filmstrip-title">
      <div className="panel-head">
        <h2 id="filmstrip-title">Layers{stale && ' (previous picture)'}</h2>
        <button type="button" onClick={() => void saveFigure(frames, layers.map((_, l) => [layerName(l, count), details[l]]))}>
          Download layers figure (PNG)
        </button>
      </div>
      <ol aria-label="Layers" className="frames">
        {layers.map((record, l) => {
          const name = layerName(l, count);
          const detail = details[l];
          return (
            <li key={record.layer}>
              <button type="button" className="frame" aria-pressed={l === layer} aria-label={`${name}: ${detail}`} onClick={() => setLayer(l)}>
                <ImageCanvas image={frames[l]} label={`${name} frame`} />
                <span className="frame-name">{name}</span>
                <span className="frame-detail">{detail}</span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** The filmstrip as one labelled PNG (the paper's figure): frames side by side, each with its name and numbers above. */
async function saveFigure(frames: readonly RgbaImage[], labels: readonly (readonly [string, string])[]): Promise<void> {
  const gap = 8;
  const head = 34;
  const width = frames.reduce((w, f) => w + f.width + gap, gap);
  const height = Math.max(...frames.map((f) => f.height)) + head + gap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#1b1f24';
  let x = gap;
  frames.forEach((frame, i) => {
    ctx.putImageData(new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height), x, head);
    ctx.font = 'bold 12px sans-serif';
    ctx.fillText(labels[i][0], x, 14);
    ctx.font = '11px sans-serif';
    ctx.fillText(labels[i][1], x, 28, frame.width);
    x += frame.width + gap;
  });
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  saveFile('layers.png', new Uint8Array(await blob.arrayBuffer()), 'image/png');
}
