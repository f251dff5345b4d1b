/**
 * Relative positions of the axial attention (spec 3.4 step 3, T8): the tables hold
 * 2 * MAX_SPAN - 1 = 509 rows, one per signed distance key - query in [-254, 254].
 */
export const MAX_SPAN = 255;
export const RELATIVE_POSITION_ROWS = 2 * MAX_SPAN - 1;

/** An axial sequence is longer than the relative-position tables can address. */
export class AxialLengthError extends Error {
  override readonly name = 'AxialLengthError';
  constructor(readonly length: number) {
    super(
      `Axial attention covers at most ${MAX_SPAN} positions per row or column, got ${length}. ` +
        `Use a smaller network input (the stride-16 feature map must be at most ${MAX_SPAN} pixels on each side).`,
    );
  }
}

const cache = new Map<number, Int32Array>();

/**
 * Row indices into the 509-row tables for a sequence of length L, flattened
 * row-major from `[L, L]`: entry (l, m) is `m - l + 254` for query l and key m.
 * Built from the actual feature size (not PT's add-one rule, spec T20), cached per L.
 */
export function relativePositionIndex(length: number): Int32Array {
  if (!Number.isInteger(length) || length < 1 || length > MAX_SPAN) throw new AxialLengthError(length);
  let index = cache.get(length);
  if (index === undefined) {
    index = new Int32Array(length * length);
    for (let l = 0; l < length; l++) {
      for (let m = 0; m < length; m++) index[l * length + m] = m - l + MAX_SPAN - 1;
    }
    cache.set(length, index);
  }
  return index;
}
