import { describe, expect, it } from 'vitest';
import { crc32c, maskCrc, unmaskCrc } from './crc32c';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the standard check value and the iSCSI (RFC 3720 B.4) vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('chains: the CRC of a+b equals the CRC of b continued from the CRC of a', () => {
    const whole = ascii('hello tensor bundle');
    expect(crc32c(whole.subarray(7), crc32c(whole.subarray(0, 7)))).toBe(crc32c(whole));
  });

  it('masks as TensorFlow does: rotate right 15, add 0xa282ead8, and unmasks back', () => {
    // ((0xe3069283 >>> 15) | (0xe3069283 << 17)) + 0xa282ead8, computed by hand.
    expect(maskCrc(0xe3069283)).toBe(((0x0001c60d | 0x25060000) + 0xa282ead8) >>> 0);
    for (const v of [0, 1, 0xffffffff, 0xe3069283, 0x80000000]) expect(unmaskCrc(maskCrc(v))).toBe(v);
  });
});
