import { useMemo } from 'react';
import { layerCount, selectCluster, stepLayer } from '../state/view-actions';
import { closeComparison } from '../state/compare-actions';
import type { Comparison } from '../state/result-slice';
import { useAppStore } from '../state/store';
import { clusterPalette, compareLayers, panopticOverlay, segmentPalette, stageOverlay, type LayerComparison, type RgbaImage } from '../viz';
import { CompareAttentionMap } from './CompareAttentionMap';
import { vanishedText } from './compare-words';
import { ImageCanvas } from './ImageCanvas';
import { layerName } from './layer-name';
import { TrainingCurves } from './TrainingCurves';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));

/** Longest side of each side-by-side picture. */
const SIDE = 480;

/**
 * Compare mode: both runs side by side at the layer the "Decoder layer" slider
 * shows (cluster assignments over the photo; the panoptic results at Final),
 * with how much that layer and the final result changed. It opens at the first
 * layer whose assignments differ, says why segments of one run are missing from
 * the other, and draws a selected cluster's soft attention over the photo.
 * Two models: also their held-out PQ and training curves.
 */
export function ComparePanel() {
  const comparison = useAppStore((s) => s.comparison);
  const photo = useAppStore((s) => s.image);
  const config = useAppStore((s) => s.config);
  const layer = useAppStore((s) => s.layer);
  const selected = useAppStore((s) => s.selectedCluster);
  const opacity = useAppStore((s) => s.opacity);
  const contours = useAppStore((s) => s.contours);
  const numClusters = useAppStore((s) => s.numClusters);
  const count = layerCount(config);
  const colours = useMemo(() => clusterPalette(Math.max(256, numClusters)), [numClusters]);
  const views = useMemo(() => {
    if (comparison === null || photo === null) return null;
    return comparison.results.map((result, i) => {
      const record = result.layers?.[Math.min(layer, result.layers.length - 1)];
      if (layer >= count || record === undefined) {
        const { ids, segments } = result.panoptic;
        return { image: panopticOverlay(photo.pixels, ids, segmentPalette(segments, comparison.classes[i]), { opacity, contours }), pick: undefined, record: undefined };
      }
      const stage = stageOverlay(photo.pixels, record, comparison.resized[i], colours, { opacity: 0.7, maxSide: SIDE, ...(selected === null ? {} : { highlight: new Set([selected]) }) });
      return { image: stage.image, pick: (x: number, y: number) => record.assignment[stage.cellAt(x, y)], record };
    });
  }, [comparison, photo, layer, count, opacity, contours, colours, selected]);
  if (comparison === null || views === null || photo === null) return null;
  const name = layerName(layer, count);
  const [a, b] = comparison.plans;
  const twoModels = comparison.models !== undefined;
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
      <p className="compare-opened" data-opened-at={comparison.openedAt}>
        {comparison.openedAt >= count
          ? `Opened at Final: no layer’s pixel-to-cluster assignment differs between ${pairOf(comparison)}.`
          : `Opened at ${layerName(comparison.openedAt, count).toLowerCase()}: the first layer where the assignments differ.`}
      </p>
      <div className="explorer-controls">
        <button type="button" onClick={() => stepLayer(-1)}>
          ◀ Earlier layer
        </button>
        <strong className="compare-layer">{name}</strong>
        <button type="button" onClick={() => stepLayer(1)}>
          Later layer ▶
        </button>
        <span className="hint">
          {twoModels
            ? 'Follows the Decoder layer slider. Two models: cluster k of one is not cluster k of the other, so colours do not match and changed cells pair clusters one to one by overlap.'
            : 'Follows the Decoder layer slider. Cluster k is the same learned centre in both runs, so colours match across the two. Click a cluster to see its attention weights.'}
        </span>
      </div>
      <div className="side-by-side" role="group" aria-label="Side by side">
        {views.map((view, i) => (
          <div key={i} className="compare-side">
            <SideView image={view.image} label={`${comparison.plans[i].label}: ${name}`} pick={view.pick} selected={selected} />
            {view.record !== undefined && selected !== null && <CompareAttentionMap photo={photo.pixels} record={view.record} cluster={selected} resized={comparison.resized[i]} runLabel={comparison.plans[i].label} maxSide={SIDE} />}
          </div>
        ))}
      </div>
      <div className="compare-tables">
        <LayerTable comparison={comparison} layer={layer} name={name} />
        <FinalTable comparison={comparison} />
      </div>
      <Vanished comparison={comparison} />
      {comparison.models !== undefined && (
        <TrainingCurves curves={comparison.curves ?? []} models={comparison.models} problems={comparison.reportProblems ?? []} />
      )}
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

/** What the two sides are: one model run two ways, or two models. */
function pairOf(comparison: Comparison): string {
  return comparison.models === undefined ? 'the two runs' : 'the two models';
}

/** The layer on show: cells whose cluster changed, clusters in use, confidence and cluster-size entropy. */
function LayerTable({ comparison, layer, name }: { comparison: Comparison; layer: number; name: string }) {
  const [ra, rb] = comparison.results.map((r) => r.layers?.[Math.min(layer, r.layers.length - 1)]);
  if (ra === undefined || rb === undefined) return null;
  let numbers: LayerComparison | null;
  try {
    numbers = compareLayers(ra, rb, { pairClusters: comparison.models !== undefined });
  } catch {
    // Two models with different input sizes: their maps cannot be laid cell on cell.
    numbers = null;
  }
  if (numbers === null) return <p className="hint">{name}: the two models’ maps differ in size, so cells cannot be compared.</p>;
  return (
    <CompareTable
      label="Per-layer numbers"
      caption={name}
      plans={comparison.plans}
      changed={{ label: `Cells whose cluster differs between ${pairOf(comparison)}${comparison.models === undefined ? '' : ' (clusters paired by overlap)'}`, value: pct(numbers.changedShare), measure: 'layer-changed' }}
      rows={[
        { label: 'Clusters in use', values: numbers.clustersInUse },
        { label: 'Mean assignment confidence', values: numbers.meanConfidence.map(num) },
        { label: 'Cluster-size entropy (bits)', values: numbers.clusterEntropy.map(num) },
      ]}
    />
  );
}

/** The final panoptic results: pixels whose segment changed, segment counts, confidence and entropy; two models: their held-out PQ. */
function FinalTable({ comparison }: { comparison: Comparison }) {
  const { plans, numbers, models } = comparison;
  const heldOut = models?.map((m) => (m.heldOut === null ? 'no held-out.json shipped' : `${num(m.heldOut.pq)} (${m.heldOut.images} scenes)`));
  return (
    <CompareTable
      label="Comparison"
      caption="Final result"
      plans={plans}
      changed={{ label: `Pixels whose segment differs between ${pairOf(comparison)}`, value: pct(numbers.changedShare), measure: 'changed' }}
      rows={[
        { label: 'Segments', values: numbers.segmentCounts, measures: ['segments-a', 'segments-b'] },
        { label: 'Mean assignment confidence', values: numbers.meanConfidence.map(num) },
        { label: 'Cluster-size entropy (bits)', values: numbers.clusterEntropy.map(num) },
        ...(heldOut === undefined ? [] : [{ label: 'Held-out PQ', values: heldOut, measures: ['held-out-a', 'held-out-b'] as const }]),
      ]}
    />
  );
}

/** Segments one run has and the other lost, and the rule that removed them there. */
function Vanished({ comparison }: { comparison: Comparison }) {
  const labels = [comparison.plans[0].label, comparison.plans[1].label] as const;
  return (
    <section className="vanished" aria-labelledby="vanished-title">
      <h3 id="vanished-title">Segments only one run has</h3>
      {comparison.vanished.length === 0 ? (
        <p className="hint">Every final segment of each run has a counterpart in the other.</p>
      ) : (
        <ul aria-labelledby="vanished-title">
          {comparison.vanished.map((v) => (
            <li key={`${v.run}-${v.segment.id}`}>{vanishedText(v, labels, comparison.classes)}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface CompareRow {
  readonly label: string;
  readonly values: readonly (string | number)[];
  /** data-measure of the two cells, for the tests. */
  readonly measures?: readonly [string, string];
}

/** Two runs side by side: one sentence for the pair (what changed), then one row per measure. */
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
          {/* One value for the pair of runs: a sentence across the table, under neither run's column. */}
          <td colSpan={3} className="compare-pair">
            {changed.label}: <strong data-measure={changed.measure}>{changed.value}</strong>
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

