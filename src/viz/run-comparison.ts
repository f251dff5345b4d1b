import type { LayerRecord, PanopticResult } from '../segmenter/types';

/** Numbers that say how two runs on the same image differ (compare mode). */
export interface RunComparison {
  /** Share of pixels (0..1) whose segment has no one-to-one counterpart holding them in the other run. */
  readonly changedShare: number;
  readonly segmentCounts: readonly [number, number];
  /** Mean over valid pixels of the final layer's max softmax-over-clusters probability. */
  readonly meanConfidence: readonly [number, number];
  /** Entropy (bits) of the final layer's cluster-size distribution: how evenly pixels spread over clusters. */
  readonly clusterEntropy: readonly [number, number];
}

export interface Run {
  readonly panoptic: PanopticResult;
  /** The final layer record, when stages were recorded. */
  readonly final?: Pick<LayerRecord, 'confidence' | 'clusterSizes' | 'width' | 'validWidth' | 'validHeight'>;
}

export function compareRuns(a: Run, b: Run): RunComparison {
  return {
    changedShare: changedShare(a.panoptic.ids, b.panoptic.ids),
    segmentCounts: [a.panoptic.segments.length, b.panoptic.segments.length],
    meanConfidence: [meanConfidence(a.final), meanConfidence(b.final)],
    clusterEntropy: [clusterEntropy(a.final?.clusterSizes), clusterEntropy(b.final?.clusterSizes)],
  };
}

/**
 * Segment ids of two runs are unrelated numbers, so segments are paired one to
 * one, greatest overlap first (void always with void); a pixel changed if its
 * pair of ids is not a matched pair (moved, merged away or split off).
 */
export function changedShare(a: ArrayLike<number>, b: ArrayLike<number>, options: PairingOptions = { voidId: 0 }): number {
  if (a.length !== b.length) throw new RangeError('runs differ in size');
  if (a.length === 0) return 0;
  const { overlap, pairs } = pairIds(a, b, options);
  let changed = 0;
  for (const e of overlap.values()) if (pairs.get(e.a) !== e.b) changed += e.n;
  return changed / a.length;
}

export interface PairingOptions {
  /** An id paired with itself whatever the overlap (void); none when absent. */
  readonly voidId?: number;
}

/**
 * Pairs the ids of two labellings of the same pixels one to one, greatest
 * overlap first (ties: first met); returns the pairs (a id -> b id) and the overlap counts.
 */
export function pairIds(a: ArrayLike<number>, b: ArrayLike<number>, options: PairingOptions = {}): { pairs: Map<number, number>; overlap: Map<string, { a: number; b: number; n: number }> } {
  const overlap = new Map<string, { a: number; b: number; n: number }>();
  for (let p = 0; p < a.length; p++) {
    const key = `${a[p]},${b[p]}`;
    const entry = overlap.get(key) ?? { a: a[p], b: b[p], n: 0 };
    entry.n++;
    overlap.set(key, entry);
  }
  const pairs = new Map<number, number>();
  const usedB = new Set<number>();
  if (options.voidId !== undefined) {
    pairs.set(options.voidId, options.voidId);
    usedB.add(options.voidId);
  }
  for (const e of [...overlap.values()].sort((x, y) => y.n - x.n)) {
    if (pairs.has(e.a) || usedB.has(e.b)) continue;
    pairs.set(e.a, e.b);
    usedB.add(e.b);
  }
  return { pairs, overlap };
}

export function meanConfidence(record: Run['final']): number {
  if (record === undefined) return Number.NaN;
  let sum = 0;
  for (let y = 0; y < record.validHeight; y++) for (let x = 0; x < record.validWidth; x++) sum += record.confidence[y * record.width + x];
  return sum / (record.validWidth * record.validHeight);
}

export function clusterEntropy(sizes: Int32Array | undefined): number {
  if (sizes === undefined) return Number.NaN;
  const total = sizes.reduce((n, s) => n + s, 0);
  let h = 0;
  for (const s of sizes) if (s > 0) h -= (s / total) * Math.log2(s / total);
  return h;
}

/** How one decoder layer's clustering differs between two runs (compare mode, per layer). */
export interface LayerComparison {
  /**
   * Share of valid cells (0..1) assigned to a different cluster. In one model cluster k is the same
   * learned centre in both runs, so ids compare directly; across two models clusters are first paired
   * one to one by overlap, and a cell changed if its two clusters are not a pair.
   */
  readonly changedShare: number;
  /** Clusters holding at least one valid cell. */
  readonly clustersInUse: readonly [number, number];
  readonly meanConfidence: readonly [number, number];
  readonly clusterEntropy: readonly [number, number];
}

type ComparedLayer = Pick<LayerRecord, 'assignment' | 'confidence' | 'clusterSizes' | 'width' | 'validWidth' | 'validHeight'>;

export function compareLayers(a: ComparedLayer, b: ComparedLayer, options: { pairClusters?: boolean } = {}): LayerComparison {
  const inUse = (sizes: Int32Array) => sizes.reduce((n, s) => n + (s > 0 ? 1 : 0), 0);
  return {
    changedShare: changedCells(a, b, options.pairClusters === true),
    clustersInUse: [inUse(a.clusterSizes), inUse(b.clusterSizes)],
    meanConfidence: [meanConfidence(a), meanConfidence(b)],
    clusterEntropy: [clusterEntropy(a.clusterSizes), clusterEntropy(b.clusterSizes)],
  };
}

function changedCells(a: ComparedLayer, b: ComparedLayer, pairClusters: boolean): number {
  if (a.width !== b.width || a.validWidth !== b.validWidth || a.validHeight !== b.validHeight) throw new RangeError('layers differ in size');
  const cells = a.validWidth * a.validHeight;
  const ca = new Int32Array(cells);
  const cb = new Int32Array(cells);
  for (let y = 0; y < a.validHeight; y++) {
    for (let x = 0; x < a.validWidth; x++) {
      ca[y * a.validWidth + x] = a.assignment[y * a.width + x];
      cb[y * a.validWidth + x] = b.assignment[y * a.width + x];
    }
  }
  if (pairClusters) return changedShare(ca, cb, {});
  let changed = 0;
  for (let i = 0; i < cells; i++) if (ca[i] !== cb[i]) changed++;
  return changed / cells;
}

/**
 * The first kMaX layer whose pixel-to-cluster assignment differs between two runs
 * (`pairClusters` across two models), or `layers.length - 1` (Final) when none does.
 * Layers of different sizes differ.
 */
export function firstDifferingLayer(a: readonly ComparedLayer[], b: readonly ComparedLayer[], options: { pairClusters?: boolean } = {}): number {
  const count = Math.min(a.length, b.length);
  for (let l = 0; l < count - 1; l++) {
    const sameSize = a[l].width === b[l].width && a[l].validWidth === b[l].validWidth && a[l].validHeight === b[l].validHeight;
    if (!sameSize || changedCells(a[l], b[l], options.pairClusters === true) > 0) return l;
  }
  return Math.max(0, count - 1);
}
