import { CheckpointFormatError, UnmappedKeysError } from '../errors';
import type { RawTensor } from '../raw-tensor';
import type { EngineTensor, EngineTensors } from '../to-engine';
import { toEngineLayout } from './layouts';
import { isTfBookkeepingKey, tfBackboneFamily, tfKeyRule } from './tf';
import { reorderClassAxis, tfClassOrder } from './tf-class-order';

/**
 * deeplab2 checkpoint tensors (as `readTfBundle` returns them) -> engine tensors under
 * PyTorch names (spec 8.3), the TF counterpart of `toEngineTensors`. Every key is
 * either bookkeeping (optimizer state, counters, the object graph) or a train-only
 * weight, both dropped and listed, or mapped; any other key means the checkpoint is
 * not a kMaX-DeepLab one, and all of them are reported at once. Class heads are
 * re-ordered to PyTorch class order for `dataset` (a kmax-datasets.json key, spec 9).
 */
export function convertTfCheckpoint(raw: ReadonlyMap<string, RawTensor>, dataset: string): EngineTensors {
  const classOrder = tfClassOrder(dataset);
  const tensors = new Map<string, EngineTensor>();
  const dropped: string[] = [];
  const unmapped: string[] = [];
  const family = tfBackboneFamily(raw.keys());
  for (const [key, tensor] of raw) {
    const match = isTfBookkeepingKey(key) ? null : tfKeyRule(key, family);
    if (match === undefined) {
      unmapped.push(key);
      continue;
    }
    if (match === null || match.rule.trainOnly) {
      dropped.push(key);
      continue;
    }
    if (tensor.dtype !== 'float32') {
      throw new CheckpointFormatError(`"${key}" holds ${tensor.dtype} values; kMaX-DeepLab weights are float32`);
    }
    if (tensors.has(match.name)) {
      throw new CheckpointFormatError(`two checkpoint keys map to "${match.name}" (the second is "${key}")`);
    }
    const engine = toEngineLayout(key, match.rule.layout, tensor.shape, tensor.data as Float32Array);
    const data = match.rule.classAxis && classOrder !== null ? reorderClassAxis(key, engine.shape, engine.data, classOrder) : engine.data;
    tensors.set(match.name, { shape: engine.shape, data });
  }
  if (unmapped.length > 0) throw new UnmappedKeysError(unmapped);
  return { tensors, dropped };
}
