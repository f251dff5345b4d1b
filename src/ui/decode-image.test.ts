import { describe, expect, it } from 'vitest';
import { fitPixelBudget, MAX_PIXELS } from './decode-image-raster';

describe('fitPixelBudget', () => {
  it('keeps pictures up to 50 MP as they are', () => {
    expect(fitPixelBudget(8000, 6250, MAX_PIXELS)).toEqual([8000, 6250]);
  });

  it('scales a larger picture under the budget, keeping its aspect ratio', () => {
    const [w, h] = fitPixelBudget(12000, 9000, MAX_PIXELS);
    expect(w * h).toBeLessThanOrEqual(MAX_PIXELS);
    expect(w * h).toBeGreaterThan(MAX_PIXELS * 0.999);
    expect(w / h).toBeCloseTo(12000 / 9000, 3);
    expect([w, h]).toEqual([8164, 6123]);
  });

  it('never reaches zero on extreme panoramas', () => {
    expect(fitPixelBudget(1e9, 1, 100)).toEqual([100, 1]);
  });

  it('a one-pixel-wide strip stays within the budget too (a fuzz case: 1x5 at budget 2 came out 1x3)', () => {
    expect(fitPixelBudget(1, 5, 2)).toEqual([1, 2]);
    const [w, h] = fitPixelBudget(1, 60_000_000, MAX_PIXELS);
    expect([w, h]).toEqual([1, MAX_PIXELS]);
  });
});
