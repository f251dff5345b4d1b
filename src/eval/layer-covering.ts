/**
 * How well one kMaX layer's k-means assignment reproduces the ground-truth segments: the
 * segmentation covering (Arbeláez et al., PAMI 2011) of the ground truth by the clusters,
 *
 *   covering = Σ_S |S| · max_C IoU(S, C) / Σ_S |S|,
 *
 * over the labelled pixels (void and crowd are left out). It needs no matching, and both
 * merging two segments into one cluster and splitting one segment over clusters lower it.
 * It is measured on the map as the app draws it: every image pixel takes the cluster of its
 * nearest grid cell, so a coarse layer's blocky outlines count against it.
 */
import type { PanopticMap } from './panoptic-quality';

/** A layer's argmax map (as in a LayerRecord): row-major `height x width`, of which the top-left `validHeight x validWidth` cells cover the image. */
export interface AssignmentGrid {
  readonly assignment: Int32Array;
  readonly width: number;
  readonly validHeight: number;
  readonly validWidth: number;
}

/** Ground truth at image resolution. */
export interface GroundTruthMap extends PanopticMap {
  readonly width: number;
  readonly height: number;
}

export function assignmentCovering(grid: AssignmentGrid, truth: GroundTruthMap): number {
  const labelled = new Set(truth.segments.filter((s) => s.isCrowd !== true).map((s) => s.id));
  const overlap = new Map<number, Map<number, number>>();
  const clusterSize = new Map<number, number>();
  const add = (map: Map<number, number>, key: number) => map.set(key, (map.get(key) ?? 0) + 1);
  const rows = nearestCell(grid.validHeight, truth.height);
  const cols = nearestCell(grid.validWidth, truth.width);
  for (let y = 0; y < truth.height; y++) {
    for (let x = 0; x < truth.width; x++) {
      const segment = truth.ids[y * truth.width + x];
      if (!labelled.has(segment)) continue;
      const cluster = grid.assignment[rows[y] * grid.width + cols[x]];
      add(clusterSize, cluster);
      let row = overlap.get(segment);
      if (row === undefined) overlap.set(segment, (row = new Map()));
      add(row, cluster);
    }
  }
  let total = 0;
  let covered = 0;
  for (const row of overlap.values()) {
    let size = 0;
    for (const shared of row.values()) size += shared;
    let best = 0;
    for (const [cluster, shared] of row) best = Math.max(best, shared / (size + (clusterSize.get(cluster) ?? 0) - shared));
    total += size;
    covered += size * best;
  }
  return total === 0 ? 0 : covered / total;
}

/** Nearest of `cells` grid rows (or columns) to each image row: the grid spans the image corner to corner (align-corners, spec 1.3). */
function nearestCell(cells: number, pixels: number): Int32Array {
  const scale = pixels > 1 ? (cells - 1) / (pixels - 1) : 0;
  return Int32Array.from({ length: pixels }, (_, p) => Math.round(p * scale));
}
