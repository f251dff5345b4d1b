import { describe, expect, it } from 'vitest';
import { stageOverlay } from './stage-overlay';

// A 2x2-cell grid at stride 4 (padded width 3 cells) over a photo resized to 5x5:
// cells sit on input pixels 0 and 4, so the middle input pixel 2 rounds to cell 1 (round half up).
const grid = { assignment: new Int32Array([0, 1, 9, 2, 3, 9]), width: 3, stride: 4, validWidth: 2, validHeight: 2 };
const photo = { width: 10, height: 10, channels: 3 as const, data: new Uint8Array(300).fill(100) };
const colours = new Uint8Array([10, 0, 0, 20, 0, 0, 30, 0, 0, 40, 0, 0]);

describe('stageOverlay', () => {
  it('gives each photo pixel the cell nearest to where it lands in the resized input', () => {
    const { image, cellAt } = stageOverlay(photo, grid, { resizedWidth: 5, resizedHeight: 5 }, colours, { opacity: 1, maxSide: 100 });
    expect([image.width, image.height]).toEqual([10, 10]);
    // Photo x = 3 lands on input (3.5 * 5/10 - 0.5) = 1.25 -> cell 0; x = 4 on 1.75 -> cell 0; x = 5 on 2.25 -> cell 1.
    const row = Array.from({ length: 10 }, (_, x) => image.data[x * 4]);
    expect(row).toEqual([10, 10, 10, 10, 10, 20, 20, 20, 20, 20]);
    expect(cellAt(9, 9)).toBe(4);
    expect(cellAt(0, 9)).toBe(3);
  });

  it('blends with the photo and fades every cluster but the highlighted one', () => {
    const { image } = stageOverlay(photo, grid, { resizedWidth: 5, resizedHeight: 5 }, colours, { opacity: 0.5, highlight: new Set([1]), maxSide: 100 });
    expect(image.data[9 * 4]).toBe(Math.round(100 * 0.5 + 20 * 0.5)); // cluster 1, highlighted
    expect(image.data[0]).toBe(Math.round(100 * 0.925 + 10 * 0.075)); // cluster 0 at 0.15 of the opacity
  });

  it('samples a large photo down to maxSide, keeping its aspect ratio', () => {
    const wide = { width: 40, height: 20, channels: 3 as const, data: new Uint8Array(2400) };
    const { image } = stageOverlay(wide, grid, { resizedWidth: 5, resizedHeight: 3 }, colours, { opacity: 1, maxSide: 10 });
    expect([image.width, image.height]).toEqual([10, 5]);
  });
});

describe('sampleForDisplay', () => {
  it('keeps a photo that fits and samples a larger one down by nearest neighbour, ids and pixels alike', async () => {
    const { sampleForDisplay } = await import('./display-sample');
    const small = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array(6) };
    const ids = new Int32Array([1, 2]);
    expect(sampleForDisplay(small, ids, 4).ids).toBe(ids);
    const big = { width: 4, height: 2, channels: 3 as const, data: Uint8Array.from({ length: 24 }, (_, i) => Math.floor(i / 3)) };
    const out = sampleForDisplay(big, new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]), 2);
    expect([out.photo.width, out.photo.height]).toEqual([2, 1]);
    // Output pixel centres 0.5 and 1.5 of 2 map to source columns 1 and 3 of row 1.
    expect([...out.ids]).toEqual([6, 8]);
    expect([...out.photo.data]).toEqual([5, 5, 5, 7, 7, 7]);
  });
});
