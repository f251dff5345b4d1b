import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_CASES, FUZZ_SEED } from '../test-utils/fuzz';
import { fitPixelBudget, MAX_PIXELS } from './decode-image-raster';

/**
 * The app decodes pictures with the browser's own decoder (createImageBitmap, not in
 * Node); what runs in Node is the size decision taken before any pixel buffer exists.
 */
describe('fuzz: the app decode path (pixel budget before allocation)', () => {
  it('any declared size, up to 2^20 per side, is brought within the budget with its aspect ratio', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 1, max: 2 ** 20 }), fc.constantFrom(MAX_PIXELS, 1, 2, 1000, 4096 * 4096), (width, height, budget) => {
        const [w, h] = fitPixelBudget(width, height, budget);
        expect(Number.isInteger(w) && Number.isInteger(h) && w >= 1 && h >= 1).toBe(true);
        expect(w * h).toBeLessThanOrEqual(Math.max(budget, 1));
        if (width * height <= budget) expect([w, h]).toEqual([width, height]);
        else {
          expect(w).toBeLessThanOrEqual(width);
          expect(h).toBeLessThanOrEqual(height);
          // Aspect ratio kept to the pixel, unless a side was clamped to one pixel.
          if (w > 1 && h > 1) expect(Math.abs(w / h - width / height)).toBeLessThanOrEqual((width / height) * (1 / h + 1 / w) + 1e-12);
        }
      }),
      { numRuns: FUZZ_CASES, seed: FUZZ_SEED },
    );
  });
});
