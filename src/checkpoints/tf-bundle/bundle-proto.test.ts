import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../errors';
import { decodeBundleEntry, decodeBundleHeader } from './bundle-proto';

// Messages encoded by hand from tensor_bundle.proto / tensor_shape.proto, byte by byte,
// independently of training/tf_bundle_writer.py.
const bytes = (...b: number[]) => Uint8Array.from(b);

describe('bundle protos', () => {
  it('decodes a BundleEntryProto with a 64-bit offset, named dims and an unknown field', () => {
    const entry = decodeBundleEntry(
      bytes(
        0x08, 0x01, // dtype = DT_FLOAT
        0x12, 0x0c, // shape, 12 bytes:
        0x12, 0x02, 0x08, 0x03, //   dim { size: 3 }
        0x12, 0x06, 0x08, 0x80, 0x02, 0x12, 0x01, 0x63, //   dim { size: 256, name: "c" }
        0x18, 0x02, // shard_id = 2
        0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, // offset = 2^40
        0x28, 0x90, 0x03, // size = 400
        0x35, 0x78, 0x56, 0x34, 0x12, // crc32c (fixed32) = 0x12345678
        0x48, 0x05, // field 9 (unknown): skipped
      ),
      'w',
    );
    expect(entry).toEqual({ dtype: 1, shape: [3, 256], shardId: 2, offset: 2 ** 40, size: 400, maskedCrc32c: 0x12345678, sliceCount: 0 });
  });

  it('decodes the header: shard count, endianness, version with packed bad_consumers', () => {
    const header = decodeBundleHeader(
      bytes(0x08, 0x03, 0x10, 0x01, 0x1a, 0x08, 0x08, 0x01, 0x10, 0x02, 0x1a, 0x02, 0x05, 0x07),
    );
    expect(header).toEqual({ numShards: 3, endianness: 'big', producer: 1, minConsumer: 2, badConsumers: [5, 7] });
    expect(decodeBundleHeader(bytes(0x08, 0x01))).toEqual({
      numShards: 1,
      endianness: 'little',
      producer: 0,
      minConsumer: 0,
      badConsumers: [],
    });
  });

  it('counts slices and reports a message cut short', () => {
    expect(decodeBundleEntry(bytes(0x08, 0x01, 0x3a, 0x00, 0x3a, 0x00), 'p').sliceCount).toBe(2);
    expect(() => decodeBundleEntry(bytes(0x08, 0x01, 0x12, 0x09, 0x12), 'cut')).toThrow(CheckpointFormatError);
    expect(() => decodeBundleEntry(bytes(0x08, 0x01, 0x12, 0x09, 0x12), 'cut')).toThrow('"cut"');
  });
});
