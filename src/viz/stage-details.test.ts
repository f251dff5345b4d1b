import { describe, expect, it } from 'vitest';
import { classTrajectories, clusterSummaries } from './assignment-map';
import { dropOverlapping } from './label-placement';
import { highlightLayer } from './panoptic-overlay';
import { compareLayers } from './run-comparison';

// Three clusters, two classes plus void: rows are clusters.
const probs = (rows: number[][]) => Float32Array.from(rows.flat());

describe('clusterSummaries', () => {
  it('lists clusters in use, largest first, with their top class', () => {
    const rows = clusterSummaries({ clusterSizes: new Int32Array([1, 0, 3]), classProbs: probs([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]]) });
    expect(rows.map((r) => [r.cluster, r.size, r.share, r.classId])).toEqual([
      [2, 3, 0.75, 0],
      [0, 1, 0.25, 1],
    ]);
    expect(rows[0].probability).toBeCloseTo(0.6, 6);
  });
});

describe('classTrajectories', () => {
  it('follows the final top classes and every earlier winner of one cluster', () => {
    const layer = (row: number[]) => ({ clusterSizes: new Int32Array(2), classProbs: probs([[0.34, 0.33, 0.33], row]) });
    const { classIds, series } = classTrajectories([layer([0.1, 0.1, 0.8]), layer([0.2, 0.7, 0.1]), layer([0.9, 0.05, 0.05])], 1, 1);
    expect(classIds).toEqual([0, 2, 1]);
    expect(series[0].map((v) => Math.round(v * 100))).toEqual([10, 20, 90]);
    expect(series[1].map((v) => Math.round(v * 100))).toEqual([80, 10, 5]);
  });
});

describe('compareLayers', () => {
  it('counts valid cells whose cluster differs, ignoring padding', () => {
    const base = { width: 3, validWidth: 2, validHeight: 2, confidence: new Float32Array([1, 0.5, 0, 0.5, 1, 0]) };
    const a = { ...base, assignment: new Int32Array([0, 1, 7, 2, 2, 7]), clusterSizes: new Int32Array([1, 1, 2]) };
    const b = { ...base, assignment: new Int32Array([0, 2, 5, 2, 2, 6]), clusterSizes: new Int32Array([1, 0, 3]) };
    const c = compareLayers(a, b);
    expect(c.changedShare).toBe(0.25);
    expect(c.clustersInUse).toEqual([3, 2]);
    expect(c.meanConfidence[0]).toBe(0.75);
    expect(c.clusterEntropy[0]).toBeCloseTo(1.5, 6);
    expect(c.clusterEntropy[1]).toBeCloseTo(-(0.25 * Math.log2(0.25) + 0.75 * Math.log2(0.75)), 6);
  });
});

describe('dropOverlapping', () => {
  it('keeps earlier labels and drops later ones that would cover them', () => {
    const kept = dropOverlapping([
      { id: 1, x: 50, y: 50, width: 40, height: 16 },
      { id: 2, x: 70, y: 55, width: 40, height: 16 },
      { id: 3, x: 50, y: 80, width: 40, height: 16 },
    ]);
    expect(kept.map((b) => b.id)).toEqual([1, 3]);
  });
});

describe('highlightLayer', () => {
  it('is clear on the hovered region and dark elsewhere', () => {
    const layer = highlightLayer(new Int32Array([1, 2, 2, 0]), 2, 2, 2, 0.5);
    expect([3, 7, 11, 15].map((i) => layer.data[i])).toEqual([128, 0, 0, 128]);
  });
});
