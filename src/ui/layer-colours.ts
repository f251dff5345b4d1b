import { useMemo } from 'react';
import type { ClassInfo } from '../model/config';
import type { LayerRecord, SegmentResult } from '../segmenter/types';
import type { LoadedImage } from '../state/result-slice';
import { useAppStore } from '../state/store';
import type { ColourBy, FollowMode } from '../state/view-slice';
import { classPalette, clusterClassColours, clusterPalette, segmentPalette, slotsOfSegment, traceClusters, tracedClusterColours, type ClusterTrace, type ColourTable, type ResizedSize } from '../viz';
import { useResizedSize } from './use-resized-size';

let lastTrace: { result: SegmentResult; resized: ResizedSize; trace: ClusterTrace } | undefined;

/** The result's clusters traced across layers, computed once per result and shared by every view. */
export function traceOf(result: SegmentResult, resized: ResizedSize): ClusterTrace | null {
  if (result.layers === undefined) return null;
  if (lastTrace?.result === result && lastTrace.resized === resized) return lastTrace.trace;
  const trace = traceClusters(result.layers, result.panoptic, resized);
  lastTrace = { result, resized, trace };
  return trace;
}

/** Everything the layer views need to colour clusters the same way: one colour language across main view, filmstrip and details. */
export interface LayerColouring {
  readonly trace: ClusterTrace | null;
  /** Colour per panoptic segment id (the overlay's and the legend's). */
  readonly segmentColours: ColourTable;
  /** Colour table (per cluster slot) of record `l`. */
  colourOf(l: number, record: LayerRecord): ColourTable;
  /** Slots of record `l` to highlight for the current selection, or undefined for none. */
  highlightAt(l: number): ReadonlySet<number> | undefined;
}

export function layerColouring(result: SegmentResult, resized: ResizedSize, classes: readonly ClassInfo[], colourBy: ColourBy, numClusters: number, selection: { cluster: number | null; layer: number; follow: FollowMode }): LayerColouring {
  const trace = traceOf(result, resized);
  const segmentColours = segmentPalette(result.panoptic.segments, classes);
  const slots = clusterPalette(Math.max(256, numClusters));
  const classTable = classPalette(classes);
  const colourOf = (l: number, record: LayerRecord): ColourTable => {
    if (colourBy === 'cluster') return slots;
    if (colourBy === 'class') return clusterClassColours(record.classProbs, record.clusterSizes.length, classTable);
    const row = trace?.segments[l];
    return row === undefined ? slots : tracedClusterColours(row, segmentColours);
  };
  const { cluster, layer, follow } = selection;
  const object = cluster === null || trace === null ? 0 : (trace.segments[Math.min(layer, trace.segments.length - 1)]?.[cluster] ?? 0);
  const objectSlots = follow === 'object' && object > 0 && trace !== null ? slotsOfSegment(trace, object) : null;
  const highlightAt = (l: number): ReadonlySet<number> | undefined => {
    if (cluster === null) return undefined;
    return new Set(objectSlots === null ? [cluster] : (objectSlots[l] ?? []));
  };
  return { trace, segmentColours, colourOf, highlightAt };
}

/** The colouring of the current result, or null before a result with layers. */
export function useLayerColouring(photo: LoadedImage | null): { colouring: LayerColouring; resized: ResizedSize } | null {
  const result = useAppStore((s) => s.result);
  const config = useAppStore((s) => s.config);
  const classes = useAppStore((s) => s.classes);
  const colourBy = useAppStore((s) => s.colourBy);
  const numClusters = useAppStore((s) => s.numClusters);
  const cluster = useAppStore((s) => s.selectedCluster);
  const layer = useAppStore((s) => s.selectedLayer);
  const follow = useAppStore((s) => s.follow);
  const resized = useResizedSize(photo, config);
  return useMemo(
    () => (result === null || resized === null || result.layers === undefined ? null : { colouring: layerColouring(result, resized, classes, colourBy, numClusters, { cluster, layer, follow }), resized }),
    [result, resized, classes, colourBy, numClusters, cluster, layer, follow],
  );
}
