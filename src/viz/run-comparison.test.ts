import { describe, expect, it } from 'vitest';
import type { PanopticResult } from '../segmenter/types';
import { changedShare, clusterEntropy, compareLayers, compareRuns, firstDifferingLayer, meanConfidence } from './run-comparison';

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

describe('layer comparison and the first differing layer', () => {
  /** A 2 x 2 valid area in a map 3 cells wide (the third column is padding). */
  const layer = (cells: number[]) => ({
    assignment: new Int32Array([cells[0], cells[1], 9, cells[2], cells[3], 9]),
    confidence: new Float32Array(6).fill(1),
    clusterSizes: new Int32Array(10),
    width: 3,
    validWidth: 2,
    validHeight: 2,
  });

  it('compares cluster ids directly in one model, and pairs clusters one to one across two models', () => {
    const a = layer([0, 0, 1, 2]);
    const renamed = layer([5, 5, 3, 4]);
    expect(compareLayers(a, renamed).changedShare).toBe(1);
    expect(compareLayers(a, renamed, { pairClusters: true }).changedShare).toBe(0);
    // Cluster 0's two cells split over 5 and 6: one of them has no pair.
    expect(compareLayers(a, layer([5, 6, 3, 4]), { pairClusters: true }).changedShare).toBe(0.25);
  });

  it('finds the first layer whose assignment differs, padding ignored; Final when none does', () => {
    const same = [layer([0, 0, 1, 2]), layer([0, 1, 1, 2]), layer([0, 1, 1, 1])];
    const padded = same.map((l) => ({ ...l, assignment: l.assignment.map((k, i) => (i % 3 === 2 ? 7 : k)) }));
    expect(firstDifferingLayer(same, padded)).toBe(2);
    const later = [same[0], layer([0, 1, 2, 2]), same[2]];
    expect(firstDifferingLayer(same, later)).toBe(1);
    expect(firstDifferingLayer(same, [layer([3, 3, 1, 2]), ...same.slice(1)])).toBe(0);
    expect(firstDifferingLayer(same, [layer([3, 3, 1, 2]), ...same.slice(1)], { pairClusters: true })).toBe(2);
  });
});
