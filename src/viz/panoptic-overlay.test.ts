import { describe, expect, it } from 'vitest';
import { boundaries, panopticOverlay } from './panoptic-overlay';
import { hideRegions } from './segment-views';

const photo = { width: 3, height: 2, channels: 3 as const, data: new Uint8Array([10, 20, 30, 10, 20, 30, 10, 20, 30, 100, 100, 100, 100, 100, 100, 100, 100, 100]) };
const ids = new Int32Array([0, 1, 1, 2, 2, 1]);
const colours = new Uint8Array([0, 0, 0, 255, 0, 0, 0, 0, 255]);

describe('panopticOverlay', () => {
  it('blends segment colours at the given opacity and marks void (a dark pixel is lightened)', () => {
    const out = panopticOverlay(photo, ids, colours, { opacity: 0.5, contours: false });
    // Void at (0, 0) lies on a hatch line: 70% of the way to white.
    expect([...out.data.subarray(0, 4)]).toEqual([182, 185, 188, 255]);
    expect([...out.data.subarray(4, 8)]).toEqual([133, 10, 15, 255]); // round(10*.5+255*.5)=132.5 -> 133
    expect([...out.data.subarray(12, 16)]).toEqual([50, 50, 178, 255]);
  });

  it('shows pure segment colours at opacity 1, so pixels map back to ids', () => {
    const out = panopticOverlay(photo, ids, colours, { opacity: 1, contours: false });
    for (let p = 1; p < 6; p++) expect([...out.data.subarray(p * 4, p * 4 + 3)]).toEqual([...colours.subarray(ids[p] * 3, ids[p] * 3 + 3)]);
  });

  it('shows the photo, unchanged, where the user hid a region, and still marks void', () => {
    const out = panopticOverlay(photo, hideRegions(ids, new Set([1])), colours, { opacity: 1, contours: false });
    for (const p of [1, 2, 5]) expect([...out.data.subarray(p * 4, p * 4 + 4)]).toEqual([...photo.data.subarray(p * 3, p * 3 + 3), 255]);
    expect([...out.data.subarray(12, 15)]).toEqual([0, 0, 255]); // region 2 keeps its colour
    expect([...out.data.subarray(0, 3)]).not.toEqual([10, 20, 30]); // void is marked, not the photo
  });

  it('draws white contours on both sides of every boundary only', () => {
    expect([...boundaries(new Int32Array([1, 1, 2, 1, 1, 2, 1, 1, 1]), 3, 3)]).toEqual([0, 1, 1, 0, 1, 1, 0, 0, 1]);
    const out = panopticOverlay(photo, new Int32Array([1, 1, 1, 1, 1, 1]), colours, { opacity: 1, contours: true });
    expect(out.data.every((v, i) => (i % 4 === 3 ? v === 255 : v === colours[3 + (i % 4)]))).toBe(true);
  });

  it('marks void differently from the photo at every brightness, hatched along diagonals', () => {
    for (const v of [0, 1, 127, 128, 200, 255]) {
      const flat = { width: 6, height: 1, channels: 3 as const, data: new Uint8Array(18).fill(v) };
      const out = panopticOverlay(flat, new Int32Array(6), colours, { opacity: 0.5, contours: false });
      const reds = Array.from({ length: 6 }, (_, x) => out.data[x * 4]);
      for (const r of reds) expect(r, `grey ${v}`).not.toBe(v);
      expect(new Set(reds).size, `grey ${v}: hatch lines and the rest differ`).toBe(2);
    }
  });

  it('rejects a map of the wrong size', () => {
    expect(() => panopticOverlay(photo, new Int32Array(5), colours, { opacity: 1, contours: false })).toThrow(RangeError);
  });
});
