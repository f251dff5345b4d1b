import { zipSync } from 'fflate';

/**
 * Test-only: writes a torch.save-format checkpoint `{'model': OrderedDict(...)}` with
 * protocol-2 pickle opcodes, so tests can build checkpoints with the exact keys and
 * shapes of the official ones without storing hundreds of megabytes. Tensors are
 * views (any strides, e.g. 0 to broadcast) of small shared storages.
 */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  /** Key of a storage in `storages`. */
  readonly storage: string;
  readonly offset?: number;
}

export interface StorageSpec {
  readonly type: 'FloatStorage' | 'LongStorage' | 'HalfStorage';
  readonly data: Float32Array | BigInt64Array | Uint16Array;
}

export function writeTorchCheckpoint(
  tensors: ReadonlyMap<string, TensorSpec>,
  storages: ReadonlyMap<string, StorageSpec>,
): Uint8Array {
  const p = new PickleWriter();
  p.op(0x80, 2); // PROTO 2
  p.op(0x7d); // EMPTY_DICT
  p.op(0x28); // MARK
  p.string('model');
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  p.op(0x28);
  for (const [name, t] of tensors) {
    const storage = storages.get(t.storage);
    if (storage === undefined) throw new Error(`no storage ${t.storage}`);
    p.string(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(0x28);
    p.op(0x28); // persistent id ('storage', type, key, 'cpu', numel)
    p.string('storage');
    p.global('torch', storage.type);
    p.string(t.storage);
    p.string('cpu');
    p.int(storage.data.length);
    p.op(0x74, 0x51); // TUPLE, BINPERSID
    p.int(t.offset ?? 0);
    p.ints(t.shape);
    p.ints(t.stride);
    p.op(0x89); // NEWFALSE (requires_grad)
    p.global('collections', 'OrderedDict');
    p.op(0x29, 0x52); // backward hooks: OrderedDict()
    p.op(0x74, 0x52); // TUPLE, REDUCE
  }
  p.op(0x75); // SETITEMS (state dict)
  p.op(0x75, 0x2e); // SETITEMS (outer dict), STOP
  const files: Record<string, [Uint8Array, { level: 0 }]> = {
    'archive/data.pkl': [p.bytes(), { level: 0 }],
    'archive/version': [new TextEncoder().encode('3\n'), { level: 0 }],
  };
  for (const [key, s] of storages) {
    files[`archive/data/${key}`] = [new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength), { level: 0 }];
  }
  return zipSync(files);
}

class PickleWriter {
  private readonly chunks: number[] = [];

  op(...codes: number[]): void {
    this.chunks.push(...codes);
  }

  string(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.op(0x58, ...le32(bytes.length), ...bytes); // BINUNICODE
  }

  global(module: string, name: string): void {
    this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)); // GLOBAL
  }

  int(n: number): void {
    this.op(0x4a, ...le32(n)); // BININT
  }

  ints(values: readonly number[]): void {
    this.op(0x28);
    for (const v of values) this.int(v);
    this.op(0x74);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
