import type { ClassInfo, PostProcessConfig } from '../../model/config';
import type { ClusterOutcome, ClusterVerdict, PanopticResult, Segment } from '../types';
import type { ClassProbs } from './class-probs';
import type { ClusterMembership } from './cluster-membership';

const f32 = Math.fround;

/**
 * Mean probability inside each binary mask, `m_k = sum(P_k B_k) / max(1, |B_k|)`
 * (spec 5.1 step 4; 0 for an empty mask).
 */
export function maskScores(m: ClusterMembership): Float32Array {
  return Float32Array.from(m.probSums, (sum, k) => sum / Math.max(1, m.pixelCounts[k]));
}

/**
 * Clusters by re-order score `score^alpha * m^beta`, descending (spec 5.1 step 5, T32;
 * float32 like PT, 0^0 = 1). PT's argsort is unstable; ties keep cluster order here.
 */
export function reorder(cp: ClassProbs, mask: Float32Array, config: PostProcessConfig): number[] {
  const r = Float32Array.from(cp.score, (s, k) =>
    f32(f32(s ** config.reorderClassWeight) * f32(mask[k] ** config.reorderMaskWeight)),
  );
  return Array.from(r.keys()).sort((a, b) => r[b] - r[a] || a - b);
}

/** Pixel indices of each binary mask, grouped by cluster (CSR). */
export function pixelLists(m: ClusterMembership): { start: Int32Array; pixels: Int32Array } {
  const start = new Int32Array(m.numClusters + 1);
  for (let k = 0; k < m.numClusters; k++) start[k + 1] = start[k] + m.pixelCounts[k];
  const fill = start.slice(0, m.numClusters);
  const pixels = new Int32Array(start[m.numClusters]);
  for (let i = 0; i < m.clusters.length; i++) {
    const k = m.clusters[i];
    if (k >= 0) pixels[fill[k]++] = Math.floor(i / m.slots);
  }
  return { start, pixels };
}

/**
 * PT `panoptic_inference` (spec 5.1 step 6): paste confident masks in re-order order
 * onto unoccupied pixels if enough of the mask is still free (strict >, T29), merging
 * stuff of one class into its first segment; ids 1..n in acceptance order (T30).
 */
export function pastePanoptic(
  m: ClusterMembership,
  cp: ClassProbs,
  classes: readonly ClassInfo[],
  config: PostProcessConfig,
): PanopticResult {
  const ids = new Int32Array(m.height * m.width);
  const { start, pixels } = pixelLists(m);
  const accepted: { id: number; cluster: number }[] = [];
  const stuffIds = new Map<number, number>();
  const overlap = f32(config.overlapThreshold);
  const outcomes: ClusterOutcome[] = new Array<ClusterOutcome>(m.numClusters);
  for (const k of reorder(cp, maskScores(m), config)) {
    const label = cp.label[k];
    const isThing = classes[label].isThing;
    const threshold = isThing ? config.classThresholdThing : config.classThresholdStuff;
    if (!(cp.score[k] > threshold)) {
      outcomes[k] = { kind: 'class-score', threshold, rule: '>' };
      continue;
    }
    let free = 0;
    for (let i = start[k]; i < start[k + 1]; i++) if (ids[pixels[i]] === 0) free++;
    if (!(free > f32(m.pixelCounts[k] * overlap))) {
      outcomes[k] = overlapOutcome(free, m.pixelCounts[k], config);
      continue;
    }
    const merged = isThing ? undefined : stuffIds.get(label);
    const id = merged ?? accepted.length + 1;
    if (merged === undefined) {
      accepted.push({ id, cluster: k });
      if (!isThing) stuffIds.set(label, id);
    }
    outcomes[k] = { kind: 'kept', segmentId: id };
    for (let i = start[k]; i < start[k + 1]; i++) if (ids[pixels[i]] === 0) ids[pixels[i]] = id;
  }
  return { width: m.width, height: m.height, ids, segments: describeSegments(ids, accepted, cp, classes), clusters: verdicts(outcomes, m, cp, classes) };
}

/** An empty mask fails the overlap rule too (0 free pixels is not more than 0): named apart, it is the pixel threshold's doing. */
export function overlapOutcome(free: number, pixels: number, config: PostProcessConfig): ClusterOutcome {
  return pixels === 0 ? { kind: 'empty-mask', pixelThreshold: config.pixelThreshold } : { kind: 'overlap', free, pixels, overlapThreshold: config.overlapThreshold };
}

/** Each cluster's class, score and mask size beside what became of it. */
export function verdicts(outcomes: readonly ClusterOutcome[], m: ClusterMembership, cp: ClassProbs, classes: readonly ClassInfo[]): ClusterVerdict[] {
  return Array.from(outcomes, (outcome, k) => ({
    classId: cp.label[k],
    score: cp.score[k],
    isThing: classes[cp.label[k]].isThing,
    pixels: m.pixelCounts[k],
    outcome,
  }));
}

function describeSegments(
  ids: Int32Array,
  accepted: readonly { id: number; cluster: number }[],
  cp: ClassProbs,
  classes: readonly ClassInfo[],
): Segment[] {
  const area = new Int32Array(accepted.length + 1);
  for (const id of ids) area[id]++;
  return accepted.map(({ id, cluster }) => {
    const info = classes[cp.label[cluster]];
    return {
      id,
      classId: info.id,
      categoryId: info.datasetId,
      name: info.name,
      isThing: info.isThing,
      score: cp.score[cluster],
      area: area[id],
      cluster,
    };
  });
}
