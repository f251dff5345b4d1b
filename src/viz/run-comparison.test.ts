import { describe, expect, it } from 'vitest';
import type { PanopticResult } from '../segmenter/types';
import { changedShare, clusterEntropy, compareRuns, meanConfidence } from './run-comparison';

const pan = (ids: number[], n: number): PanopticResult => ({ width: ids.length, height: 1, ids: new Int32Array(ids), segments: Array.from({ length: n }, (_, i) => ({ id: i + 1, classId: 0, categoryId: 1, name: 'a', isThing: true, score: 1, area: 1, cluster: i })) });

describe('run comparison', () => {
  it('ignores a renumbering and counts only pixels that moved', () => {
    expect(changedShare(new Int32Array([1, 1, 2, 2]), new Int32Array([2, 2, 1, 1]))).toBe(0);
    expect(changedShare(new Int32Array([1, 1, 1, 2]), new Int32Array([5, 5, 6, 6]))).toBe(0.25);
    expect(changedShare(new Int32Array([0, 0, 1, 1]), new Int32Array([3, 0, 1, 1]))).toBe(0.25);
  });

  it('measures confidence over the valid area and entropy in bits', () => {
    const final = { confidence: new Float32Array([0.5, 1, 9, 0.5, 1, 9]), clusterSizes: new Int32Array([2, 2, 0, 4]), width: 3, validWidth: 2, validHeight: 2 };
    expect(meanConfidence(final)).toBeCloseTo(0.75);
    expect(clusterEntropy(final.clusterSizes)).toBeCloseTo(1.5);
    expect(clusterEntropy(new Int32Array([8, 0]))).toBe(0);
    const c = compareRuns({ panoptic: pan([1, 1, 2], 2), final }, { panoptic: pan([1, 1, 1], 1) });
    expect(c.segmentCounts).toEqual([2, 1]);
    expect(c.changedShare).toBeCloseTo(1 / 3);
    expect(c.meanConfidence[0]).toBeCloseTo(0.75);
    expect(Number.isNaN(c.clusterEntropy[1])).toBe(true);
  });
});
