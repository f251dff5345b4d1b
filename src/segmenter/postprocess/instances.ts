import type { ClassInfo } from '../../model/config';
import type { Instance } from '../types';
import type { ClassProbs } from './class-probs';
import type { ClusterMembership } from './cluster-membership';

/** detectron2's `TEST.DETECTIONS_PER_IMAGE` default, which PT keeps (spec 5.3). */
export const DETECTIONS_PER_IMAGE = 100;

const f32 = Math.fround;

/**
 * PT `instance_inference` (spec 5.3): the top (cluster, class) pairs of the K x C class
 * probabilities, only thing classes (panoptic is always on here), mask `P_k > tau`,
 * score = class probability x mean mask probability (`/ (|mask| + 1e-6)`).
 * Sorted by descending pair probability (PT's topk is unsorted). Instances of one
 * cluster share one mask array.
 */
export function instances(
  m: ClusterMembership,
  cp: ClassProbs,
  classes: readonly ClassInfo[],
  maxDetections = DETECTIONS_PER_IMAGE,
): Instance[] {
  const pairs = Array.from(cp.probs.keys())
    .sort((a, b) => cp.probs[b] - cp.probs[a] || a - b)
    .slice(0, maxDetections)
    .filter((i) => classes[i % cp.numClasses].isThing);
  const masks = new Map<number, Uint8Array>();
  return pairs.map((i) => {
    const cluster = Math.floor(i / cp.numClasses);
    let mask = masks.get(cluster);
    if (mask === undefined) {
      mask = binaryMask(m, cluster);
      masks.set(cluster, mask);
    }
    const meanProb = f32(f32(m.probSums[cluster]) / f32(m.pixelCounts[cluster] + 1e-6));
    return { classId: i % cp.numClasses, score: f32(cp.probs[i] * meanProb), cluster, mask };
  });
}

function binaryMask(m: ClusterMembership, cluster: number): Uint8Array {
  const mask = new Uint8Array(m.height * m.width);
  for (let i = 0; i < m.clusters.length; i++) if (m.clusters[i] === cluster) mask[Math.floor(i / m.slots)] = 1;
  return mask;
}
