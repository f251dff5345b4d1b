import { useEffect, useMemo } from 'react';
import { selectCluster, setColourBy, setLayer, setPlaying, stepLayer } from '../state/actions';
import { useAppStore } from '../state/store';
import type { LayerRecord } from '../segmenter/types';
import { assignmentToImage, attentionHeatmap, classPalette, clusterClassColours, clusterPalette, stageStripPng } from '../viz';
import { saveFile } from './downloads';
import { ImageCanvas } from './ImageCanvas';
import { ClassProbabilityPlot } from './ClassProbabilityPlot';

const layerName = (layer: number) => (layer === 6 ? 'Final' : `Layer ${layer + 1}`);

/** The k-means clustering stage by stage: assignment per decoder layer, cluster selection, soft maps. */
export function StageExplorer() {
  const result = useAppStore((s) => s.result);
  const layer = useAppStore((s) => s.layer);
  const colourBy = useAppStore((s) => s.colourBy);
  const selected = useAppStore((s) => s.selectedCluster);
  const playing = useAppStore((s) => s.playing);
  const classes = useAppStore((s) => s.classes);
  const numClusters = useAppStore((s) => s.numClusters);
  const layers = result?.layers;
  const record: LayerRecord | undefined = layers?.[Math.min(layer, (layers?.length ?? 1) - 1)];

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => stepLayer(1), 900);
    return () => clearInterval(timer);
  }, [playing]);

  const clusterColours = useMemo(() => clusterPalette(Math.max(256, numClusters)), [numClusters]);
  const colours = useMemo(() => {
    if (record === undefined || colourBy === 'cluster') return clusterColours;
    return clusterClassColours(record.classProbs, record.clusterSizes.length, classPalette(classes));
  }, [record, colourBy, clusterColours, classes]);
  const assignment = useMemo(() => (record === undefined ? null : assignmentToImage(record, colours, selected ?? undefined)), [record, colours, selected]);
  const soft = useMemo(
    () => (record?.spatialAttention === undefined || selected === null ? null : attentionHeatmap(record.spatialAttention, selected, record)),
    [record, selected],
  );

  if (layers === undefined || record === undefined) return null;
  const pick = (x: number, y: number) => {
    const k = record.assignment[y * record.width + x];
    selectCluster(selected === k ? null : k);
  };
  return (
    <section className="panel explorer" aria-labelledby="explorer-title">
      <h2 id="explorer-title">Stage explorer</h2>
      <div className="explorer-controls">
        <label className="field">
          <span>Decoder layer: {layerName(layer)}</span>
          <input type="range" aria-label="Decoder layer" min={1} max={7} step={1} value={layer + 1} aria-valuetext={layerName(layer)} onChange={(e) => setLayer(Number(e.target.value) - 1)} />
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
        {layerName(layer)} · stride {record.stride} · {record.validWidth}×{record.validHeight} cells · {record.clusterSizes.filter((n) => n > 0).length} clusters in use
        {selected !== null && ` · cluster ${selected} selected (${record.clusterSizes[selected] ?? 0} cells)`}. Click a cell to follow its cluster across layers.
      </p>
      <div className="explorer-maps">
        <figure>
          <ImageCanvas image={assignment} label="Cluster assignment" className="pixelated" onPixel={pick} />
          <figcaption>Assignment (argmax over clusters)</figcaption>
        </figure>
        {soft !== null && (
          <figure>
            <ImageCanvas image={soft} label="Soft attention map" className="pixelated" />
            <figcaption>Soft attention of cluster {selected} (softmax over pixels)</figcaption>
          </figure>
        )}
        {selected !== null && <ClassProbabilityPlot layers={layers} cluster={selected} classes={classes} />}
      </div>
    </section>
  );
}
