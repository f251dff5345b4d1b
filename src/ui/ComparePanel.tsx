import { useMemo } from 'react';
import { closeComparison, layerCount, selectCluster, stepLayer } from '../state/actions';
import type { Comparison } from '../state/result-slice';
import { useAppStore } from '../state/store';
import { clusterPalette, compareLayers, panopticOverlay, segmentPalette, stageOverlay, type RgbaImage } from '../viz';
import { ImageCanvas } from './ImageCanvas';
import { layerName } from './layer-name';
import { useResizedSize } from './use-resized-size';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));

/** Longest side of each side-by-side picture. */
const SIDE = 480;

/**
 * Compare mode: both runs side by side at the layer the "Decoder layer" slider
 * shows (cluster assignments over the photo; the panoptic results at Final),
 * with how much that layer and the final result changed.
 */
export function ComparePanel() {
  const comparison = useAppStore((s) => s.comparison);
  const photo = useAppStore((s) => s.image);
  const config = useAppStore((s) => s.config);
  const layer = useAppStore((s) => s.layer);
  const selected = useAppStore((s) => s.selectedCluster);
  const classes = useAppStore((s) => s.classes);
  const opacity = useAppStore((s) => s.opacity);
  const contours = useAppStore((s) => s.contours);
  const numClusters = useAppStore((s) => s.numClusters);
  const resized = useResizedSize(photo, config);
  const count = layerCount(config);
  const colours = useMemo(() => clusterPalette(Math.max(256, numClusters)), [numClusters]);
  const views = useMemo(() => {
    if (comparison === null || photo === null || resized === null) return null;
    return comparison.results.map((result) => {
      const record = result.layers?.[Math.min(layer, result.layers.length - 1)];
      if (layer >= count || record === undefined) {
        const { ids, segments } = result.panoptic;
        return { image: panopticOverlay(photo.pixels, ids, segmentPalette(segments, classes), { opacity, contours }), pick: undefined };
      }
      const stage = stageOverlay(photo.pixels, record, resized, colours, { opacity: 0.7, maxSide: SIDE, ...(selected === null ? {} : { highlight: new Set([selected]) }) });
      return { image: stage.image, pick: (x: number, y: number) => record.assignment[stage.cellAt(x, y)] };
    });
  }, [comparison, photo, resized, layer, count, classes, opacity, contours, colours, selected]);
  if (comparison === null || views === null) return null;
  const name = layerName(layer, count);
  const [a, b] = comparison.plans;
  return (
    <section className="panel compare-panel" aria-labelledby="compare-title">
      <div className="panel-head">
        <h2 id="compare-title">
          Comparison: {a.label} vs {b.label}
        </h2>
        <button type="button" onClick={closeComparison}>
          Close comparison
        </button>
      </div>
      <div className="explorer-controls">
        <button type="button" onClick={() => stepLayer(-1)}>
          ◀ Earlier layer
        </button>
        <strong className="compare-layer">{name}</strong>
        <button type="button" onClick={() => stepLayer(1)}>
          Later layer ▶
        </button>
        <span className="hint">Follows the Decoder layer slider. Cluster k is the same learned centre in both runs, so colours match across the two.</span>
      </div>
      <div className="side-by-side" role="group" aria-label="Side by side">
        {views.map((view, i) => (
          <SideView key={i} image={view.image} label={`${comparison.plans[i].label}: ${name}`} pick={view.pick} selected={selected} />
        ))}
      </div>
      <div className="compare-tables">
        <LayerTable comparison={comparison} layer={layer} name={name} />
        <FinalTable comparison={comparison} />
      </div>
    </section>
  );
}

function SideView({ image, label, pick, selected }: { image: RgbaImage; label: string; pick: ((x: number, y: number) => number) | undefined; selected: number | null }) {
  const onPixel = pick === undefined ? undefined : (x: number, y: number) => {
    const k = pick(x, y);
    selectCluster(selected === k ? null : k);
  };
  return (
    <figure>
      <ImageCanvas image={image} label={label} className="stage" {...(onPixel === undefined ? {} : { onPixel })} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}

/** The layer on show: cells whose cluster changed, clusters in use, confidence and cluster-size entropy. */
function LayerTable({ comparison, layer, name }: { comparison: Comparison; layer: number; name: string }) {
  const [ra, rb] = comparison.results.map((r) => r.layers?.[Math.min(layer, r.layers.length - 1)]);
  if (ra === undefined || rb === undefined) return null;
  const numbers = compareLayers(ra, rb);
  return (
    <CompareTable
      label="Per-layer numbers"
      caption={name}
      plans={comparison.plans}
      changed={{ label: 'Cells whose cluster changed', value: pct(numbers.changedShare), measure: 'layer-changed' }}
      rows={[
        { label: 'Clusters in use', values: numbers.clustersInUse },
        { label: 'Mean assignment confidence', values: numbers.meanConfidence.map(num) },
        { label: 'Cluster-size entropy (bits)', values: numbers.clusterEntropy.map(num) },
      ]}
    />
  );
}

/** The final panoptic results: pixels whose segment changed, segment counts, confidence and entropy of the final assignment. */
function FinalTable({ comparison }: { comparison: Comparison }) {
  const { plans, numbers } = comparison;
  return (
    <CompareTable
      label="Comparison"
      caption="Final result"
      plans={plans}
      changed={{ label: 'Pixels whose segment changed', value: pct(numbers.changedShare), measure: 'changed' }}
      rows={[
        { label: 'Segments', values: numbers.segmentCounts, measures: ['segments-a', 'segments-b'] },
        { label: 'Mean assignment confidence', values: numbers.meanConfidence.map(num) },
        { label: 'Cluster-size entropy (bits)', values: numbers.clusterEntropy.map(num) },
      ]}
    />
  );
}

interface CompareRow {
  readonly label: string;
  readonly values: readonly (string | number)[];
  /** data-measure of the two cells, for the tests. */
  readonly measures?: readonly [string, string];
}

/** Two runs side by side: one shared "changed" row, then one row per measure. */
function CompareTable({ label, caption, plans, changed, rows }: { label: string; caption: string; plans: Comparison['plans']; changed: { label: string; value: string; measure: string }; rows: readonly CompareRow[] }) {
  return (
    <table aria-label={label} className="compare">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Measure</th>
          <th scope="col">{plans[0].label}</th>
          <th scope="col">{plans[1].label}</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row">{changed.label}</th>
          <td colSpan={2} data-measure={changed.measure}>
            {changed.value}
          </td>
        </tr>
        {rows.map((row) => (
          <tr key={row.label}>
            <th scope="row">{row.label}</th>
            <td data-measure={row.measures?.[0]}>{row.values[0]}</td>
            <td data-measure={row.measures?.[1]}>{row.values[1]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
