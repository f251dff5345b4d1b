import { munkres } from 'munkres';
import type { LayerRecord, PanopticResult } from '../segmenter/types';
import { nearestSampling } from './raster';
import type { ResizedSize } from './stage-overlay';

/** The fields of a layer record that tracing its clusters needs. */
export type TraceGrid = Pick<LayerRecord, 'assignment' | 'width' | 'stride' | 'validWidth' | 'validHeight' | 'clusterSizes'>;

/**
 * Which final segment each cluster slot of each layer becomes:
 * `segments[l][k]` is the panoptic segment id (0 = none) that slot k of record l
 * is traced to. Slots are reused freely between layers (slot 15 may be the
 * disc in layer 1 and the cross in layer 5), so colouring by slot is not
 * colouring by object; this is.
 */
export interface ClusterTrace {
  readonly segments: readonly Int32Array[];
  /** IoU of slot k of record l with the slot of record l+1 it was matched to (0 when unmatched; 1 on the last record). */
  readonly matchIoU: readonly Float32Array[];
}

/** Below this pixel overlap (IoU) two clusters of consecutive layers are not the same object. */
export const MIN_TRACE_IOU = 0.2;

/**
 * Links each layer's clusters to the next layer's by pixel overlap: a one-to-one
 * assignment maximising IoU (Hungarian), measured on the finest record's grid
 * (each fine cell takes the nearest cell of the coarser map, as the overlay
 * draws it). The last record (the final head) is anchored at the panoptic
 * result: a final cluster is the segment covering most of its pixels, if that
 * segment covers at least half of them. Tracing then walks back layer by layer;
 * a cluster whose best match overlaps less than `minIoU` leads to no segment.
 */
export function traceClusters(records: readonly TraceGrid[], panoptic: PanopticResult, resized: ResizedSize, minIoU = MIN_TRACE_IOU): ClusterTrace {
  const n = records.length;
  if (n === 0) return { segments: [], matchIoU: [] };
  const finest = records[n - 1];
  const labels = records.map((r) => resampleTo(r, finest));
  const segments: Int32Array[] = new Array<Int32Array>(n);
  const matchIoU: Float32Array[] = new Array<Float32Array>(n);
  segments[n - 1] = anchorAtSegments(finest, panoptic, resized);
  matchIoU[n - 1] = new Float32Array(finest.clusterSizes.length).fill(1);
  for (let l = n - 2; l >= 0; l--) {
    const k = records[l].clusterSizes.length;
    const next = records[l + 1].clusterSizes.length;
    const iou = overlapIoU(labels[l], labels[l + 1], k, next);
    segments[l] = new Int32Array(k);
    matchIoU[l] = new Float32Array(k);
    const cost = Array.from({ length: k }, (_, a) => Array.from({ length: next }, (_, b) => -iou[a * next + b]));
    for (const [a, b] of munkres(cost)) {
      const value = iou[a * next + b];
      if (value < minIoU) continue;
      matchIoU[l][a] = value;
      segments[l][a] = segments[l + 1][b];
    }
  }
  return { segments, matchIoU };
}

/** Each valid cell of `fine` labelled with the nearest cell's cluster of `grid` (both on the network input). */
function resampleTo(grid: TraceGrid, fine: TraceGrid): Int32Array {
  const out = new Int32Array(fine.validWidth * fine.validHeight);
  const cell = (j: number, valid: number) => Math.min(valid - 1, Math.round((j * fine.stride) / grid.stride));
  for (let y = 0; y < fine.validHeight; y++) {
    const row = cell(y, grid.validHeight) * grid.width;
    for (let x = 0; x < fine.validWidth; x++) out[y * fine.validWidth + x] = grid.assignment[row + cell(x, grid.validWidth)];
  }
  return out;
}

/** IoU of every pair (cluster a of map `a`, cluster b of map `b`), row-major ka x kb. */
function overlapIoU(a: Int32Array, b: Int32Array, ka: number, kb: number): Float64Array {
  const inter = new Float64Array(ka * kb);
  const sizeA = new Float64Array(ka);
  const sizeB = new Float64Array(kb);
  for (let p = 0; p < a.length; p++) {
    inter[a[p] * kb + b[p]]++;
    sizeA[a[p]]++;
    sizeB[b[p]]++;
  }
  for (let i = 0; i < ka; i++) {
    for (let j = 0; j < kb; j++) {
      const n = inter[i * kb + j];
      inter[i * kb + j] = n === 0 ? 0 : n / (sizeA[i] + sizeB[j] - n);
    }
  }
  return inter;
}

/** Longest side of the photo sampling used to anchor the final clusters (enough for any cell at stride 4). */
const ANCHOR_SIDE = 512;

/** Final cluster -> the panoptic segment covering most (at least half) of its pixels, 0 otherwise. */
function anchorAtSegments(final: TraceGrid, panoptic: PanopticResult, resized: ResizedSize): Int32Array {
  const { width, height, ids } = panoptic;
  const scale = Math.min(1, ANCHOR_SIDE / Math.max(width, height));
  const xs = nearestSampling(Math.max(1, Math.round(width * scale)), width);
  const ys = nearestSampling(Math.max(1, Math.round(height * scale)), height);
  const cell = (p: number, size: number, resizedSize: number, valid: number) => Math.min(valid - 1, Math.max(0, Math.round((((p + 0.5) * resizedSize) / size - 0.5) / final.stride)));
  const counts = new Map<number, Map<number, number>>();
  const totals = new Map<number, number>();
  for (const y of ys) {
    const row = cell(y, height, resized.resizedHeight, final.validHeight) * final.width;
    for (const x of xs) {
      const k = final.assignment[row + cell(x, width, resized.resizedWidth, final.validWidth)];
      const id = ids[y * width + x];
      totals.set(k, (totals.get(k) ?? 0) + 1);
      const perId = counts.get(k) ?? new Map<number, number>();
      perId.set(id, (perId.get(id) ?? 0) + 1);
      counts.set(k, perId);
    }
  }
  const out = new Int32Array(final.clusterSizes.length);
  for (const [k, perId] of counts) {
    let best = 0;
    let bestCount = 0;
    for (const [id, count] of perId) if (count > bestCount) [best, bestCount] = [id, count];
    if (2 * bestCount >= (totals.get(k) ?? 0)) out[k] = best;
  }
  return out;
}

/**
 * Where slot `cluster` changes object: one entry per run of layers it spends
 * on one final segment (0 = on none), in layer order.
 */
export function slotHistory(trace: ClusterTrace, cluster: number): { segment: number; from: number; to: number }[] {
  const runs: { segment: number; from: number; to: number }[] = [];
  trace.segments.forEach((row, l) => {
    const segment = row[cluster] ?? 0;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.segment === segment) last.to = l;
    else runs.push({ segment, from: l, to: l });
  });
  return runs;
}

/** The slots of each record traced to final segment `segment`. */
export function slotsOfSegment(trace: ClusterTrace, segment: number): number[][] {
  return trace.segments.map((row) => [...row.keys()].filter((k) => row[k] === segment && segment !== 0));
}
