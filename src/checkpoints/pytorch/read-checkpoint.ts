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
  type TorchStorage,
} from './torch-tensor';
import { isZip, readZipDirectory, readZipEntry, type ZipEntry } from './zip';

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
  if (!isZip(bytes)) {
    if (isLegacyTorchFile(bytes)) throw new LegacyTorchFormatError();
    throw new CheckpointFormatError('This is not a PyTorch checkpoint (a torch.save zip file).');
  }
  const entries = readZipDirectory(bytes);
  const pickle = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickle === undefined) {
    throw new CheckpointFormatError('This zip file is not a PyTorch checkpoint: it has no <archive>/data.pkl.');
  }
  const archive = pickle.slice(0, -'/data.pkl'.length);
  const record = (name: string): Uint8Array | null => {
    const entry: ZipEntry | undefined = entries.get(`${archive}/${name}`);
    return entry === undefined ? null : readZipEntry(bytes, entry);
  };
  const byteOrder = decodeText(record('byteorder')) ?? 'little';
  if (byteOrder !== 'little' && byteOrder !== 'big') throw new CheckpointFormatError(`unknown byteorder "${byteOrder}"`);

  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    // ('storage', storage_type, key, location, numel)
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !isStorageType(pid[1]) || typeof pid[2] !== 'string') {
      throw new CheckpointFormatError('unexpected persistent reference in data.pkl');
    }
    const [, type, key] = pid;
    const cached = storages.get(key);
    if (cached !== undefined) return cached;
    const data = record(`data/${key}`);
    if (data === null) throw new CheckpointFormatError(`storage record data/${key} is missing: the file is damaged`);
    const size = type.dtype === 'bfloat16' ? 2 : BYTES_PER_ELEMENT[type.dtype];
    const storage = torchStorage(type.dtype, byteOrder === 'big' ? swapBytes(data, size) : data);
    storages.set(key, storage);
    return storage;
  };

  const root = unpickle(record('data.pkl') as Uint8Array, { globals: GLOBALS, persistentLoad });
  return stateDictOf(root, tensorOf);
}

function tensorOf(value: PyValue): RawTensor | null {
  if (isTorchTensor(value)) return materialise(value);
  if (isNumpyArray(value)) return value.tensor;
  return null;
}

function decodeText(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : new TextDecoder().decode(bytes).trim();
}
