import protobuf from 'protobufjs/minimal';
import { CheckpointFormatError } from '../errors';
import { safeNumber } from './sstable';

/**
 * The two protocol-buffer messages of a tensor-bundle index
 * (tensorflow/core/protobuf/tensor_bundle.proto), decoded field by field with
 * protobufjs's wire reader. Only the fields a reader needs are kept; unknown
 * fields are skipped as protobuf requires.
 *
 *   BundleHeaderProto { int32 num_shards = 1; Endianness endianness = 2; VersionDef version = 3; }
 *   VersionDef        { int32 producer = 1; int32 min_consumer = 2; repeated int32 bad_consumers = 3; }
 *   BundleEntryProto  { DataType dtype = 1; TensorShapeProto shape = 2; int32 shard_id = 3;
 *                       int64 offset = 4; int64 size = 5; fixed32 crc32c = 6; repeated TensorSliceProto slices = 7; }
 *   TensorShapeProto  { repeated Dim dim = 2; bool unknown_rank = 3; }   Dim { int64 size = 1; string name = 2; }
 */

export interface BundleHeader {
  readonly numShards: number;
  readonly endianness: 'little' | 'big';
  readonly producer: number;
  readonly minConsumer: number;
  readonly badConsumers: readonly number[];
}

export interface BundleEntry {
  /** tensorflow DataType enum value (see TF_DTYPES). */
  readonly dtype: number;
  readonly shape: readonly number[];
  readonly shardId: number;
  readonly offset: number;
  readonly size: number;
  /** Masked CRC-32C of the tensor's bytes in the data shard. */
  readonly maskedCrc32c: number;
  /** Number of TensorSliceProto entries: non-zero for partitioned variables. */
  readonly sliceCount: number;
}

/** tensorflow/core/framework/types.proto values this project names in messages. */
export const TF_DTYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'float64',
  3: 'int32',
  4: 'uint8',
  7: 'string',
  9: 'int64',
  10: 'bool',
  14: 'bfloat16',
  19: 'float16',
};
export const DT_FLOAT = 1;
export const DT_STRING = 7;
export const DT_INT64 = 9;

const WIRE_LENGTH_DELIMITED = 2;

export function decodeBundleHeader(bytes: Uint8Array): BundleHeader {
  let numShards = 0;
  let endianness = 0;
  let producer = 0;
  let minConsumer = 0;
  const badConsumers: number[] = [];
  decodeFields(bytes, 'the bundle header', (reader, field) => {
    if (field === 1) numShards = reader.int32();
    else if (field === 2) endianness = reader.int32();
    else if (field === 3) {
      decodeFields(reader.bytes(), 'the bundle version', (inner, versionField, versionWire) => {
        if (versionField === 1) producer = inner.int32();
        else if (versionField === 2) minConsumer = inner.int32();
        else if (versionField === 3) badConsumers.push(...repeatedInt32(inner, versionWire));
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return { numShards, endianness: endianness === 1 ? 'big' : 'little', producer, minConsumer, badConsumers };
}

export function decodeBundleEntry(bytes: Uint8Array, key: string): BundleEntry {
  let dtype = 0;
  let shape: number[] = [];
  let shardId = 0;
  let offset = 0;
  let size = 0;
  let maskedCrc32c = 0;
  let sliceCount = 0;
  decodeFields(bytes, `the entry of "${key}"`, (reader, field) => {
    if (field === 1) dtype = reader.int32();
    else if (field === 2) shape = decodeShape(reader.bytes(), key);
    else if (field === 3) shardId = reader.int32();
    else if (field === 4) offset = safeNumber(reader.int64());
    else if (field === 5) size = safeNumber(reader.int64());
    else if (field === 6) maskedCrc32c = reader.fixed32();
    else if (field === 7) {
      reader.bytes();
      sliceCount++;
    } else return false;
    return true;
  });
  return { dtype, shape, shardId, offset, size, maskedCrc32c, sliceCount };
}

function decodeShape(bytes: Uint8Array, key: string): number[] {
  const dims: number[] = [];
  decodeFields(bytes, `the shape of "${key}"`, (reader, field) => {
    if (field !== 2) return false;
    let size = 0;
    decodeFields(reader.bytes(), `a dimension of "${key}"`, (dim, dimField) => {
      if (dimField !== 1) return false;
      size = safeNumber(dim.int64());
      return true;
    });
    dims.push(size);
    return true;
  });
  return dims;
}

/** A repeated int32 field arrives either packed (one length-delimited run) or one varint at a time. */
function repeatedInt32(reader: protobuf.Reader, wireType: number): number[] {
  if (wireType !== WIRE_LENGTH_DELIMITED) return [reader.int32()];
  const packed = protobuf.Reader.create(reader.bytes());
  const values: number[] = [];
  while (packed.pos < packed.len) values.push(packed.int32());
  return values;
}

/**
 * Walks a message's fields; `onField` reads the value of the fields it knows and
 * returns false for the others, which are then skipped by wire type.
 */
function decodeFields(
  bytes: Uint8Array,
  what: string,
  onField: (reader: protobuf.Reader, field: number, wireType: number) => boolean,
): void {
  const reader = protobuf.Reader.create(bytes);
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 0) throw new RangeError('field number 0');
      const start = reader.pos;
      if (!onField(reader, field, wireType)) {
        reader.pos = start;
        reader.skipType(wireType);
      }
    }
  } catch (e) {
    if (e instanceof CheckpointFormatError || !(e instanceof Error)) throw e;
    // protobufjs signals truncated or malformed input with plain Errors.
    throw new CheckpointFormatError(`The TensorFlow checkpoint index is corrupted: cannot decode ${what} (${e.message}).`);
  }
}
