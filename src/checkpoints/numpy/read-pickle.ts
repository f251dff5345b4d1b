import { CheckpointFormatError } from '../errors';
import { unpickle } from '../pytorch/pickle';
import { PYTHON_GLOBALS, whitelist } from '../pytorch/python-globals';
import { stateDictOf, type StateDict } from '../state-dict';
import { isNumpyArray, NUMPY_GLOBALS } from './numpy-globals';

/**
 * detectron2-style `.pkl` weights (spec 8.2): a pickle of
 * `{"model": {name: ndarray}, "__author__": ..., "matching_heuristics": True}`,
 * e.g. the output of kmax-deeplab's convert-tf-weights-to-d2.py.
 */

const GLOBALS = whitelist(PYTHON_GLOBALS, NUMPY_GLOBALS);

export function isPickle(bytes: Uint8Array): boolean {
  return bytes.byteLength > 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

export function readNumpyPickle(bytes: Uint8Array): StateDict {
  if (!isPickle(bytes)) throw new CheckpointFormatError('This is not a Python pickle (protocol 2-5).');
  const root = unpickle(bytes, { globals: GLOBALS });
  return stateDictOf(root, (value) => (isNumpyArray(value) ? value.tensor : null));
}
