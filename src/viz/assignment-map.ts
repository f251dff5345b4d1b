import type { LayerRecord } from '../segmenter/types';
import type { ColourTable, RgbaImage } from './raster';
import { rgbaImage } from './raster';

/** The fields of a layer record that drawing its assignment needs. */
export type AssignmentGrid = Pick<LayerRecord, 'assignment' | 'width' | 'height' | 'validWidth' | 'validHeight'>;

/**
 * A layer's pixel-to-cluster assignment as an image at native stride, cropped
 * to the area that covers the photo (padding dropped). `colours` is indexed by
 * cluster id: a cluster palette, or `clusterClassColours` to colour by class.
 * With `highlight`, every other cluster is dimmed to a third.
 */
export function assignmentToImage(grid: AssignmentGrid, colours: ColourTable, highlight?: number): RgbaImage {
  const out = rgbaImage(grid.validWidth, grid.validHeight);
  for (let y = 0; y < grid.validHeight; y++) {
    for (let x = 0; x < grid.validWidth; x++) {
      const k = grid.assignment[y * grid.width + x];
      const dim = highlight !== undefined && k !== highlight ? 3 : 1;
      const dst = (y * grid.validWidth + x) * 4;
      for (let c = 0; c < 3; c++) out.data[dst + c] = colours[k * 3 + c] / dim;
      out.data[dst + 3] = 255;
    }
  }
  return out;
}

/** Most probable class per cluster (void included as the last class), from K x (C+1) probabilities. */
export function clusterClasses(classProbs: Float32Array, numClusters: number): Int32Array {
  const width = classProbs.length / numClusters;
  const out = new Int32Array(numClusters);
  for (let k = 0; k < numClusters; k++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (classProbs[k * width + c] > classProbs[k * width + best]) best = c;
    out[k] = best;
  }
  return out;
}

/** Colour per cluster = colour of its predicted class (`classColours` from `classPalette`). */
export function clusterClassColours(classProbs: Float32Array, numClusters: number, classColours: ColourTable): ColourTable {
  const classes = clusterClasses(classProbs, numClusters);
  const table = new Uint8Array(numClusters * 3);
  classes.forEach((c, k) => table.set(classColours.subarray(c * 3, c * 3 + 3), k * 3));
  return table;
}

/** The `n` most probable classes of one cluster, most probable first. */
export function topClasses(classProbs: Float32Array, numClusters: number, cluster: number, n: number): { classId: number; probability: number }[] {
  const width = classProbs.length / numClusters;
  const row = Array.from(classProbs.subarray(cluster * width, (cluster + 1) * width), (probability, classId) => ({ classId, probability }));
  return row.sort((a, b) => b.probability - a.probability).slice(0, n);
}

/** One row of a layer's cluster list. */
export interface ClusterSummary {
  readonly cluster: number;
  /** Valid cells assigned to it. */
  readonly size: number;
  /** `size` as a share of the valid cells. */
  readonly share: number;
  /** Most probable class (void = the last id) and its probability. */
  readonly classId: number;
  readonly probability: number;
}

/** The clusters a layer uses, largest first, each with its most probable class. */
export function clusterSummaries(record: Pick<LayerRecord, 'clusterSizes' | 'classProbs'>): ClusterSummary[] {
  const k = record.clusterSizes.length;
  const total = record.clusterSizes.reduce((n, s) => n + s, 0);
  const out: ClusterSummary[] = [];
  for (let cluster = 0; cluster < k; cluster++) {
    const size = record.clusterSizes[cluster];
    if (size === 0) continue;
    const [top] = topClasses(record.classProbs, k, cluster, 1);
    out.push({ cluster, size, share: size / total, classId: top.classId, probability: top.probability });
  }
  return out.sort((a, b) => b.size - a.size || a.cluster - b.cluster);
}

/**
 * One cluster's class probabilities across layers, for the classes worth a
 * line: its top `n` classes at the last record plus any class that was its
 * top class at some earlier layer. `series[i][l]` = class i's probability at record l.
 */
export function classTrajectories(records: readonly Pick<LayerRecord, 'classProbs' | 'clusterSizes'>[], cluster: number, n: number): { classIds: number[]; series: number[][] } {
  if (records.length === 0) return { classIds: [], series: [] };
  const k = records[0].clusterSizes.length;
  const chosen = new Set(topClasses(records[records.length - 1].classProbs, k, cluster, n).map((c) => c.classId));
  for (const r of records) chosen.add(topClasses(r.classProbs, k, cluster, 1)[0].classId);
  const classIds = [...chosen];
  const series = classIds.map((c) => records.map((r) => r.classProbs[cluster * (r.classProbs.length / k) + c]));
  return { classIds, series };
}
