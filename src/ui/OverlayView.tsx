import { useMemo, useState } from 'react';
import { hoverRegion, layerCount, selectCluster } from '../state/view-actions';
import { useAppStore } from '../state/store';
import type { ViewMode } from '../state/view-slice';
import type { StageTiming } from '../segmenter/types';
import { dropOverlapping, hideRegions, highlightLayer, panopticOverlay, placeLabels, sampleForDisplay, stageOverlay, type LabelAnchor, type LabelledView, type Region } from '../viz';
import { ImageCanvas } from './ImageCanvas';
import { layerColouring } from './layer-colours';
import { labelledView } from './labelled-view';
import { layerName } from './layer-name';
import { useResizedSize } from './use-resized-size';
import { useFitSize } from './use-fit-size';

/** What the main view shows at Final, per view mode (the View panel's "Show" choice). */
const FINAL_VIEW: Readonly<Record<ViewMode, string>> = {
  panoptic: 'panoptic result',
  semantic: 'semantic result (classes, no instances)',
  instances: 'instances (things only)',
};

/** Darkness laid over everything but the hovered region. */
const HOVER_DIM = 0.55;
/** Longest side of the drawn overlay (about twice the widest the layout shows it, for sharp high-DPI screens). */
const DISPLAY_SIDE = 1600;

/**
 * The main view: the decoder layer on show drawn over the picture, that layer's
 * pixel-to-cluster assignment at its own stride, or at Final the current view's
 * regions blended over it, with labels on each region's largest piece and hover details.
 */
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
  const config = useAppStore((s) => s.config);
  const layer = useAppStore((s) => s.layer);
  const colourBy = useAppStore((s) => s.colourBy);
  const numClusters = useAppStore((s) => s.numClusters);
  const selected = useAppStore((s) => s.selectedCluster);
  const selectedLayer = useAppStore((s) => s.selectedLayer);
  const follow = useAppStore((s) => s.follow);
  const lastPostprocessMs = useAppStore((s) => s.lastPostprocessMs);
  const count = layerCount(config);
  // A result for an earlier picture is not drawn over a new one.
  const current = result !== null && image !== null && resultFor === image ? result : null;
  const resized = useResizedSize(current === null ? null : image, config);
  const record = current?.layers !== undefined && layer < count ? current.layers[layer] : undefined;
  const stage = useMemo(() => {
    if (current === null || image === null || resized === null || record === undefined) return null;
    const colouring = layerColouring(current, resized, classes, colourBy, numClusters, { cluster: selected, layer: selectedLayer, follow });
    const highlight = colouring.highlightAt(layer);
    return stageOverlay(image.pixels, record, resized, colouring.colourOf(layer, record), { opacity: Math.max(opacity, 0.35), maxSide: DISPLAY_SIDE, ...(highlight === undefined ? {} : { highlight }) });
  }, [current, image, resized, record, classes, colourBy, numClusters, selected, selectedLayer, follow, layer, opacity]);
  const finalRecord = current?.layers?.[current.layers.length - 1];
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
  const { ref: frame, size } = useFitSize(image?.pixels.width ?? 1, image?.pixels.height ?? 1, Math.max(240, window.innerHeight * 0.4));
  const [pointer, setPointer] = useState<{ x: number; y: number } | null>(null);

  if (image === null || display === null) return <div className="overlay empty">Choose, drop or paste a picture, or pick a sample.</div>;
  const scale = size.width / display.photo.width;
  // Clicking the picture selects the cluster under the pointer, at the layer on show (Final: the final head's clusters).
  const pickCluster = (x: number, y: number) => {
    if (stage !== null && record !== undefined) {
      const k = record.assignment[stage.cellAt(x, y)];
      selectCluster(selected === k && selectedLayer === layer ? null : k, layer);
      return;
    }
    const id = display.ids[y * display.photo.width + x];
    const cluster = current?.panoptic.segments.find((s) => s.id === id)?.cluster;
    if (cluster !== undefined && finalRecord !== undefined) selectCluster(selected === cluster ? null : cluster, count);
  };
  const hoveredRegion = view?.regions.find((r) => r.id === hovered);
  const onHover = (point: { x: number; y: number } | null) => {
    if (point === null || view === null) {
      setPointer(null);
      hoverRegion(null);
      return;
    }
    setPointer({ x: (point.x + 0.5) * scale, y: (point.y + 0.5) * scale });
    const id = display.ids[point.y * display.photo.width + point.x];
    if (id !== hovered) hoverRegion(id <= 0 ? null : id); // void or a hidden region
  };
  const hoverAnchor = anchors.find((a) => a.id === hovered);
  const cardAt = pointer ?? (hoverAnchor === undefined ? null : { x: (hoverAnchor.x + 0.5) * scale, y: (hoverAnchor.y + 0.5) * scale });
  return (
    <figure ref={frame} className={current === null && result !== null ? 'overlay stale' : 'overlay'} aria-label="Main view" data-result-for={current === null ? undefined : image.name} data-view={viewMode} data-layer={layer}>
      <div className="overlay-stack" style={size}>
        {stage !== null && record !== undefined ? (
          <ImageCanvas image={stage.image} label="Cluster assignment" displaySize={size} onPixel={pickCluster} />
        ) : (
          <ImageCanvas image={overlay} label="Panoptic overlay" displaySize={size} onHover={onHover} onPixel={pickCluster} />
        )}
        {stage === null && highlight !== null && <ImageCanvas image={highlight} label="Highlighted segment" className="highlight" displaySize={size} />}
        {stage === null && labels && view !== null && <Labels view={view} anchors={anchors} scale={scale} size={size} />}
        {stage === null && hoveredRegion !== undefined && cardAt !== null && <HoverCard region={hoveredRegion} total={image.pixels.width * image.pixels.height} at={cardAt} size={size} />}
      </div>
      <figcaption>
        {record !== undefined && stage !== null && (
          <strong className="layer-caption">
            {layerName(layer, count)}: each pixel coloured by the cluster centre it is assigned to (argmax over {record.clusterSizes.length} clusters, stride {record.stride})
            {/* A no-break space keeps the separator on the caption's line when the line wraps. */}
            {'\u00a0· '}
          </strong>
        )}
        {stage === null && current !== null && <strong className="layer-caption">Final: {FINAL_VIEW[viewMode]}{'\u00a0· '}</strong>}
        {current === null && result !== null && <strong className="stale-note">Segmenting this picture; the result below is for the previous one · </strong>}
        {image.name} · {image.pixels.width}×{image.pixels.height}
        {image.downscaledFrom !== undefined && ` (scaled down from ${image.downscaledFrom[0]}×${image.downscaledFrom[1]})`}
        {current !== null && view === null && ` · computing the ${viewMode} view…`}
        {current !== null && ' · '}
        {current !== null && <Timings timings={current.timings} inputSize={current.inputSize} />}
        {current !== null && lastPostprocessMs !== null && <span className="rethreshold-time"> · view re-thresholded in {Math.round(lastPostprocessMs)} ms (no network run)</span>}
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

/** Where the time went, stage by stage (worker-side wall clock), after every run: the total, the stages on demand. */
function Timings({ timings, inputSize }: { timings: readonly StageTiming[]; inputSize: readonly [number, number] }) {
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  return (
    <details className="timings" aria-label="Stage timings">
      <summary>
        input {inputSize[1]}×{inputSize[0]} · total {Math.round(total)} ms
      </summary>
      {timings.map((t) => (
        <span key={t.stage} className="timing">
          {t.stage} {Math.round(t.ms)} ms
        </span>
      ))}
    </details>
  );
}
