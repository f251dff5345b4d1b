import { CheckpointFormatError } from './errors';
import { describePickled, type PyValue } from './pytorch/pickle';
import type { RawTensor } from './raw-tensor';

/** Name -> tensor, in file order. */
export type StateDict = Map<string, RawTensor>;

/**
 * The state dict inside an unpickled checkpoint (spec 8.1, 8.2): `obj['model']` when
 * present (detectron2 checkpoints also carry optimizer/scheduler/iteration, ignored),
 * else the object itself. Every entry must be a tensor: a non-tensor value means the
 * file is not a weights file, and is reported rather than skipped.
 */
export function stateDictOf<T = RawTensor>(root: PyValue, toTensor: (value: PyValue) => T | null): Map<string, T> {
  const dict = root instanceof Map && root.get('model') instanceof Map ? root.get('model') : root;
  if (!(dict instanceof Map)) {
    throw new CheckpointFormatError('The checkpoint holds no state dict (expected a dict of tensors, or {"model": ...}).');
  }
  const tensors = new Map<string, T>();
  for (const [key, value] of dict) {
    if (typeof key !== 'string') throw new CheckpointFormatError(`state dict key ${describePickled(key)} is not a string: the file is not a plain weights checkpoint`);
    const tensor = toTensor(value);
    if (tensor === null) {
      throw new CheckpointFormatError(
        `state dict entry "${key}" is not a tensor: the file is not a plain weights checkpoint ` +
          '(save model.state_dict(), or {"model": model.state_dict()})',
      );
    }
    tensors.set(key, tensor);
  }
  return tensors;
}
