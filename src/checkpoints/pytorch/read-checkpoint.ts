import { CheckpointFormatError, LegacyTorchFormatError } from '../errors';
import { isNumpyArray, NUMPY_GLOBALS } from '../numpy/numpy-globals';
import { BYTES_PER_ELEMENT, swapBytes, type RawTensor } from '../raw-tensor';
import { stateDictOf, type StateDict } from '../state-dict';
import { unpickle, type PyValue } from './pickle';
import { PYTHON_GLOBALS, whitelist } from './python-globals';
import {
  isStorageType,
  isTorchTensor,
  materialise,
  TORCH_GLOBALS,
  torchStorage,
  type StorageDType,
  type StorageType,
  type TorchStorage,
  type TorchTensor,
} from './torch-tensor';
import {
  isZip,
  readZipDirectory,
  readZipDirectoryFrom,
  readZipEntry,
  readZipEntryFrom,
  type RandomAccessFile,
  type ZipEntry,
} from './zip';

/**
 * torch.save files (torch >= 1.6): a zip holding `<archive>/data.pkl` (the pickled
 * object), one `<archive>/data/<key>` record per storage, and since torch 2.1
 * `<archive>/byteorder` ("little" or "big"; absent means little).
 */

const GLOBALS = whitelist(PYTHON_GLOBALS, TORCH_GLOBALS, NUMPY_GLOBALS);

/** Legacy torch.save starts with a protocol-2 pickle of this magic number (LONG1, 10 bytes). */
const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && LEGACY_MAGIC.every((b, i) => bytes[2 + i] === b);
}

/**
 * The state dict of a torch.save checkpoint (`obj['model']` if present, else the
 * object). Tensors are C-order; contiguous float32 data are views into `bytes`.
 */
export function readPytorchCheckpoint(bytes: Uint8Array): StateDict {
  checkIsTorchZip(bytes);
  const entries = readZipDirectory(bytes);
  const archive = archiveOf(entries);
  const record = (name: string): Uint8Array | null => {
    const entry: ZipEntry | undefined = entries.get(`${archive}/${name}`);
    return entry === undefined ? null : readZipEntry(bytes, entry);
  };
  const byteOrder = byteOrderOf(record('byteorder'));
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const { type, key } = storageReference(pid);
    const cached = storages.get(key);
    if (cached !== undefined) return cached;
    const data = record(`data/${key}`);
    if (data === null) throw missingStorage(key);
    const storage = torchStorage(type.dtype, inHostOrder(data, type.dtype, byteOrder));
    storages.set(key, storage);
    return storage;
  };
  const root = unpickle(record('data.pkl') as Uint8Array, { globals: GLOBALS, persistentLoad });
  return stateDictOf(root, tensorOf);
}

/** A state dict whose tensors are read one at a time, in file order. */
export interface LazyStateDict {
  readonly size: number;
  /**
   * Each tensor as readPytorchCheckpoint gives it; a storage record is read when its
   * first tensor is reached and let go after its last, so only one is held at a time.
   */
  entries(): AsyncGenerator<[string, RawTensor]>;
}

/**
 * readPytorchCheckpoint for a file read in ranges (a dropped File): the directory,
 * data.pkl, then each storage record when its tensor is asked for, so the file is
 * never in memory whole. The same checks, in the same words.
 */
export async function openPytorchCheckpoint(file: RandomAccessFile): Promise<LazyStateDict> {
  checkIsTorchZip(await file.read(0, Math.min(file.size, 2 + LEGACY_MAGIC.length)));
  const entries = await readZipDirectoryFrom(file);
  const archive = archiveOf(entries);
  const entryOf = (name: string): ZipEntry | undefined => entries.get(`${archive}/${name}`);
  const record = async (name: string): Promise<Uint8Array | null> => {
    const entry = entryOf(name);
    return entry === undefined ? null : readZipEntryFrom(file, entry);
  };
  const byteOrder = byteOrderOf(await record('byteorder'));
  // Storages stand in empty while the pickle is read; each tensor gets its record's bytes when reached.
  const keyOf = new Map<TorchStorage, string>();
  const placeholders = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const { type, key } = storageReference(pid);
    const cached = placeholders.get(key);
    if (cached !== undefined) return cached;
    if (entryOf(`data/${key}`) === undefined) throw missingStorage(key);
    const storage = torchStorage(type.dtype, new Uint8Array(0));
    placeholders.set(key, storage);
    keyOf.set(storage, key);
    return storage;
  };
  const root = unpickle((await record('data.pkl')) as Uint8Array, { globals: GLOBALS, persistentLoad });
  const values = stateDictOf<TorchTensor | RawTensor>(root, (v) => (isTorchTensor(v) ? v : isNumpyArray(v) ? v.tensor : null));
  const uses = new Map<string, number>();
  for (const value of values.values()) {
    const key = 'storage' in value ? keyOf.get(value.storage) : undefined;
    if (key !== undefined) uses.set(key, (uses.get(key) ?? 0) + 1);
  }
  return {
    size: values.size,
    async *entries() {
      const loaded = new Map<string, TorchStorage>();
      for (const [name, value] of values) {
        if (!('storage' in value)) {
          yield [name, value];
          continue;
        }
        const key = keyOf.get(value.storage) as string;
        let storage = loaded.get(key);
        if (storage === undefined) {
          const { dtype } = value.storage;
          storage = torchStorage(dtype, inHostOrder((await record(`data/${key}`)) as Uint8Array, dtype, byteOrder));
          loaded.set(key, storage);
        }
        const left = (uses.get(key) ?? 1) - 1;
        uses.set(key, left);
        if (left === 0) loaded.delete(key);
        yield [name, materialise({ ...value, storage })];
      }
    },
  };
}

function checkIsTorchZip(head: Uint8Array): void {
  if (isZip(head)) return;
  if (isLegacyTorchFile(head)) throw new LegacyTorchFormatError();
  throw new CheckpointFormatError('This is not a PyTorch checkpoint (a torch.save zip file).');
}

/** The `<archive>` prefix of the records, named by the one `<archive>/data.pkl`. */
function archiveOf(entries: ReadonlyMap<string, ZipEntry>): string {
  const pickle = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickle === undefined) {
    throw new CheckpointFormatError('This zip file is not a PyTorch checkpoint: it has no <archive>/data.pkl.');
  }
  return pickle.slice(0, -'/data.pkl'.length);
}

function byteOrderOf(record: Uint8Array | null): 'little' | 'big' {
  const byteOrder = decodeText(record) ?? 'little';
  if (byteOrder !== 'little' && byteOrder !== 'big') throw new CheckpointFormatError(`unknown byteorder "${byteOrder}"`);
  return byteOrder;
}

/** ('storage', storage_type, key, location, numel) */
function storageReference(pid: PyValue): { type: StorageType; key: string } {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !isStorageType(pid[1]) || typeof pid[2] !== 'string') {
    throw new CheckpointFormatError('unexpected persistent reference in data.pkl');
  }
  return { type: pid[1], key: pid[2] };
}

function inHostOrder(data: Uint8Array, dtype: StorageDType, byteOrder: 'little' | 'big'): Uint8Array {
  return byteOrder === 'big' ? swapBytes(data, dtype === 'bfloat16' ? 2 : BYTES_PER_ELEMENT[dtype]) : data;
}

function missingStorage(key: string): CheckpointFormatError {
  return new CheckpointFormatError(`storage record data/${key} is missing: the file is damaged`);
}

function tensorOf(value: PyValue): RawTensor | null {
  if (isTorchTensor(value)) return materialise(value);
  if (isNumpyArray(value)) return value.tensor;
  return null;
}

function decodeText(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : new TextDecoder().decode(bytes).trim();
}
