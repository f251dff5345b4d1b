import { describe, expect, it } from 'vitest';
import { AxialLengthError, MAX_SPAN, RELATIVE_POSITION_ROWS, relativePositionIndex } from './relative-position';

describe('relativePositionIndex', () => {
  it('is key minus query plus 254, row-major over [query, key]', () => {
    expect(Array.from(relativePositionIndex(3))).toEqual([254, 255, 256, 253, 254, 255, 252, 253, 254]);
  });

  it('spans exactly the 509 table rows at the longest sequence', () => {
    const index = relativePositionIndex(MAX_SPAN);
    expect(RELATIVE_POSITION_ROWS).toBe(509);
    expect(index.length).toBe(255 * 255);
    expect(index[0 * 255 + 254]).toBe(508); // query 0, key 254
    expect(index[254 * 255 + 0]).toBe(0); // query 254, key 0
    expect(Math.min(...index)).toBe(0);
    expect(Math.max(...index)).toBe(508);
  });

  it('is built from the actual length (41 at 1281 px, stride 32) and cached', () => {
    const index = relativePositionIndex(41);
    expect(index[40]).toBe(254 + 40);
    expect(index[40 * 41]).toBe(254 - 40);
    expect(relativePositionIndex(41)).toBe(index);
  });

  it('rejects sequences longer than the tables with a clear error', () => {
    expect(() => relativePositionIndex(256)).toThrow(AxialLengthError);
    expect(() => relativePositionIndex(256)).toThrow(/at most 255 positions/);
    expect(() => relativePositionIndex(0)).toThrow(AxialLengthError);
  });
});
