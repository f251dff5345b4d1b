import type { ClusterVerdict, PanopticResult, Segment } from '../segmenter/types';
import { pairIds } from './run-comparison';
import { nearestCell, type ResizedSize, type StageGrid } from './stage-overlay';

/** One run as the explanation needs it: its panoptic result (with the per-cluster verdicts) and final layer. */
export interface ExplainedRun {
  readonly panoptic: PanopticResult;
  /** The final layer record (cluster assignment at stride 4), when stages were recorded. */
  readonly final?: StageGrid;
  /** Where the photo sits in that run's network input. */
  readonly resized: ResizedSize;
}

/** A final segment of one run with no one-to-one counterpart in the other, and what the other run did there. */
export interface VanishedSegment {
  /** The run that has the segment (0 or 1); the other one lost it. */
  readonly run: 0 | 1;
  readonly segment: Segment;
  /**
   * The other run's cluster holding most of the segment's pixels in its final layer,
   * the share of the segment's pixels it holds, and post-processing's verdict on it;
   * null when the other run recorded no final layer.
   */
  readonly other: { readonly cluster: number; readonly share: number; readonly verdict: ClusterVerdict | undefined } | null;
}

/**
 * Segments are paired one to one across the runs, greatest overlap first (as the
 * "changed" measure pairs them; void with void). For each segment left without a pair,
 * the other run's final-layer cluster over most of its pixels is what would have
 * carried it, and that cluster's verdict says which post-processing rule removed it
 * (or which segment took its pixels).
 */
export function vanishedSegments(a: ExplainedRun, b: ExplainedRun): VanishedSegment[] {
  const ab = pairIds(a.panoptic.ids, b.panoptic.ids, { voidId: 0 }).pairs;
  const ba = new Map([...ab].map(([x, y]) => [y, x]));
  const out: VanishedSegment[] = [];
  for (const [run, own, other, pairs] of [
    [0, a, b, ab],
    [1, b, a, ba],
  ] as const) {
    for (const segment of own.panoptic.segments) {
      if (pairs.has(segment.id)) continue;
      out.push({ run, segment, other: majorityCluster(own.panoptic, segment.id, other) });
    }
  }
  return out;
}

function majorityCluster(panoptic: PanopticResult, id: number, other: ExplainedRun): VanishedSegment['other'] {
  const grid = other.final;
  if (grid === undefined) return null;
  const { width, height, ids } = panoptic;
  const cellX = Int32Array.from({ length: width }, (_, x) => nearestCell(x, width, other.resized.resizedWidth, grid.stride, grid.validWidth));
  const counts = new Map<number, number>();
  let total = 0;
  for (let y = 0; y < height; y++) {
    const row = nearestCell(y, height, other.resized.resizedHeight, grid.stride, grid.validHeight) * grid.width;
    for (let x = 0; x < width; x++) {
      if (ids[y * width + x] !== id) continue;
      const k = grid.assignment[row + cellX[x]];
      counts.set(k, (counts.get(k) ?? 0) + 1);
      total++;
    }
  }
  let cluster = -1;
  let best = 0;
  for (const [k, n] of counts) {
    if (n > best || (n === best && k < cluster)) {
      cluster = k;
      best = n;
    }
  }
  if (cluster < 0) return null;
  return { cluster, share: best / total, verdict: other.panoptic.clusters?.[cluster] };
}
