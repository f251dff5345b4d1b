import type * as tf from '@tensorflow/tfjs-core';
import type { ClassInfo, PostProcessConfig } from '../../model/config';
import type { ResizePlan } from '../preprocess/resize-plan';
import type { ClusterOutcome, Instance, PanopticResult, Segment } from '../types';
import { classProbs, type ClassProbs } from './class-probs';
import { clusterMembership, readLowLogits, type ClusterMembership, type LowLogits } from './cluster-membership';
import type { LogitGeometry } from './logit-resize';
import { overlapOutcome, pixelLists, reorder, verdicts } from './panoptic';
import type { PostProcessOptions, PostProcessResult } from './postprocess';
import { sameThresholds } from './same-thresholds';

const f32 = Math.fround;

/**
 * deeplab2's "maskwise" post-processing (spec 2.2 steps 4-5, 5.5), for models converted
 * from TF checkpoints. Everything happens at the padded crop resolution, padding
 * included: re-order by the stride-4 mask scores, paste, drop small segments; the map is
 * then cropped to the resized image and resized to the raw size by nearest neighbour.
 * deeplab2 encodes segments as `class * divisor + instance`; here they become ids 1..n in
 * order of their first pasted cluster, stuff of one class being one segment (T30).
 * `classLogits`: K x (C+1), void last. `maskLogits`: [h/4, w/4, K] (not disposed here).
 */
export async function postprocessTf(
  classLogits: Float32Array,
  maskLogits: tf.Tensor3D,
  geometry: ResizePlan,
  classes: readonly ClassInfo[],
  config: PostProcessConfig,
  options: PostProcessOptions = {},
): Promise<PostProcessResult> {
  // The shared strip resize applies align_corners by the padded width's parity; deeplab2
  // always aligns corners, and the network only runs at 32k+1 sizes (T20, T21).
  if (geometry.paddedWidth % 2 === 0) {
    throw new Error(`deeplab2 post-processing needs an odd padded width, got ${geometry.paddedWidth}`);
  }
  const { previous } = options;
  if (previous !== undefined && sameThresholds(previous.config, config) && (!options.semantic || previous.result.semantic !== undefined)) {
    const { panoptic, semantic } = previous.result;
    return { panoptic, ...(options.semantic && { semantic }), ...(options.instances && { instances: thingInstances(panoptic) }) };
  }
  const low = await readLowLogits(maskLogits);
  const cp = classProbs(classLogits, low.numClusters);
  const order = reorder(cp, stride4MaskScores(low, config.pixelThreshold), config);
  const { membership, mostProbable } = clusterMembership(low, paddedGeometry(geometry), {
    threshold: config.pixelThreshold,
    mostProbable: options.semantic,
  });
  const pasting = pasteMaskwise(membership, cp, order, classes, config);
  const panoptic = panopticAtRawSize(pasting, cp, classes, config, geometry);
  return {
    panoptic,
    // The "pixelwise" pass with zero thresholds: the most probable cluster's class.
    ...(mostProbable !== undefined && { semantic: sampleRawSize(geometry, mostProbable, cp.label) }),
    ...(options.instances && { instances: thingInstances(panoptic) }),
  };
}

/** Upsample to the padded size and keep all of it: no crop, no second resize. */
function paddedGeometry(g: ResizePlan): LogitGeometry {
  const { paddedHeight, paddedWidth } = g;
  return { paddedHeight, paddedWidth, cropHeight: paddedHeight, cropWidth: paddedWidth, height: paddedHeight, width: paddedWidth };
}

/**
 * Re-order mask scores (spec 5.5): mean softmax probability over the pixels above the
 * threshold, from the stride-4 logits before any upsampling, padding included; 0 for an
 * empty mask (`divide_no_nan`).
 */
function stride4MaskScores(low: LowLogits, threshold: number): Float32Array {
  const { numClusters, values } = low;
  const sums = new Float64Array(numClusters);
  const counts = new Float64Array(numClusters);
  const probs = new Float64Array(numClusters);
  for (let from = 0; from < values.length; from += numClusters) {
    let max = -Infinity;
    for (let k = 0; k < numClusters; k++) max = Math.max(max, values[from + k]); // T34
    let total = 0;
    for (let k = 0; k < numClusters; k++) {
      probs[k] = Math.exp(values[from + k] - max);
      total += probs[k];
    }
    for (let k = 0; k < numClusters; k++) {
      const p = probs[k] / total;
      if (p > threshold) {
        sums[k] += p;
        counts[k]++;
      }
    }
  }
  return Float32Array.from(sums, (sum, k) => (counts[k] > 0 ? sum / counts[k] : 0));
}

/** The canvas after pasting, at the padded resolution. */
interface Pasting {
  /** Per padded pixel, 1 + the cluster pasted there; 0 where nothing was. */
  readonly owner: Int32Array;
  /** Pasted clusters in re-order order. */
  readonly pasted: readonly number[];
  /** Pixels each cluster took. */
  readonly area: Int32Array;
  /** Per cluster, why it was not pasted; undefined for a pasted one. */
  readonly outcomes: (ClusterOutcome | undefined)[];
  readonly membership: ClusterMembership;
}

/**
 * deeplab2's pasting loop: in (stable) re-order order, a mask whose class confidence
 * reaches its threshold (>=, T29) and keeps more than `overlap` of its pixels free
 * (strict) takes those free pixels. A cluster with no confident class never pastes, so
 * when none reaches even the smaller threshold everything stays void, as deeplab2's
 * `num_detections == 0` branch makes it.
 */
function pasteMaskwise(
  m: ClusterMembership,
  cp: ClassProbs,
  order: readonly number[],
  classes: readonly ClassInfo[],
  config: PostProcessConfig,
): Pasting {
  const owner = new Int32Array(m.height * m.width);
  const area = new Int32Array(m.numClusters);
  const pasted: number[] = [];
  const { start, pixels } = pixelLists(m);
  const overlap = f32(config.overlapThreshold);
  const outcomes = new Array<ClusterOutcome | undefined>(m.numClusters).fill(undefined);
  for (const k of order) {
    const isThing = classes[cp.label[k]].isThing;
    const threshold = isThing ? config.classThresholdThing : config.classThresholdStuff;
    if (!(cp.score[k] >= f32(threshold))) {
      outcomes[k] = { kind: 'class-score', threshold, rule: '>=' };
      continue;
    }
    let free = 0;
    for (let i = start[k]; i < start[k + 1]; i++) if (owner[pixels[i]] === 0) free++;
    if (!(free > f32(m.pixelCounts[k] * overlap))) {
      outcomes[k] = overlapOutcome(free, m.pixelCounts[k], config);
      continue;
    }
    for (let i = start[k]; i < start[k + 1]; i++) if (owner[pixels[i]] === 0) owner[pixels[i]] = k + 1;
    area[k] = free;
    pasted.push(k);
  }
  return { owner, pasted, area, outcomes, membership: m };
}

/**
 * Small-segment removal (spec 5.5, T31), counted at the padded resolution: a thing
 * instance below `thingAreaLimit` pixels, or all of a stuff class below `stuffAreaLimit`,
 * becomes void. The survivors become segments in pasting order; a stuff class takes the
 * place of its first cluster. Returns the clusters that start a segment and, per
 * cluster + 1, the segment's position + 1 (0 = void).
 */
function survivingSegments(
  pasting: Pasting,
  cp: ClassProbs,
  classes: readonly ClassInfo[],
  config: PostProcessConfig,
): { firstClusters: number[]; segmentOf: Int32Array } {
  const stuffArea = new Map<number, number>();
  for (const k of pasting.pasted) {
    if (!classes[cp.label[k]].isThing) stuffArea.set(cp.label[k], (stuffArea.get(cp.label[k]) ?? 0) + pasting.area[k]);
  }
  const firstClusters: number[] = [];
  const segmentOf = new Int32Array(pasting.area.length + 1);
  const stuffSegment = new Map<number, number>();
  for (const k of pasting.pasted) {
    const label = cp.label[k];
    if (classes[label].isThing) {
      if (pasting.area[k] < config.thingAreaLimit) {
        pasting.outcomes[k] = { kind: 'area', area: pasting.area[k], limit: config.thingAreaLimit };
        continue;
      }
      firstClusters.push(k);
      segmentOf[k + 1] = firstClusters.length;
    } else {
      const classArea = stuffArea.get(label) ?? 0;
      if (classArea < config.stuffAreaLimit) {
        pasting.outcomes[k] = { kind: 'area', area: classArea, limit: config.stuffAreaLimit };
        continue;
      }
      if (!stuffSegment.has(label)) {
        firstClusters.push(k);
        stuffSegment.set(label, firstClusters.length);
      }
      segmentOf[k + 1] = stuffSegment.get(label) ?? 0;
    }
  }
  return { firstClusters, segmentOf };
}

/**
 * The panoptic map at the raw image size. Segments that no raw pixel samples (all in
 * the padding, or lost to the nearest-neighbour shrink) are absent from deeplab2's
 * output map, so they are dropped and the ids renumbered 1..n.
 */
function panopticAtRawSize(
  pasting: Pasting,
  cp: ClassProbs,
  classes: readonly ClassInfo[],
  config: PostProcessConfig,
  geometry: ResizePlan,
): PanopticResult {
  const { firstClusters, segmentOf } = survivingSegments(pasting, cp, classes, config);
  const ids = sampleRawSize(geometry, pasting.owner, segmentOf);
  const area = new Int32Array(firstClusters.length + 1);
  for (const id of ids) area[id]++;
  const renumber = new Int32Array(firstClusters.length + 1);
  const segments: Segment[] = [];
  firstClusters.forEach((cluster, i) => {
    if (area[i + 1] === 0) return;
    renumber[i + 1] = segments.length + 1;
    const info = classes[cp.label[cluster]];
    segments.push({
      id: segments.length + 1,
      classId: info.id,
      categoryId: info.datasetId,
      name: info.name,
      isThing: info.isThing,
      score: cp.score[cluster],
      area: area[i + 1],
      cluster,
    });
  });
  for (let i = 0; i < ids.length; i++) ids[i] = renumber[ids[i]];
  const outcomes = pasting.outcomes.map((outcome, k): ClusterOutcome => {
    if (outcome !== undefined) return outcome;
    const segmentId = renumber[segmentOf[k + 1]];
    return segmentId === 0 ? { kind: 'off-image' } : { kind: 'kept', segmentId };
  });
  return { width: geometry.width, height: geometry.height, ids, segments, clusters: verdicts(outcomes, pasting.membership, cp, classes) };
}

/**
 * deeplab2's `undo_preprocessing` for label maps (spec 2.2 step 5): crop the padded map
 * to the resized image, resize to the raw size by nearest neighbour with align_corners.
 * Returns `lookup[padded[source pixel]]` per raw pixel.
 */
export function sampleRawSize(g: ResizePlan, padded: ArrayLike<number>, lookup: ArrayLike<number>): Int32Array {
  const rows = nearestAlignCorners(g.cropHeight, g.height);
  const cols = nearestAlignCorners(g.cropWidth, g.width);
  const out = new Int32Array(g.height * g.width);
  for (let y = 0; y < g.height; y++) {
    const row = rows[y] * g.paddedWidth;
    for (let x = 0; x < g.width; x++) out[y * g.width + x] = lookup[padded[row + cols[x]]];
  }
  return out;
}

/**
 * TF's legacy nearest-neighbour source index with align_corners: `roundf(float32(i) *
 * scale)` (half away from zero), `scale = float32((in - 1) / (out - 1))`.
 */
export function nearestAlignCorners(inSize: number, outSize: number): Int32Array {
  const scale = outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0;
  return Int32Array.from({ length: outSize }, (_, i) => Math.min(Math.round(f32(i * scale)), inSize - 1));
}

/**
 * Instances, tf style: the thing segments of the panoptic map (deeplab2's instance map
 * comes from the same pasting), scored by their class confidence.
 */
function thingInstances(panoptic: PanopticResult): Instance[] {
  return panoptic.segments
    .filter((s) => s.isThing)
    .map((s) => ({
      classId: s.classId,
      score: s.score,
      cluster: s.cluster,
      mask: Uint8Array.from(panoptic.ids, (id) => (id === s.id ? 1 : 0)),
    }));
}
