import { describe, expect, it } from 'vitest';
import type { ClassInfo, PostProcessConfig } from '../../model/config';
import type { ClassProbs } from './class-probs';
import type { ClusterMembership } from './cluster-membership';
import { pastePanoptic } from './panoptic';

const CLASSES: ClassInfo[] = [
  { id: 0, datasetId: 1, name: 'disc', isThing: true, color: [1, 1, 1] },
  { id: 1, datasetId: 2, name: 'sky', isThing: false, color: [2, 2, 2] },
  { id: 2, datasetId: 3, name: 'grass', isThing: false, color: [3, 3, 3] },
];
const CONFIG: PostProcessConfig = {
  pixelThreshold: 0.4,
  classThresholdThing: 0.5,
  classThresholdStuff: 0.6,
  overlapThreshold: 0.8,
  reorderClassWeight: 1,
  reorderMaskWeight: 1,
  thingAreaLimit: 0,
  stuffAreaLimit: 0,
};

/** A 1 x 5 picture, two slots per pixel: each row lists the clusters above the pixel threshold there. */
function membership(perPixel: number[][], numClusters: number): ClusterMembership {
  const clusters = new Int16Array(perPixel.length * 2).fill(-1);
  const pixelCounts = new Int32Array(numClusters);
  perPixel.forEach((ks, p) =>
    ks.forEach((k, s) => {
      clusters[p * 2 + s] = k;
      pixelCounts[k]++;
    }),
  );
  return { height: 1, width: perPixel.length, numClusters, slots: 2, clusters, pixelCounts, probSums: Float64Array.from(pixelCounts, (n) => n * 0.9) };
}

function classProbs(labels: number[], scores: number[]): ClassProbs {
  return { numClusters: labels.length, numClasses: 3, probs: new Float32Array(labels.length * 3), score: Float32Array.from(scores), label: Int32Array.from(labels) };
}

describe('post-processing verdicts (PyTorch pasting)', () => {
  it('says for every cluster whether it made a segment, or which rule dropped it', () => {
    // c0 disc on pixels 0-1; c1 a disc below the thing threshold; c2 grass on pixel 1 only (taken by c0);
    // c3 sky with an empty mask; c4 sky on pixels 2-3; c5 sky on pixel 4, merged into c4's segment; c6 grass under the stuff threshold.
    const m = membership([[0], [0, 2], [4, 1], [4], [5]], 7);
    const cp = classProbs([0, 0, 2, 1, 1, 1, 2], [0.9, 0.45, 0.8, 0.8, 0.9, 0.85, 0.55]);
    const result = pastePanoptic(m, cp, CLASSES, CONFIG);
    expect(Array.from(result.ids)).toEqual([1, 1, 2, 2, 2]);
    expect(result.clusters?.map((v) => v.outcome)).toEqual([
      { kind: 'kept', segmentId: 1 },
      { kind: 'class-score', threshold: 0.5, rule: '>' },
      { kind: 'overlap', free: 0, pixels: 1, overlapThreshold: 0.8 },
      { kind: 'empty-mask', pixelThreshold: 0.4 },
      { kind: 'kept', segmentId: 2 },
      { kind: 'kept', segmentId: 2 },
      { kind: 'class-score', threshold: 0.6, rule: '>' },
    ]);
    expect(result.clusters?.[1]).toMatchObject({ classId: 0, isThing: true, pixels: 1 });
    expect(result.clusters?.[1].score).toBeCloseTo(0.45, 6);
    expect(result.clusters?.[6]).toMatchObject({ classId: 2, isThing: false, pixels: 0 });
    expect(result.segments.map((s) => [s.id, s.cluster])).toEqual([
      [1, 0],
      [2, 4],
    ]);
  });

  it('a score equal to the threshold is dropped (strict >), one above it is kept', () => {
    const m = membership([[0], [1]], 2);
    const result = pastePanoptic(m, classProbs([0, 0], [0.5, 0.5000001]), CLASSES, CONFIG);
    expect(result.clusters?.map((v) => v.outcome.kind)).toEqual(['class-score', 'kept']);
  });
});
