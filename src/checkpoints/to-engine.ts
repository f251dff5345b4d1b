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
  const engine = new EngineTensorsBuilder(raw.size, onTensor);
  for (const [key, tensor] of raw) engine.add(key, tensor);
  return engine.finish();
}

/** toEngineTensors for tensors read one at a time (a lazily read checkpoint). */
export async function toEngineTensorsFrom(
  raw: AsyncIterable<[string, RawTensor]>,
  size: number,
  onTensor?: (done: number, total: number) => void,
): Promise<EngineTensors> {
  const engine = new EngineTensorsBuilder(size, onTensor);
  for await (const [key, tensor] of raw) engine.add(key, tensor);
  return engine.finish();
}

class EngineTensorsBuilder {
  private readonly tensors = new Map<string, EngineTensor>();
  private readonly dropped: string[] = [];
  private readonly unmapped: string[] = [];
  private done = 0;

  constructor(
    private readonly total: number,
    private readonly onTensor?: (done: number, total: number) => void,
  ) {}

  add(key: string, tensor: RawTensor): void {
    this.onTensor?.(this.done++, this.total);
    if (isIgnoredPytorchKey(key)) {
      this.dropped.push(key);
      return;
    }
    const rule = pytorchKeyRule(key);
    if (rule === undefined) {
      this.unmapped.push(key);
      return;
    }
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'float16' && tensor.dtype !== 'float64') {
      throw new CheckpointFormatError(`"${key}" holds ${tensor.dtype} values; kMaX weights are floating point`);
    }
    this.tensors.set(key, toEngineLayout(key, rule.layout, tensor.shape, toFloat32(tensor)));
  }

  finish(): EngineTensors {
    if (this.unmapped.length > 0) throw new UnmappedKeysError(this.unmapped);
    this.onTensor?.(this.total, this.total);
    return { tensors: this.tensors, dropped: this.dropped };
  }
}
