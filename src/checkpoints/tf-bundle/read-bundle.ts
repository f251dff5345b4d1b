import { CheckpointFormatError } from '../errors';
import { BYTES_PER_ELEMENT, elementCount, typedArrayFromBytes, type RawDType, type RawTensor } from '../raw-tensor';
import {
  DT_FLOAT,
  DT_INT64,
  DT_STRING,
  TF_DTYPES,
  decodeBundleEntry,
  decodeBundleHeader,
  type BundleEntry,
  type BundleHeader,
} from './bundle-proto';
import { crc32c, unmaskCrc } from './crc32c';
import { NotATfIndexError, TfChecksumError, TruncatedTfBundleError, UnsupportedTfBundleError } from './errors';
import { readSsTable, type TableEntry } from './sstable';

/**
 * Reads a TensorFlow V2 checkpoint ("tensor bundle", tensorflow/core/util/tensor_bundle):
 * the `.index` SSTable maps each variable name to a BundleEntryProto (dtype, shape,
 * shard, offset, size, masked CRC-32C); the `.data-0000k-of-0000n` shards hold the
 * raw little-endian bytes. The entry under the empty key is the BundleHeaderProto.
 */

/** The data shards in shard-id order, or a function handing out shard `id` on demand. */
export type DataShards = readonly Uint8Array[] | ((shardId: number) => Uint8Array);

export interface ReadTfBundleOptions {
  /** Only tensors whose checkpoint key passes are read (and checksummed); e.g. skip optimizer slots. */
  readonly include?: (key: string) => boolean;
}

/** Tensor bundle format version this reader implements (kTensorBundleVersion). */
const BUNDLE_VERSION = 1;

const READABLE_DTYPES: Readonly<Record<number, RawDType>> = { [DT_FLOAT]: 'float32', [DT_INT64]: 'int64' };

/**
 * Every float32 and int64 tensor of the checkpoint, keyed by its checkpoint key,
 * each checked against its entry's size and checksum. String tensors (the object
 * graph) are skipped; any other dtype or a partitioned variable is an error.
 * Tensor data are views into the shard bytes where alignment allows.
 */
export function readTfBundle(
  index: Uint8Array,
  shards: DataShards,
  options: ReadTfBundleOptions = {},
): Map<string, RawTensor> {
  const [headerEntry, ...entries] = readIndexTable(index);
  if (headerEntry === undefined || headerEntry.key.byteLength !== 0) {
    throw new NotATfIndexError('the table has no tensor-bundle header entry');
  }
  const header = decodeBundleHeader(headerEntry.value);
  checkHeader(header);
  const shard = shardGetter(shards, header.numShards);

  const tensors = new Map<string, RawTensor>();
  const decoder = new TextDecoder();
  for (const { key: keyBytes, value } of entries) {
    const key = decoder.decode(keyBytes);
    if (options.include !== undefined && !options.include(key)) continue;
    const entry = decodeBundleEntry(value, key);
    if (entry.dtype === DT_STRING) continue;
    tensors.set(key, readTensor(key, entry, shard));
  }
  return tensors;
}

/**
 * The index table. A file that has lost its end (and so its footer) is told apart
 * from an unrelated file by its first bytes: every bundle index starts with the
 * header entry (shared 0, key length 0, a short value starting with field 1's tag).
 */
function readIndexTable(index: Uint8Array): TableEntry[] {
  try {
    return readSsTable(index);
  } catch (e) {
    if (e instanceof NotATfIndexError && startsLikeBundleIndex(index)) {
      throw new TruncatedTfBundleError(`the index file (${index.byteLength} bytes) ends before its footer`);
    }
    throw e;
  }
}

function startsLikeBundleIndex(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] < 0x80 && bytes[3] === 0x08;
}

function checkHeader(header: BundleHeader): void {
  if (header.endianness === 'big') throw new UnsupportedTfBundleError('big-endian tensor data');
  if (header.minConsumer > BUNDLE_VERSION || header.badConsumers.includes(BUNDLE_VERSION)) {
    throw new UnsupportedTfBundleError(`a newer tensor-bundle format (readers need version >= ${header.minConsumer})`);
  }
  if (header.numShards < 1) throw new CheckpointFormatError(`The TensorFlow checkpoint index declares ${header.numShards} data shards.`);
}

function shardGetter(shards: DataShards, numShards: number): (id: number) => Uint8Array {
  if (typeof shards !== 'function' && shards.length < numShards) {
    throw new CheckpointFormatError(
      `The TensorFlow checkpoint has ${numShards} data shards ("*.data-00000-of-${String(numShards).padStart(5, '0')}" ...) ` +
        `but ${shards.length} were given; pass all of them.`,
    );
  }
  const cache = new Map<number, Uint8Array>();
  return (id) => {
    if (id < 0 || id >= numShards) throw new CheckpointFormatError(`The TensorFlow checkpoint index refers to data shard ${id} of ${numShards}.`);
    let bytes = cache.get(id);
    if (bytes === undefined) {
      bytes = typeof shards === 'function' ? shards(id) : shards[id];
      cache.set(id, bytes);
    }
    return bytes;
  };
}

function readTensor(key: string, entry: BundleEntry, shard: (id: number) => Uint8Array): RawTensor {
  const dtype = READABLE_DTYPES[entry.dtype];
  if (dtype === undefined) {
    throw new UnsupportedTfBundleError(`dtype ${TF_DTYPES[entry.dtype] ?? `#${entry.dtype}`} for "${key}"`);
  }
  if (entry.sliceCount > 0) throw new UnsupportedTfBundleError(`a partitioned (sliced) variable "${key}"`);
  if (entry.shape.some((d) => d < 0)) {
    throw new CheckpointFormatError(`The TensorFlow checkpoint gives "${key}" an invalid shape [${entry.shape.join(', ')}].`);
  }
  const expectedSize = elementCount(entry.shape) * BYTES_PER_ELEMENT[dtype];
  if (entry.size !== expectedSize) {
    throw new CheckpointFormatError(
      `The TensorFlow checkpoint index is corrupted: "${key}" is ${dtype} [${entry.shape.join(', ')}] ` +
        `(${expectedSize} bytes) but its entry says ${entry.size} bytes.`,
    );
  }
  const data = shard(entry.shardId);
  const end = entry.offset + entry.size;
  if (end > data.byteLength) {
    throw new TruncatedTfBundleError(
      `data shard ${entry.shardId} has ${data.byteLength} bytes, but "${key}" is stored at bytes ${entry.offset}..${end}`,
    );
  }
  const bytes = data.subarray(entry.offset, end);
  if (crc32c(bytes) !== unmaskCrc(entry.maskedCrc32c)) {
    throw new TfChecksumError(`tensor "${key}" (data shard ${entry.shardId}, bytes ${entry.offset}..${end})`, key);
  }
  return { dtype, shape: entry.shape, data: typedArrayFromBytes(dtype, bytes) };
}
