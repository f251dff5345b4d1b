import { describe, expect, it } from 'vitest';
import { attentionOverlay, attentionWeights, isSoftAttention } from './attention-overlay';
import { HEAT_STOPS } from './heatmap';

/** 2 x 2 cells, 2 clusters: softAssignment pixel-major, spatialAttention cluster-major. */
const record = {
  width: 2,
  height: 2,
  softAssignment: new Float32Array([0.9, 0.1, 0.6, 0.4, 0.2, 0.8, 0.3, 0.7]),
  spatialAttention: new Float32Array([0.4, 0.3, 0.2, 0.1, 0.1, 0.2, 0.3, 0.4]),
};

describe('attention weights of one cluster', () => {
  it('softmax: its spatial softmax; cluster softmax: its column of the softmax over clusters', () => {
    expect(Array.from(attentionWeights(record, 1, 'softmax') ?? [])).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3, 0.4])));
    expect(Array.from(attentionWeights(record, 1, 'cluster-softmax') ?? [])).toEqual(Array.from(new Float32Array([0.1, 0.4, 0.8, 0.7])));
  });

  it('masked: the spatial softmax over its foreground only (>= 0.5 over clusters), renormalised; all cells when empty', () => {
    const w = Array.from(attentionWeights(record, 0, 'masked') ?? []);
    // Cluster 0's foreground: cells 0 and 1 (0.9, 0.6); weights 0.4 and 0.3 over 0.7.
    expect(w[0]).toBeCloseTo(4 / 7, 6);
    expect(w[1]).toBeCloseTo(3 / 7, 6);
    expect(w.slice(2)).toEqual([0, 0]);
    const empty = { ...record, softAssignment: new Float32Array(8).fill(0.4) };
    expect(Array.from(attentionWeights(empty, 0, 'masked') ?? [])).toEqual(Array.from(record.spatialAttention.subarray(0, 4)));
  });

  it('is null without the soft maps, and only the three soft modes count as soft', () => {
    expect(attentionWeights({ width: 2, height: 2 }, 0, 'softmax')).toBeNull();
    expect(['kmeans', 'softmax', 'masked', 'cluster-softmax', 'final'].filter((m) => isSoftAttention(m as 'final'))).toEqual(['softmax', 'masked', 'cluster-softmax']);
  });
});

describe('attention overlay', () => {
  it('spans the colour scale from the smallest to the largest valid weight, padding left out, blended over the photo', () => {
    // A 2 x 1 photo on a map 3 cells wide of which 2 are valid; the padding cell's 99 must not set the max.
    const photo = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([0, 0, 0, 200, 200, 200]) };
    const grid = { width: 3, stride: 1, validWidth: 2, validHeight: 1 };
    const out = attentionOverlay(photo, new Float32Array([0.25, 0.75, 99]), grid, { resizedWidth: 2, resizedHeight: 1 }, { opacity: 1, maxSide: 10 });
    expect([out.min, out.max]).toEqual([0.25, 0.75]);
    expect(Array.from(out.image.data.subarray(0, 3))).toEqual([...HEAT_STOPS[0]]);
    expect(Array.from(out.image.data.subarray(4, 7))).toEqual([...HEAT_STOPS[HEAT_STOPS.length - 1]]);
    const half = attentionOverlay(photo, new Float32Array([0.25, 0.75, 99]), grid, { resizedWidth: 2, resizedHeight: 1 }, { opacity: 0.5, maxSide: 10 });
    expect(Array.from(half.image.data.subarray(4, 7))).toEqual(HEAT_STOPS[HEAT_STOPS.length - 1].map((c) => Math.round(100 + c / 2)));
  });
});
