import { CheckpointFormatError } from '../errors';
import type { RawDType } from '../raw-tensor';

/**
 * numpy dtype descriptors ('<f4', '|u1', ...) <-> raw dtypes. Shared by the .npy
 * reader/writer and the numpy-pickle reader (which spells the same type as
 * `dtype('f4')` plus a byte-order character).
 */
const BY_CODE: Readonly<Record<string, RawDType>> = {
  f4: 'float32',
  f2: 'float16',
  f8: 'float64',
  i8: 'int64',
  i4: 'int32',
  i2: 'int16',
  i1: 'int8',
  u1: 'uint8',
  b1: 'bool',
};

const CODE_OF: Readonly<Record<RawDType, string>> = {
  float32: '<f4',
  float16: '<f2',
  float64: '<f8',
  int64: '<i8',
  int32: '<i4',
  int16: '<i2',
  int8: '|i1',
  uint8: '|u1',
  bool: '|b1',
};

/**
 * Raw dtype of a type code ('f4') with numpy's byte-order character:
 * '<' little, '|' not applicable (single bytes), '=' native (little on every target), '>' big.
 */
export function dtypeOfCode(code: string, byteOrder: string): RawDType {
  const dtype = BY_CODE[code];
  if (dtype === undefined) {
    throw new CheckpointFormatError(
      `numpy dtype "${byteOrder}${code}" is not supported (expected one of ${Object.keys(BY_CODE).join(', ')})`,
    );
  }
  if (byteOrder === '>' && !code.endsWith('1')) {
    throw new CheckpointFormatError(
      `numpy array is big-endian ("${byteOrder}${code}"); convert it with arr.astype(arr.dtype.newbyteorder('<')) first`,
    );
  }
  return dtype;
}

/** Parses a full descriptor such as '<f4' or '|b1'. */
export function dtypeOfDescr(descr: string): RawDType {
  const match = /^([<>|=])([a-z]\d+)$/.exec(descr);
  if (match === null) throw new CheckpointFormatError(`numpy dtype "${descr}" is not supported`);
  return dtypeOfCode(match[2], match[1]);
}

export function descrOf(dtype: RawDType): string {
  return CODE_OF[dtype];
}
