import CRC32C from 'crc-32/crc32c';

/**
 * CRC-32C (Castagnoli), as TensorFlow checksums its table blocks and tensor data
 * (tensorflow/core/lib/hash/crc32c.h). The polynomial table lives in the `crc-32`
 * package (SheetJS, pure JS); this file only adds unsigned results, chaining and masking.
 */

/** CRC-32C of `bytes`, continuing from `previous` (the CRC of the bytes before them). */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  return CRC32C.buf(bytes, previous) >>> 0;
}

// TensorFlow stores "masked" CRCs so that a CRC of data that itself holds CRCs
// does not degenerate: rotate right by 15 bits, then add a constant.
const MASK_DELTA = 0xa282ead8;

export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function unmaskCrc(masked: number): number {
  const rotated = (masked - MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}
