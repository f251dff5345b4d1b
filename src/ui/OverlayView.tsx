import { useMemo } from 'react';
import { useAppStore } from '../state/store';
import { panopticOverlay, placeLabels, segmentPalette } from '../viz';
import { ImageCanvas } from './ImageCanvas';
import type { StageTiming } from '../segmenter/types';

/** The picture with its panoptic segments blended over it, plus labels on each segment's largest piece. */
export function OverlayView() {
  const image = useAppStore((s) => s.image);
  const result = useAppStore((s) => s.result);
  const resultFor = useAppStore((s) => s.resultFor);
  const classes = useAppStore((s) => s.classes);
  const opacity = useAppStore((s) => s.opacity);
  const contours = useAppStore((s) => s.contours);
  const labels = useAppStore((s) => s.labels);
  // A result for an earlier picture is not drawn over a new one.
  const panoptic = result !== null && image !== null && resultFor === image ? result.panoptic : null;
  const palette = useMemo(() => (panoptic === null ? null : segmentPalette(panoptic.segments, classes)), [panoptic, classes]);
  const overlay = useMemo(() => {
    if (image === null) return null;
    const ids = panoptic?.ids ?? new Int32Array(image.pixels.width * image.pixels.height);
    return panopticOverlay(image.pixels, ids, palette ?? new Uint8Array(3), { opacity, contours });
  }, [image, panoptic, palette, opacity, contours]);
  const anchors = useMemo(() => (panoptic === null ? [] : placeLabels(panoptic.ids, panoptic.width, panoptic.height)), [panoptic]);
  if (image === null) return <div className="overlay empty">Choose, drop or paste a picture, or pick a sample.</div>;
  return (
    <figure className="overlay" data-result-for={panoptic === null ? undefined : image.name}>
      <div className="overlay-stack">
        <ImageCanvas image={overlay} label="Panoptic overlay" />
        {labels &&
          panoptic !== null &&
          anchors.map((a) => {
            const segment = panoptic.segments.find((s) => s.id === a.id);
            if (segment === undefined) return null;
            return (
              <span key={a.id} className="label" aria-hidden="true" style={{ left: `${(100 * (a.x + 0.5)) / panoptic.width}%`, top: `${(100 * (a.y + 0.5)) / panoptic.height}%` }}>
                {segment.name}
              </span>
            );
          })}
      </div>
      <figcaption>
        {image.name} · {image.pixels.width}×{image.pixels.height}
        {image.downscaledFrom !== undefined && ` (scaled down from ${image.downscaledFrom[0]}×${image.downscaledFrom[1]})`}
        {panoptic !== null && result !== null && <Timings timings={result.timings} inputSize={result.inputSize} />}
      </figcaption>
    </figure>
  );
}

/** Where the time went, stage by stage (worker-side wall clock). */
function Timings({ timings, inputSize }: { timings: readonly StageTiming[]; inputSize: readonly [number, number] }) {
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  return (
    <details className="timings">
      <summary>
        input {inputSize[1]}×{inputSize[0]} · {Math.round(total)} ms
      </summary>
      <ul>
        {timings.map((t) => (
          <li key={t.stage}>
            {t.stage}: {Math.round(t.ms)} ms
          </li>
        ))}
      </ul>
    </details>
  );
}
