import { CheckpointFormatError, UnmappedKeysError } from './errors';
import { toEngineLayout } from './key-maps/layouts';
import { isIgnoredPytorchKey, pytorchKeyRule } from './key-maps/pytorch';
import { toFloat32, type RawTensor } from './raw-tensor';

/** A weight in the engine's (tfjs) layout, keyed by its PyTorch name. */
export interface EngineTensor {
  readonly shape: number[];
  readonly data: Float32Array;
}

export interface EngineTensors {
  readonly tensors: Map<string, EngineTensor>;
  /** Keys on the ignore list (num_batches_tracked, the auxiliary semantic head), in file order. */
  readonly dropped: string[];
}

/**
 * PyTorch state dict -> engine tensors: each key goes through its key-map entry's
 * layout transform; ignore-listed keys are dropped and listed. Any other key throws
 * UnmappedKeysError naming them all. Float16/float64 values are widened to float32;
 * identity-layout float32 tensors stay views (no copy).
 */
export function toEngineTensors(
  raw: ReadonlyMap<string, RawTensor>,
  onTensor?: (done: number, total: number) => void,
): EngineTensors {
  const tensors = new Map<string, EngineTensor>();
  const dropped: string[] = [];
  const unmapped: string[] = [];
  let done = 0;
  for (const [key, tensor] of raw) {
    onTensor?.(done++, raw.size);
    if (isIgnoredPytorchKey(key)) {
      dropped.push(key);
      continue;
    }
    const rule = pytorchKeyRule(key);
    if (rule === undefined) {
      unmapped.push(key);
      continue;
    }
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'float16' && tensor.dtype !== 'float64') {
      throw new CheckpointFormatError(`"${key}" holds ${tensor.dtype} values; kMaX weights are floating point`);
    }
    tensors.set(key, toEngineLayout(key, rule.layout, tensor.shape, toFloat32(tensor)));
  }
  if (unmapped.length > 0) throw new UnmappedKeysError(unmapped);
  onTensor?.(raw.size, raw.size);
  return { tensors, dropped };
}
