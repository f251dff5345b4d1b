import { useEffect, useMemo } from 'react';
import { layerCount, selectCluster, setColourBy, setLayer, setPlaying, stepLayer } from '../state/actions';
import type { LoadedImage } from '../state/result-slice';
import { useAppStore } from '../state/store';
import type { LayerRecord } from '../segmenter/types';
import { attentionHeatmap, classPalette, clusterClassColours, clusterPalette, clusterSummaries, stageOverlay, stageStripPng, type ColourTable, type ResizedSize } from '../viz';
import { ClassProbabilityPlot } from './ClassProbabilityPlot';
import { saveFile } from './downloads';
import { ImageCanvas } from './ImageCanvas';
import { layerName } from './layer-name';
import { useResizedSize } from './use-resized-size';

/** Longest side of the assignment drawn over the photo. */
const STAGE_SIDE = 560;

/** The k-means clustering stage by stage: assignment per decoder layer over the photo, the clusters, one cluster followed across layers. */
export function StageExplorer() {
  const result = useAppStore((s) => s.result);
  const photo = useAppStore((s) => s.resultFor);
  const config = useAppStore((s) => s.config);
  const layer = useAppStore((s) => s.layer);
  const colourBy = useAppStore((s) => s.colourBy);
  const selected = useAppStore((s) => s.selectedCluster);
  const playing = useAppStore((s) => s.playing);
  const classes = useAppStore((s) => s.classes);
  const numClusters = useAppStore((s) => s.numClusters);
  const count = layerCount(config);
  const layers = result?.layers;
  const record: LayerRecord | undefined = layers?.[Math.min(layer, (layers?.length ?? 1) - 1)];
  const resized = useResizedSize(photo, config);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => stepLayer(1), 900);
    return () => clearInterval(timer);
  }, [playing]);

  const clusterColours = useMemo(() => clusterPalette(Math.max(256, numClusters)), [numClusters]);
  // Colouring by class takes each layer's own class predictions.
  const colourOf = useMemo(() => {
    if (colourBy === 'cluster') return () => clusterColours;
    const table = classPalette(classes);
    return (r: LayerRecord) => clusterClassColours(r.classProbs, r.clusterSizes.length, table);
  }, [colourBy, clusterColours, classes]);
  const colours = useMemo(() => (record === undefined ? clusterColours : colourOf(record)), [record, colourOf, clusterColours]);
  const stage = useMemo(
    () => (record === undefined || photo === null || resized === null ? null : stageOverlay(photo.pixels, record, resized, colours, { opacity: 0.7, maxSide: STAGE_SIDE, ...(selected === null ? {} : { highlight: selected }) })),
    [record, photo, resized, colours, selected],
  );
  const soft = useMemo(() => (record?.spatialAttention === undefined || selected === null ? null : attentionHeatmap(record.spatialAttention, selected, record)), [record, selected]);

  if (layers === undefined || record === undefined || stage === null || photo === null || resized === null) return null;
  const name = layerName(layer, count);
  const pick = (x: number, y: number) => {
    const k = record.assignment[stage.cellAt(x, y)];
    selectCluster(selected === k ? null : k);
  };
  return (
    <section className="panel explorer" aria-labelledby="explorer-title">
      <h2 id="explorer-title">Stage explorer</h2>
      <div className="explorer-controls">
        <label className="field">
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
          <legend>Colour by</legend>
          <label>
            <input type="radio" name="colour-by" checked={colourBy === 'cluster'} onChange={() => setColourBy('cluster')} /> cluster
          </label>
          <label>
            <input type="radio" name="colour-by" checked={colourBy === 'class'} onChange={() => setColourBy('class')} /> predicted class
          </label>
        </fieldset>
        <button type="button" onClick={() => saveFile('stages.png', stageStripPng(layers, clusterColours, 128), 'image/png')}>
          Download stage strip PNG
        </button>
      </div>
      <p className="hint">
        {name} · {record.attention === 'final' ? 'final head' : `${record.attention === 'kmeans' ? 'argmax' : record.attention} attention`} · stride {record.stride} · {record.validWidth}×{record.validHeight} cells ·{' '}
        {record.clusterSizes.filter((n) => n > 0).length} clusters in use
        {selected !== null && ` · cluster ${selected} selected (${record.clusterSizes[selected] ?? 0} cells)`}. Click the picture to follow a cluster across layers.
      </p>
      <div className="explorer-maps">
        <figure>
          <ImageCanvas image={stage.image} label="Cluster assignment" className="stage" onPixel={pick} />
          <figcaption>Assignment at stride {record.stride} (argmax over clusters), over the photo</figcaption>
        </figure>
        <figure>
          {soft === null ? (
            <p className="placeholder">Select a cluster (click the picture or the list) to see its soft attention.</p>
          ) : (
            <ImageCanvas image={soft} label="Soft attention map" className="pixelated" />
          )}
          <figcaption>{selected === null ? 'Soft attention' : `Soft attention of cluster ${selected} (softmax over pixels)`}</figcaption>
        </figure>
      </div>
      {selected !== null && <ClusterAcrossLayers layers={layers} cluster={selected} photo={photo} resized={resized} colourOf={colourOf} current={layer} count={count} />}
      <div className="explorer-details">
        <ClusterTable record={record} classes={classes} colours={colours} selected={selected} />
        {selected !== null && <ClassProbabilityPlot layers={layers} cluster={selected} classes={classes} count={count} />}
      </div>
    </section>
  );
}

interface AcrossProps {
  readonly layers: readonly LayerRecord[];
  readonly cluster: number;
  readonly photo: LoadedImage;
  readonly resized: ResizedSize;
  readonly colourOf: (record: LayerRecord) => ColourTable;
  readonly current: number;
  readonly count: number;
}

/** The selected cluster's pixels in every layer at once (other clusters faded); a thumbnail opens its layer. */
function ClusterAcrossLayers({ layers, cluster, photo, resized, colourOf, current, count }: AcrossProps) {
  const images = useMemo(() => layers.map((r) => stageOverlay(photo.pixels, r, resized, colourOf(r), { opacity: 0.8, highlight: cluster, maxSide: 160 }).image), [layers, cluster, photo, resized, colourOf]);
  return (
    <div className="across" role="group" aria-label={`Cluster ${cluster} across layers`}>
      {layers.map((r, i) => (
        <button key={r.layer} type="button" className="thumb" aria-pressed={i === current} onClick={() => setLayer(i)}>
          <ImageCanvas image={images[i]} label={`Cluster ${cluster} at ${layerName(i, count)}`} />
          <span>
            {layerName(i, count)} · {r.clusterSizes[cluster] ?? 0} cells
          </span>
        </button>
      ))}
    </div>
  );
}

/** The clusters of this layer, largest first: size and most probable class; a row's button selects the cluster. */
function ClusterTable({ record, classes, colours, selected }: { record: LayerRecord; classes: readonly { name: string }[]; colours: ColourTable; selected: number | null }) {
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
                <button type="button" aria-pressed={r.cluster === selected} onClick={() => selectCluster(r.cluster === selected ? null : r.cluster)}>
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
