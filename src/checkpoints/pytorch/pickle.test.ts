import { describe, expect, it } from 'vitest';
import { fixture } from '../testdata/fixtures';
import { CheckpointFormatError } from '../errors';
import { readNumpyPickle } from '../numpy/read-pickle';
import { unpickle } from './pickle';

describe('unpickle on damaged input (regressions found by the fuzz suites)', () => {
  it('a string that is not UTF-8 is a CheckpointFormatError naming its byte offset, not a raw TypeError', () => {
    // PROTO 2, SHORT_BINUNICODE of 2 bytes (0xc3 0x28: an invalid UTF-8 sequence), STOP.
    const bytes = new Uint8Array([0x80, 0x02, 0x8c, 0x02, 0xc3, 0x28, 0x2e]);
    expect(() => unpickle(bytes, { globals: new Map() })).toThrow(CheckpointFormatError);
    expect(() => unpickle(bytes, { globals: new Map() })).toThrow('malformed pickle at byte 4: a 2-byte string is not valid UTF-8');
  });

  it('numpy_p2.pkl with its first string length raised to 0x7f (the fuzz case) fails as a CheckpointFormatError', () => {
    const bytes = fixture('numpy_p2.pkl');
    bytes[7] = 0x7f;
    expect(() => readNumpyPickle(bytes)).toThrow(CheckpointFormatError);
    expect(() => readNumpyPickle(bytes)).toThrow(/malformed pickle at byte \d+: a 127-byte string is not valid UTF-8/);
  });

  it('reads a huge LONG4 in linear time (a 200 KB integer used to take minutes), and small longs exactly', () => {
    const n = 200_000;
    const bytes = new Uint8Array(7 + n + 1);
    bytes.set([0x80, 0x02, 0x8b, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, 0]);
    bytes.fill(0x11, 7, 7 + n);
    bytes[7 + n] = 0x2e;
    expect((unpickle(bytes, { globals: new Map() }) as bigint).toString(16)).toBe('11'.repeat(n));
    // LONG1: -1 (0xff), 2^63 (9 bytes, positive), -2^63 (8 bytes) and 0 (no bytes).
    const long1 = (...b: number[]) => unpickle(new Uint8Array([0x80, 0x02, 0x8a, b.length, ...b, 0x2e]), { globals: new Map() });
    expect(long1(0xff)).toBe(-1);
    expect(long1(0, 0, 0, 0, 0, 0, 0, 0x80, 0)).toBe(2n ** 63n);
    expect(long1(0, 0, 0, 0, 0, 0, 0, 0x80)).toBe(-(2n ** 63n));
    expect(long1()).toBe(0);
    expect(long1(0x39, 0x30)).toBe(12345);
  });
});

describe('messages name unpickled values, never "[object Object]" (found by the 100000-case fuzz run)', () => {
  const pickle = (...parts: (string | number[])[]) =>
    Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

  it('a state dict key that is not a string', () => {
    // {(1, 2): 3}: PROTO 2, EMPTY_DICT, MARK, BININT1 1, BININT1 2, TUPLE, BININT1 3, SETITEM, STOP.
    const bytes = pickle([0x80, 2], '}(', [0x4b, 1, 0x4b, 2], 't', [0x4b, 3], 's.');
    expect(() => readNumpyPickle(bytes)).toThrow('state dict key a tuple/list is not a string: the file is not a plain weights checkpoint');
  });

  it('bytes pickled with an encoding that is not text', () => {
    // _codecs.encode('ab', {}): GLOBAL, MARK, BINUNICODE 'ab', EMPTY_DICT, TUPLE, REDUCE, STOP.
    const bytes = pickle([0x80, 2], 'c_codecs\nencode\n(', [0x58, 2, 0, 0, 0], 'ab}tR.');
    expect(() => readNumpyPickle(bytes)).toThrow('unsupported _codecs.encode("ab", a dict) in pickle: bytes are pickled as latin1 text');
  });
});

