import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from './exact-sum';

const sum = (values: readonly number[]) => values.reduce((s, v) => s.add(v), ExactSum.zero());

describe('ExactSum', () => {
  it('is exact where float addition loses the small term', () => {
    expect(1e16 + 1 - 1e16).toBe(0);
    expect(sum([1e16, 1, -1e16]).value()).toBe(1);
    expect(sum([0.5, 0.25, 0.125]).value()).toBe(0.875);
    expect(sum([Number.MIN_VALUE, Number.MIN_VALUE]).value()).toBe(2 * Number.MIN_VALUE);
    expect(sum([]).value()).toBe(0);
  });

  it('gives the same value for any order and any split into merged parts, and round-trips through JSON', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (values, parts, salt) => {
          const whole = sum(values);
          const shuffled = [...values].sort((a, b) => ((a * 1e9 + salt) % 7) - ((b * 1e9 + salt) % 7));
          const merged = ExactSum.zero();
          for (let p = parts - 1; p >= 0; p--) merged.merge(ExactSum.parse(JSON.parse(JSON.stringify(sum(shuffled.filter((_, i) => i % parts === p)))) as string));
          expect(merged.value()).toBe(whole.value());
          expect(merged.toJSON()).toBe(whole.toJSON());
          // Correctly rounded: within half an ulp of the float sum's error bound.
          const naive = values.reduce((a, b) => a + b, 0);
          expect(Math.abs(whole.value() - naive)).toBeLessThanOrEqual(values.length * Number.EPSILON * Math.max(1, naive));
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});
