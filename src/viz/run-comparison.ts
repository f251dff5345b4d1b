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
export function changedShare(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) throw new RangeError('runs differ in size');
  if (a.length === 0) return 0;
  const overlap = new Map<string, { a: number; b: number; n: number }>();
  for (let p = 0; p < a.length; p++) {
    const key = `${a[p]},${b[p]}`;
    const entry = overlap.get(key) ?? { a: a[p], b: b[p], n: 0 };
    entry.n++;
    overlap.set(key, entry);
  }
  const pairs = new Set<string>(['0,0']);
  const usedA = new Set([0]);
  const usedB = new Set([0]);
  for (const e of [...overlap.values()].sort((x, y) => y.n - x.n)) {
    if (usedA.has(e.a) || usedB.has(e.b)) continue;
    pairs.add(`${e.a},${e.b}`);
    usedA.add(e.a);
    usedB.add(e.b);
  }
  let changed = 0;
  for (const [key, e] of overlap) if (!pairs.has(key)) changed += e.n;
  return changed / a.length;
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
  /** Share of valid cells (0..1) assigned to a different cluster. Cluster k is the same learned centre in both runs, so ids compare directly. */
  readonly changedShare: number;
  /** Clusters holding at least one valid cell. */
  readonly clustersInUse: readonly [number, number];
  readonly meanConfidence: readonly [number, number];
  readonly clusterEntropy: readonly [number, number];
}

type ComparedLayer = Pick<LayerRecord, 'assignment' | 'confidence' | 'clusterSizes' | 'width' | 'validWidth' | 'validHeight'>;

export function compareLayers(a: ComparedLayer, b: ComparedLayer): LayerComparison {
  if (a.width !== b.width || a.validWidth !== b.validWidth || a.validHeight !== b.validHeight) throw new RangeError('layers differ in size');
  let changed = 0;
  for (let y = 0; y < a.validHeight; y++) {
    for (let x = 0; x < a.validWidth; x++) if (a.assignment[y * a.width + x] !== b.assignment[y * a.width + x]) changed++;
  }
  const inUse = (sizes: Int32Array) => sizes.reduce((n, s) => n + (s > 0 ? 1 : 0), 0);
  return {
    changedShare: changed / (a.validWidth * a.validHeight),
    clustersInUse: [inUse(a.clusterSizes), inUse(b.clusterSizes)],
    meanConfidence: [meanConfidence(a), meanConfidence(b)],
    clusterEntropy: [clusterEntropy(a.clusterSizes), clusterEntropy(b.clusterSizes)],
  };
}
