import { useMemo } from 'react';
import { layerCount, selectCluster, setFollow, setLayer } from '../state/view-actions';
import type { LoadedImage } from '../state/result-slice';
import { useAppStore } from '../state/store';
import type { LayerRecord } from '../segmenter/types';
import { attentionHeatmap, clusterSummaries, panopticView, slotHistory, stageOverlay, type ClusterTrace, type ColourTable, type ResizedSize } from '../viz';
import { ClassProbabilityPlot } from './ClassProbabilityPlot';
import { ImageCanvas } from './ImageCanvas';
import { useLayerColouring, type LayerColouring } from './layer-colours';
import { layerName } from './layer-name';

/** The clusters of the layer on show: the followed cluster across layers, its soft attention, the cluster list and its class probabilities. */
export function StageExplorer() {
  const result = useAppStore((s) => s.result);
  const photo = useAppStore((s) => s.resultFor);
  const config = useAppStore((s) => s.config);
  const layer = useAppStore((s) => s.layer);
  const selected = useAppStore((s) => s.selectedCluster);
  const selectedLayer = useAppStore((s) => s.selectedLayer);
  const follow = useAppStore((s) => s.follow);
  const classes = useAppStore((s) => s.classes);
  const count = layerCount(config);
  const layers = result?.layers;
  const record: LayerRecord | undefined = layers?.[Math.min(layer, (layers?.length ?? 1) - 1)];
  const coloured = useLayerColouring(photo);
  const colours = useMemo(() => (record === undefined || coloured === null ? null : coloured.colouring.colourOf(Math.min(layer, (layers?.length ?? 1) - 1), record)), [record, coloured, layer, layers]);
  const soft = useMemo(() => (record?.spatialAttention === undefined || selected === null ? null : attentionHeatmap(record.spatialAttention, selected, record)), [record, selected]);
  const names = useMemo(() => (result === null ? new Map<number, string>() : new Map(panopticView(result.panoptic, classes).regions.map((r) => [r.id, r.name]))), [result, classes]);

  if (layers === undefined || record === undefined || photo === null || coloured === null || colours === null) return null;
  const { colouring, resized } = coloured;
  const name = layerName(layer, count);
  const object = selected === null || colouring.trace === null ? 0 : (colouring.trace.segments[Math.min(selectedLayer, layers.length - 1)]?.[selected] ?? 0);
  return (
    <section className="panel explorer" aria-labelledby="explorer-title">
      <h2 id="explorer-title">Stage explorer</h2>
      <p className="hint">
        {name} · {record.attention === 'final' ? 'final head' : `${record.attention === 'kmeans' ? 'argmax' : record.attention} attention`} · stride {record.stride} · {record.validWidth}×{record.validHeight} cells ·{' '}
        {record.clusterSizes.filter((n) => n > 0).length} clusters in use
        {selected !== null && ` · cluster ${selected} selected (${record.clusterSizes[selected] ?? 0} cells)`}. Click the picture or a row to follow a cluster across layers.
      </p>
      {selected !== null && (
        <>
          <fieldset role="radiogroup" aria-label="Follow" className="radios">
            <legend>Follow</legend>
            <label>
              <input type="radio" name="follow" checked={follow === 'slot'} onChange={() => setFollow('slot')} /> this slot (cluster {selected})
            </label>
            <label>
              <input type="radio" name="follow" checked={follow === 'object'} disabled={object === 0} onChange={() => setFollow('object')} /> this object{object === 0 ? ' (it reaches no final segment)' : ` (${names.get(object) ?? `segment ${object}`})`}
            </label>
          </fieldset>
          {colouring.trace !== null && <SlotNote trace={colouring.trace} cluster={selected} names={names} count={count} />}
          <ClusterAcrossLayers layers={layers} cluster={selected} photo={photo} resized={resized} colouring={colouring} current={layer} count={count} label={follow === 'object' && object > 0 ? `Object ${names.get(object) ?? object}` : `Cluster ${selected}`} />
        </>
      )}
      <div className="explorer-details">
        <ClusterTable record={record} classes={classes} colours={colours} selected={selected} layer={layer} />
        <figure className="soft">
          {soft === null ? (
            <p className="placeholder">Select a cluster (click the picture or the list) to see its soft attention.</p>
          ) : (
            <ImageCanvas image={soft} label="Soft attention map" className="pixelated" />
          )}
          <figcaption>{selected === null ? 'Soft attention' : `Soft attention of cluster ${selected} (softmax over pixels)`}</figcaption>
        </figure>
        {selected !== null && <ClassProbabilityPlot layers={layers} cluster={selected} classes={classes} count={count} />}
      </div>
    </section>
  );
}

/** One line when the followed slot holds different objects in different layers: slots are reused, objects are not. */
function SlotNote({ trace, cluster, names, count }: { trace: ClusterTrace; cluster: number; names: ReadonlyMap<number, string>; count: number }) {
  const runs = slotHistory(trace, cluster);
  if (runs.length < 2) return null;
  const what = (segment: number) => (segment === 0 ? 'no final segment' : `the ${names.get(segment) ?? `segment ${segment}`}`);
  const span = (from: number, to: number) => (from === to ? layerName(from, count) : `${layerName(from, count)}–${layerName(to, count)}`.replace('–Layer ', '–'));
  return (
    <p className="slot-note" role="note">
      Slot {cluster} changes object: {runs.map((r) => `${what(r.segment)} in ${span(r.from, r.to)}`).join(', then ')}.
    </p>
  );
}

interface AcrossProps {
  readonly layers: readonly LayerRecord[];
  readonly cluster: number;
  readonly photo: LoadedImage;
  readonly resized: ResizedSize;
  readonly colouring: LayerColouring;
  readonly current: number;
  readonly count: number;
  readonly label: string;
}

/** The followed slot or object in every layer at once (other clusters faded); a thumbnail opens its layer. */
function ClusterAcrossLayers({ layers, cluster, photo, resized, colouring, current, count, label }: AcrossProps) {
  const images = useMemo(
    () => layers.map((r, l) => stageOverlay(photo.pixels, r, resized, colouring.colourOf(l, r), { opacity: 0.8, highlight: colouring.highlightAt(l) ?? new Set([cluster]), maxSide: 160 }).image),
    [layers, cluster, photo, resized, colouring],
  );
  return (
    <div className="across" role="group" aria-label={`Cluster ${cluster} across layers`}>
      {layers.map((r, i) => (
        <button key={r.layer} type="button" className="thumb" aria-pressed={i === current} onClick={() => setLayer(i)}>
          <ImageCanvas image={images[i]} label={`${label} at ${layerName(i, count)}`} />
          <span>
            {layerName(i, count)} · slot {[...(colouring.highlightAt(i) ?? [])].join('+') || '–'}
          </span>
        </button>
      ))}
    </div>
  );
}

/** The clusters of this layer, largest first: size and most probable class; a row's button selects the cluster. */
function ClusterTable({ record, classes, colours, selected, layer }: { record: LayerRecord; classes: readonly { name: string }[]; colours: ColourTable; selected: number | null; layer: number }) {
  const rows = useMemo(() => clusterSummaries(record), [record]);
  return (
    <div className="cluster-table">
      <table aria-label="Clusters">
        <caption>Clusters in use</caption>
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            <th scope="col">Cells</th>
            <th scope="col">Top class</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.cluster} className={r.cluster === selected ? 'selected' : undefined}>
              <th scope="row">
                <button type="button" aria-pressed={r.cluster === selected} onClick={() => selectCluster(r.cluster === selected ? null : r.cluster, layer)}>
                  <span className="swatch" aria-hidden="true" style={{ background: `rgb(${colours[r.cluster * 3]}, ${colours[r.cluster * 3 + 1]}, ${colours[r.cluster * 3 + 2]})` }} />
                  {r.cluster}
                </button>
              </th>
              <td>
                {r.size} ({(r.share * 100).toFixed(1)}%)
              </td>
              <td>
                {classes[r.classId]?.name ?? 'void'} {(r.probability * 100).toFixed(0)}%
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
