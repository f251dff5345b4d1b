import { CheckpointFormatError } from '../errors';
import { isPyObject, type PyGlobal, type PyObject, type PyValue } from '../pytorch/pickle';
import { pyGlobal } from '../pytorch/python-globals';
import { BYTES_PER_ELEMENT, elementCount, typedArrayFromBytes, type RawDType, type RawTensor } from '../raw-tensor';
import { dtypeOfCode } from './descr';

/**
 * numpy arrays inside a pickle. `ndarray.__reduce__` pickles
 * `_reconstruct(ndarray, (0,), b'b')` followed by BUILD with
 * `(version, shape, dtype, is_fortran, raw_bytes)`; protocol 5 pickles contiguous
 * arrays as `_frombuffer(buffer, dtype, shape, order)`. A dtype is
 * `dtype('f4', False, True)` followed by BUILD with `(version, byteorder, ...)`.
 */

interface NumpyDType extends PyObject {
  readonly code: string;
  byteOrder: string;
}

export interface NumpyArray extends PyObject {
  tensor: RawTensor | null;
}

export function isNumpyArray(value: PyValue): value is NumpyArray {
  return isPyObject(value, 'numpy.ndarray');
}

function numpyDType(code: string): NumpyDType {
  const dtype: NumpyDType = {
    pyClass: 'numpy.dtype',
    code,
    // numpy's default for multi-byte codes is native order; every target is little-endian.
    byteOrder: '=',
    setState(state) {
      if (!Array.isArray(state) || typeof state[1] !== 'string') throw malformed('dtype state');
      dtype.byteOrder = state[1];
    },
  };
  return dtype;
}

function rawDType(value: PyValue): RawDType {
  if (!isPyObject(value, 'numpy.dtype')) throw malformed('dtype');
  const { code, byteOrder } = value as NumpyDType;
  return dtypeOfCode(code, byteOrder);
}

function shapeOf(value: PyValue): number[] {
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'number')) throw malformed('shape');
  return value as number[];
}

function arrayOf(dtype: RawDType, shape: number[], bytes: PyValue, fortran: boolean): RawTensor {
  if (!(bytes instanceof Uint8Array)) {
    throw new CheckpointFormatError('numpy object arrays (dtype=object) are not weights; refusing to read them');
  }
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw new CheckpointFormatError('numpy array in Fortran order; save np.ascontiguousarray(arr) instead');
  }
  const byteLength = elementCount(shape) * BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength !== byteLength) throw malformed(`array data (${bytes.byteLength} bytes, expected ${byteLength})`);
  return { dtype, shape, data: typedArrayFromBytes(dtype, bytes) };
}

function emptyArray(): NumpyArray {
  const array: NumpyArray = {
    pyClass: 'numpy.ndarray',
    tensor: null,
    setState(state) {
      if (!Array.isArray(state) || state.length !== 5) throw malformed('ndarray state');
      const [, shape, dtype, fortran, data] = state;
      array.tensor = arrayOf(rawDType(dtype), shapeOf(shape), data, fortran === true);
    },
  };
  return array;
}

/** The class object itself: only ever an argument of `_reconstruct`. */
const NDARRAY_CLASS: PyGlobal = pyGlobal('numpy.ndarray', () => {
  throw new CheckpointFormatError('numpy.ndarray is only expected as an argument of _reconstruct');
});

/** Each numpy name exists as `numpy.core.*` (numpy 1.x) and `numpy._core.*` (numpy 2.x). */
function bothSpellings(path: string, call: (args: readonly PyValue[]) => PyValue): PyGlobal[] {
  return [pyGlobal(`numpy.core.${path}`, call), pyGlobal(`numpy._core.${path}`, call)];
}

/**
 * The numpy names a weights pickle may use: building an empty array / dtype, an
 * array from bytes, or a scalar from bytes. None of them runs anything else.
 */
export const NUMPY_GLOBALS: PyGlobal[] = [
  NDARRAY_CLASS,
  pyGlobal('numpy.dtype', ([code]) => {
    if (typeof code !== 'string') throw malformed('dtype code');
    return numpyDType(code);
  }),
  ...bothSpellings('multiarray._reconstruct', ([cls]) => {
    if (cls !== NDARRAY_CLASS) throw malformed('_reconstruct of a class other than ndarray');
    return emptyArray();
  }),
  ...bothSpellings('numeric._frombuffer', ([buffer, dtype, shape, order]) => {
    const array = emptyArray();
    array.tensor = arrayOf(rawDType(dtype), shapeOf(shape), buffer, order === 'F');
    return array;
  }),
  // numpy scalars (e.g. an iteration counter saved as np.int64).
  ...bothSpellings('multiarray.scalar', ([dtype, bytes]) => {
    const tensor = arrayOf(rawDType(dtype), [], bytes, false);
    const value = tensor.data[0];
    return typeof value === 'bigint' && value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER
      ? Number(value)
      : value;
  }),
];

function malformed(what: string): CheckpointFormatError {
  return new CheckpointFormatError(`malformed numpy pickle: unexpected ${what}`);
}
