import { describe, expect, it } from 'vitest';
import { decodeSnappyBody, SnappyError } from './snappy';

const bytes = (...values: number[]) => Uint8Array.from(values);

// Real libsnappy output (TensorFlow's and libleveldb's tables) is decoded through the readers in read-bundle.test.ts.
describe('raw Snappy body', () => {
  it('decodes literals, 1-, 2- and 4-byte-offset copies and overlapping runs', () => {
    // "abcd" literal; copy len 4 offset 4 (kind 1); copy len 3 offset 1 (kind 2, a run of 'd'); copy len 2 offset 8 (kind 3).
    const body = bytes((4 - 1) << 2, 97, 98, 99, 100, ((4 - 4) << 2) | 1, 4, ((3 - 1) << 2) | 2, 1, 0, ((2 - 1) << 2) | 3, 8, 0, 0, 0);
    const out = new Uint8Array(13);
    decodeSnappyBody(body, 0, out);
    // The last copy reaches back 8 from position 11: 'd' (3), then 'a' (4).
    expect(new TextDecoder().decode(out)).toBe('abcdabcddddda');
  });

  it('refuses a literal whose 4-byte length has its top bit set, at once (it moved the input backwards in the library used before)', () => {
    const body = bytes(63 << 2, 0xff, 0xff, 0xff, 0xff, 1, 2, 3);
    // The message names byte 5, the first byte after the length: the input never moved backwards.
    expect(() => decodeSnappyBody(body, 0, new Uint8Array(16))).toThrow(/a literal at byte 5 runs past the end/);
  });

  it('refuses copies before the start, output past the declared length, and output short of it', () => {
    expect(() => decodeSnappyBody(bytes(0, 97, 1, 2), 0, new Uint8Array(8))).toThrow(/reaches back 2 bytes, before the start/);
    expect(() => decodeSnappyBody(bytes(1 << 2, 97, 98), 0, new Uint8Array(1))).toThrow(/more than the declared 1 bytes/);
    expect(() => decodeSnappyBody(bytes(0, 97), 0, new Uint8Array(3))).toThrow(SnappyError);
    expect(() => decodeSnappyBody(bytes(0, 97), 0, new Uint8Array(3))).toThrow(/decode to 1 bytes, not the declared 3/);
    expect(() => decodeSnappyBody(bytes(2, 1), 0, new Uint8Array(3))).toThrow(/a copy at byte 1 runs past the end/);
  });
});
