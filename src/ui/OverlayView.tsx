import { useMemo, useState } from 'react';
import { hoverRegion } from '../state/actions';
import { useAppStore } from '../state/store';
import type { StageTiming } from '../segmenter/types';
import { dropOverlapping, hideRegions, highlightLayer, panopticOverlay, placeLabels, sampleForDisplay, type LabelAnchor, type LabelledView, type Region } from '../viz';
import { ImageCanvas } from './ImageCanvas';
import { labelledView } from './labelled-view';
import { useFitSize } from './use-fit-size';

/** Darkness laid over everything but the hovered region. */
const HOVER_DIM = 0.55;
/** Longest side of the drawn overlay (about twice the widest the layout shows it, for sharp high-DPI screens). */
const DISPLAY_SIDE = 1600;

/** The picture with the current view's regions blended over it, labels on each region's largest piece, and hover details. */
export function OverlayView() {
  const image = useAppStore((s) => s.image);
  const result = useAppStore((s) => s.result);
  const resultFor = useAppStore((s) => s.resultFor);
  const classes = useAppStore((s) => s.classes);
  const opacity = useAppStore((s) => s.opacity);
  const contours = useAppStore((s) => s.contours);
  const labels = useAppStore((s) => s.labels);
  const viewMode = useAppStore((s) => s.viewMode);
  const hidden = useAppStore((s) => s.hiddenRegions);
  const hovered = useAppStore((s) => s.hoveredRegion);
  const minScore = useAppStore((s) => s.config?.postprocess.classThresholdThing ?? 0);
  // A result for an earlier picture is not drawn over a new one.
  const current = result !== null && image !== null && resultFor === image ? result : null;
  const view = current === null ? null : labelledView(current, viewMode, classes, minScore);
  const shownIds = useMemo(() => (view === null ? null : hideRegions(view.ids, new Set(hidden))), [view, hidden]);
  // Drawn at most DISPLAY_SIDE pixels long, so that opacity steps and hovering stay quick on a big photo.
  const display = useMemo(() => (image === null ? null : sampleForDisplay(image.pixels, shownIds ?? new Int32Array(image.pixels.width * image.pixels.height), DISPLAY_SIDE)), [image, shownIds]);
  const overlay = useMemo(() => (display === null ? null : panopticOverlay(display.photo, display.ids, view?.colours ?? new Uint8Array(3), { opacity, contours })), [display, view, opacity, contours]);
  const highlight = useMemo(
    () => (display === null || view === null || hovered === null ? null : highlightLayer(display.ids, display.photo.width, display.photo.height, hovered, HOVER_DIM)),
    [display, view, hovered],
  );
  const anchors = useMemo(() => (display === null || view === null ? [] : placeLabels(display.ids, display.photo.width, display.photo.height)), [display, view]);
  const { ref: frame, size } = useFitSize(image?.pixels.width ?? 1, image?.pixels.height ?? 1, Math.max(240, window.innerHeight * 0.6));
  const [pointer, setPointer] = useState<{ x: number; y: number } | null>(null);

  if (image === null || display === null) return <div className="overlay empty">Choose, drop or paste a picture, or pick a sample.</div>;
  const scale = size.width / display.photo.width;
  const hoveredRegion = view?.regions.find((r) => r.id === hovered);
  const onHover = (point: { x: number; y: number } | null) => {
    if (point === null || view === null) {
      setPointer(null);
      hoverRegion(null);
      return;
    }
    setPointer({ x: (point.x + 0.5) * scale, y: (point.y + 0.5) * scale });
    const id = display.ids[point.y * display.photo.width + point.x];
    if (id !== hovered) hoverRegion(id === 0 ? null : id);
  };
  const hoverAnchor = anchors.find((a) => a.id === hovered);
  const cardAt = pointer ?? (hoverAnchor === undefined ? null : { x: (hoverAnchor.x + 0.5) * scale, y: (hoverAnchor.y + 0.5) * scale });
  return (
    <figure ref={frame} className="overlay" data-result-for={current === null ? undefined : image.name} data-view={viewMode}>
      <div className="overlay-stack" style={size}>
        <ImageCanvas image={overlay} label="Panoptic overlay" displaySize={size} onHover={onHover} />
        {highlight !== null && <ImageCanvas image={highlight} label="Highlighted segment" className="highlight" displaySize={size} />}
        {labels && view !== null && <Labels view={view} anchors={anchors} scale={scale} size={size} />}
        {hoveredRegion !== undefined && cardAt !== null && <HoverCard region={hoveredRegion} total={image.pixels.width * image.pixels.height} at={cardAt} size={size} />}
      </div>
      <figcaption>
        {image.name} · {image.pixels.width}×{image.pixels.height}
        {image.downscaledFrom !== undefined && ` (scaled down from ${image.downscaledFrom[0]}×${image.downscaledFrom[1]})`}
        {current !== null && view === null && ` · computing the ${viewMode} view…`}
        {current !== null && <Timings timings={current.timings} inputSize={current.inputSize} />}
      </figcaption>
    </figure>
  );
}

interface LabelsProps {
  readonly view: LabelledView;
  readonly anchors: readonly LabelAnchor[];
  readonly scale: number;
  readonly size: { readonly width: number; readonly height: number };
}

/**
 * Class names at each region's largest piece, kept inside the picture; a label
 * that would cover a bigger region's label is left out.
 */
function Labels({ view, anchors, scale, size }: LabelsProps) {
  const inside = (v: number, half: number, extent: number) => Math.min(extent - half, Math.max(half, v));
  const boxes = anchors
    .map((a) => ({ ...a, region: view.regions.find((r) => r.id === a.id) }))
    .filter((a): a is typeof a & { region: Region } => a.region !== undefined)
    .sort((a, b) => b.area - a.area)
    // Label boxes in CSS pixels: 0.75rem system-ui is about 6.5 px per character.
    .map((a) => {
      const width = a.region.name.length * 6.5 + 10;
      return { ...a, x: inside((a.x + 0.5) * scale, width / 2, size.width), y: inside((a.y + 0.5) * scale, 9, size.height), width, height: 17 };
    });
  return dropOverlapping(boxes).map((b) => (
    <span key={b.id} className="label" aria-hidden="true" style={{ left: b.x, top: b.y }}>
      {b.region.name}
    </span>
  ));
}

/** Name, score and area of the hovered region, beside the pointer and inside the picture. */
function HoverCard({ region, total, at, size }: { region: Region; total: number; at: { x: number; y: number }; size: { width: number; height: number } }) {
  const left = at.x > size.width / 2;
  const top = at.y > size.height / 2;
  const style = { [left ? 'right' : 'left']: (left ? size.width - at.x : at.x) + 12, [top ? 'bottom' : 'top']: (top ? size.height - at.y : at.y) + 12 };
  return (
    <div className="hover-card" role="tooltip" style={style}>
      <strong>{region.name}</strong>
      {region.score !== null && <span>score {(region.score * 100).toFixed(1)}%</span>}
      <span>
        area {((100 * region.area) / total).toFixed(1)}% ({region.area.toLocaleString('en')} px)
      </span>
      {region.cluster !== null && <span>cluster {region.cluster}</span>}
    </div>
  );
}

/** Where the time went, stage by stage (worker-side wall clock), after every run. */
function Timings({ timings, inputSize }: { timings: readonly StageTiming[]; inputSize: readonly [number, number] }) {
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  return (
    <span className="timings" aria-label="Stage timings">
      <span>
        input {inputSize[1]}×{inputSize[0]} · total {Math.round(total)} ms:
      </span>
      {timings.map((t) => (
        <span key={t.stage} className="timing">
          {t.stage} {Math.round(t.ms)} ms
        </span>
      ))}
    </span>
  );
}
