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
