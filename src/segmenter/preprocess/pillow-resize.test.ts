import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pillowBilinearResize } from './pillow-resize';

/** Written by training/golden_processing/make_pillow_golden.py with Pillow 9.4. */
const GOLDEN = join(__dirname, '../../../training/golden_processing/pillow');

interface GoldenCase {
  readonly name: string;
  readonly channels: 3 | 4;
  readonly width: number;
  readonly height: number;
  readonly outWidth: number;
  readonly outHeight: number;
}

const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as { cases: GoldenCase[] };
const bytes = (file: string) => new Uint8Array(readFileSync(join(GOLDEN, file)));

describe('pillowBilinearResize', () => {
  it.each(manifest.cases)('$name: identical bytes to Pillow ($width x $height -> $outWidth x $outHeight)', (c) => {
    const image = { width: c.width, height: c.height, channels: c.channels, data: bytes(`${c.name}.in.bin`) };
    const expected = bytes(`${c.name}.out.bin`);
    const actual = pillowBilinearResize(image, c.outHeight, c.outWidth);
    expect(actual.length).toBe(c.outWidth * c.outHeight * 3);
    let differing = 0;
    for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) differing++;
    expect(differing).toBe(0);
  });

  it('differs from plain half-pixel bilinear when shrinking (the anti-aliasing is real)', () => {
    // A 1-pixel checkerboard shrunk 4x: Pillow's widened filter averages it to mid-grey,
    // a 2-tap bilinear would return one of the two extremes' blends at each sample.
    const size = 16;
    const data = new Uint8Array(size * size * 3);
    for (let p = 0; p < size * size; p++) data.fill((p % size) % 2 === 0 ? 255 : 0, p * 3, p * 3 + 3);
    const out = pillowBilinearResize({ width: size, height: size, channels: 3, data }, 4, 4);
    for (const v of out) expect(Math.abs(v - 128)).toBeLessThanOrEqual(16);
  });

  it('returns the RGB pixels unchanged (alpha dropped) when the size is kept', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(pillowBilinearResize({ width: 2, height: 1, channels: 4, data }, 1, 2))).toEqual([1, 2, 3, 5, 6, 7]);
  });
});
