import { CheckpointFormatError } from '../errors';
import {
  bfloat16ToFloat32,
  BYTES_PER_ELEMENT,
  elementCount,
  stridedCopy,
  typedArrayFromBytes,
  type RawData,
  type RawDType,
  type RawTensor,
} from '../raw-tensor';
import { isPyObject, type PyGlobal, type PyObject, type PyValue } from './pickle';
import { pyGlobal } from './python-globals';

/**
 * Tensors inside a torch.save pickle: `_rebuild_tensor_v2(storage, offset, size,
 * stride, ...)` makes a strided view of a storage; storages are separate zip
 * records, referenced by persistent id. Views are materialised as C-order data.
 */

/** Element type of a storage record; bfloat16 is widened to float32 when materialised. */
export type StorageDType = RawDType | 'bfloat16';

/** `torch.FloatStorage` etc. as they appear in persistent ids: names of an element type. */
export interface StorageType extends PyGlobal {
  readonly dtype: StorageDType;
}

export interface TorchStorage extends PyObject {
  readonly dtype: StorageDType;
  /** The record's bytes, little-endian (a view into the file where possible). */
  readonly bytes: Uint8Array;
}

export interface TorchTensor extends PyObject {
  readonly storage: TorchStorage;
  /** In elements. */
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

const STORAGE_DTYPES: Readonly<Record<string, StorageDType>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

function storageType(name: string, dtype: StorageDType): StorageType {
  return {
    pyClass: `torch.${name}`,
    dtype,
    call: () => {
      throw new CheckpointFormatError(`torch.${name} is only expected inside a storage reference`);
    },
  };
}

export function isStorageType(value: PyValue): value is StorageType {
  return isPyObject(value) && (value as Partial<StorageType>).dtype !== undefined && value.pyClass.endsWith('Storage');
}

export function isTorchTensor(value: PyValue): value is TorchTensor {
  return isPyObject(value, 'torch.Tensor');
}

function intList(value: PyValue, what: string): number[] {
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'number' && Number.isInteger(d))) {
    throw new CheckpointFormatError(`tensor ${what} is not a tuple of ints`);
  }
  return value as number[];
}

function rebuildTensor(args: readonly PyValue[]): TorchTensor {
  const [storage, offset, size, stride] = args;
  if (!isPyObject(storage, 'torch.storage') || typeof offset !== 'number') {
    throw new CheckpointFormatError('_rebuild_tensor_v2 called without a storage reference');
  }
  return {
    pyClass: 'torch.Tensor',
    storage: storage as TorchStorage,
    offset,
    shape: intList(size, 'size'),
    stride: intList(stride, 'stride'),
  };
}

/**
 * The torch names a checkpoint may use. `_rebuild_tensor_v2` rebuilds a tensor view
 * from plain numbers and a storage reference; `_rebuild_parameter` unwraps an
 * nn.Parameter to its data; storage classes only name an element type.
 */
export const TORCH_GLOBALS: PyGlobal[] = [
  pyGlobal('torch._utils._rebuild_tensor_v2', rebuildTensor),
  pyGlobal('torch._utils._rebuild_parameter', ([data]) => {
    if (!isTorchTensor(data)) throw new CheckpointFormatError('_rebuild_parameter called without a tensor');
    return data;
  }),
  ...Object.entries(STORAGE_DTYPES).map(([name, dtype]) => storageType(name, dtype)),
];

export function torchStorage(dtype: StorageDType, bytes: Uint8Array): TorchStorage {
  return { pyClass: 'torch.storage', dtype, bytes };
}

/** C-order data of a (possibly strided, offset) tensor view; a view into the storage when contiguous. */
export function materialise(tensor: TorchTensor): RawTensor {
  const { storage, offset, shape, stride } = tensor;
  const rawDType: RawDType = storage.dtype === 'bfloat16' ? 'float32' : storage.dtype;
  const size = storage.dtype === 'bfloat16' ? 2 : BYTES_PER_ELEMENT[storage.dtype];
  const count = elementCount(shape);
  const storageLength = storage.bytes.byteLength / size;
  const last = offset + shape.reduce((m, d, i) => m + (d - 1) * stride[i], 0);
  if (count > 0 && (offset < 0 || last >= storageLength)) {
    throw new CheckpointFormatError(
      `tensor view [${shape.join(', ')}] at offset ${offset} reaches past its storage of ${storageLength} elements`,
    );
  }
  const elements = isContiguous(shape, stride)
    ? viewElements(storage, offset, count)
    : stridedCopy(viewElements(storage, 0, storageLength), offset, shape, stride);
  const data = storage.dtype === 'bfloat16' ? bfloat16ToFloat32(elements as Uint16Array) : elements;
  return { dtype: rawDType, shape: [...shape], data };
}

function viewElements(storage: TorchStorage, start: number, count: number): RawData {
  const dtype = storage.dtype === 'bfloat16' ? 'float16' : storage.dtype; // same 2-byte bits container
  const size = BYTES_PER_ELEMENT[dtype];
  return typedArrayFromBytes(dtype, storage.bytes.subarray(start * size, (start + count) * size));
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}
