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
});
