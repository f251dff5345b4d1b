import protobuf from 'protobufjs/minimal';
import { CheckpointFormatError } from '../errors';
import { crc32c, unmaskCrc } from './crc32c';
import { decodeSnappyBody } from './snappy';
import { CorruptTfBlockError, NotATfIndexError, TfChecksumError, TruncatedTfBundleError, UnsupportedTfBundleError } from './errors';

/**
 * Reader for the LevelDB-style sorted table ("SSTable") TensorFlow writes as a
 * checkpoint's `.index` file (tensorflow/core/lib/io/{format,block,table_builder}.cc):
 *
 *   data block 0 | ... | data block n | metaindex block | index block | footer (48 bytes)
 *
 * The footer holds two BlockHandles (varint64 offset + varint64 size, zero-padded to
 * 40 bytes) and the magic number. Every block is followed by a 5-byte trailer: a
 * compression byte and the masked CRC-32C of the stored block + compression byte. The
 * index block maps a separator key to the BlockHandle of each data block, in key order.
 * A block is stored as it is (type 0) or Snappy-compressed (type 1, raw Snappy: varint
 * uncompressed length, then literals and copies); TensorFlow's table builder keeps the
 * compressed form only where it saves at least 1/8, so one file mixes both.
 */

export interface TableEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** The table magic number 0xdb4775248b80fb57, as its two little-endian words. */
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const FOOTER_LENGTH = 48;
const BLOCK_TRAILER_LENGTH = 5;
const NO_COMPRESSION = 0;
const SNAPPY_COMPRESSION = 1;
/**
 * Snappy's largest expansion: a 3-byte copy element (tag + 2-byte offset) yields at most
 * 64 bytes, and no element yields more per byte. A larger declared length is corruption.
 */
const SNAPPY_MAX_EXPANSION = 64 / 3;

interface BlockHandle {
  readonly offset: number;
  readonly size: number;
}

/** Every key/value pair of the table, in key order. */
export function readSsTable(file: Uint8Array): TableEntry[] {
  return readSsTableBlocks(file).flat();
}

/** The table's entries grouped by the data block holding them, in key order. */
export function readSsTableBlocks(file: Uint8Array): TableEntry[][] {
  const { indexHandle, metaindexHandle } = readFooter(file);
  // The metaindex block is empty in TensorFlow tables; it is still checksummed.
  readBlock(file, metaindexHandle, 'metaindex block');
  const index = parseBlock(readBlock(file, indexHandle, 'index block'), 'index block');
  const blocks = index.map(({ value }, i) => {
    const where = `data block ${i}`;
    const handle = decodeBlockHandle(value, `${where}'s handle in the index block`);
    return parseBlock(readBlock(file, handle, where), where);
  });
  const entries = blocks.flat();
  for (let i = 1; i < entries.length; i++) {
    if (compareBytes(entries[i - 1].key, entries[i].key) >= 0) {
      throw new CheckpointFormatError(`The TensorFlow checkpoint index is corrupted: its keys are out of order at entry ${i}.`);
    }
  }
  return blocks;
}

function readFooter(file: Uint8Array): { metaindexHandle: BlockHandle; indexHandle: BlockHandle } {
  if (file.byteLength < FOOTER_LENGTH) {
    throw new NotATfIndexError(`${file.byteLength} bytes is shorter than the 48-byte table footer`);
  }
  const footer = file.subarray(file.byteLength - FOOTER_LENGTH);
  const view = new DataView(footer.buffer, footer.byteOffset, FOOTER_LENGTH);
  if (view.getUint32(40, true) !== MAGIC_LO || view.getUint32(44, true) !== MAGIC_HI) {
    throw new NotATfIndexError('it does not end with the SSTable magic number');
  }
  const reader = protobuf.Reader.create(footer.subarray(0, 40));
  return guarded('the table footer', () => ({
    metaindexHandle: readHandle(reader),
    indexHandle: readHandle(reader),
  }));
}

function decodeBlockHandle(bytes: Uint8Array, where: string): BlockHandle {
  return guarded(where, () => readHandle(protobuf.Reader.create(bytes)));
}

function readHandle(reader: protobuf.Reader): BlockHandle {
  return { offset: safeNumber(reader.uint64()), size: safeNumber(reader.uint64()) };
}

/** Block contents after checking the trailer's CRC (over the stored bytes) and decompressing. */
function readBlock(file: Uint8Array, handle: BlockHandle, where: string): Uint8Array {
  const end = handle.offset + handle.size + BLOCK_TRAILER_LENGTH;
  if (end > file.byteLength - FOOTER_LENGTH) {
    throw new TruncatedTfBundleError(`the index's ${where} (bytes ${handle.offset}..${end}) lies outside the file`);
  }
  const withType = file.subarray(handle.offset, handle.offset + handle.size + 1);
  const trailer = new DataView(file.buffer, file.byteOffset + handle.offset + handle.size, BLOCK_TRAILER_LENGTH);
  const stored = unmaskCrc(trailer.getUint32(1, true));
  if (crc32c(withType) !== stored) {
    throw new TfChecksumError(`the index's ${where} at byte ${handle.offset}`);
  }
  const contents = withType.subarray(0, handle.size);
  const compression = trailer.getUint8(0);
  if (compression === NO_COMPRESSION) return contents;
  if (compression === SNAPPY_COMPRESSION) return uncompressSnappy(contents, `the index's ${where} at byte ${handle.offset}`);
  throw new UnsupportedTfBundleError(`an unknown compression (type ${compression}) of the index's ${where}`);
}

/**
 * A raw Snappy block. The declared length is checked against what the stored bytes
 * can expand to before the output is allocated; the decoder then requires every copy
 * to stay inside the output and the output to come out at exactly that length.
 */
function uncompressSnappy(block: Uint8Array, where: string): Uint8Array {
  const declared = guarded(where, () => {
    const reader = protobuf.Reader.create(block);
    return { length: reader.uint32(), headerBytes: reader.pos };
  });
  // protobuf's uint32 keeps the low 32 bits of a longer varint: Snappy's preamble is at most 5 bytes.
  if (declared.headerBytes > 5) throw new CorruptTfBlockError(where, 'its uncompressed length does not fit 32 bits');
  const limit = Math.floor((block.byteLength - declared.headerBytes) * SNAPPY_MAX_EXPANSION);
  if (declared.length > limit) {
    throw new CorruptTfBlockError(
      where,
      `it declares ${declared.length} uncompressed bytes, more than its ${block.byteLength} stored bytes can hold (at most ${limit})`,
    );
  }
  const out = new Uint8Array(declared.length);
  try {
    decodeSnappyBody(block, declared.headerBytes, out);
  } catch (e) {
    throw new CorruptTfBlockError(where, `its Snappy data do not decode to the declared ${declared.length} bytes (${(e as Error).message})`);
  }
  return out;
}

/**
 * Entries of one block. Each entry stores how many leading key bytes it shares with
 * the previous key, then the rest of the key and the value; at every restart point
 * (listed as fixed32 offsets at the block's end) the shared length is 0.
 */
function parseBlock(block: Uint8Array, where: string): TableEntry[] {
  const corrupt = (what: string) => new CheckpointFormatError(`The TensorFlow checkpoint index is corrupted: ${where} ${what}.`);
  if (block.byteLength < 4) throw corrupt('is too short to hold its restart count');
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const restartCount = view.getUint32(block.byteLength - 4, true);
  const entriesEnd = block.byteLength - 4 - 4 * restartCount;
  if (restartCount < 1 || entriesEnd < 0) throw corrupt(`declares ${restartCount} restart points`);
  const restarts = new Set<number>();
  for (let i = 0; i < restartCount; i++) restarts.add(view.getUint32(entriesEnd + 4 * i, true));

  const entries: TableEntry[] = [];
  const reader = protobuf.Reader.create(block.subarray(0, entriesEnd));
  let previous = new Uint8Array(0);
  guarded(where, () => {
    while (reader.pos < entriesEnd) {
      const start = reader.pos;
      const shared = reader.uint32();
      const unshared = reader.uint32();
      const valueLength = reader.uint32();
      if (shared > previous.byteLength) throw corrupt(`shares ${shared} key bytes with a ${previous.byteLength}-byte key`);
      if (restarts.has(start) && shared !== 0) throw corrupt(`has a prefix-compressed key at restart point ${start}`);
      const keyEnd = reader.pos + unshared;
      const valueEnd = keyEnd + valueLength;
      if (valueEnd > entriesEnd) throw corrupt(`has an entry running past its end`);
      const key = new Uint8Array(shared + unshared);
      key.set(previous.subarray(0, shared));
      key.set(block.subarray(reader.pos, keyEnd), shared);
      entries.push({ key, value: block.subarray(keyEnd, valueEnd) });
      previous = key;
      reader.pos = valueEnd;
    }
  });
  if (entries.length > 0 && !restarts.has(0)) throw corrupt('does not restart at its first entry');
  return entries;
}

/**
 * Runs a decoding step, turning the varint reader's errors into a clear message: its
 * RangeError (the bytes end inside a number) and its plain Error for a varint that never
 * ends within 10 bytes (found by the 100000-case fuzz run).
 */
function guarded<T>(where: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new CheckpointFormatError(`The TensorFlow checkpoint index is corrupted: ${where} ends inside a number.`);
    }
    if (e instanceof Error && e.message === 'invalid varint encoding') {
      throw new CheckpointFormatError(`The TensorFlow checkpoint index is corrupted: ${where} holds a number longer than any varint.`);
    }
    throw e;
  }
}

/** A varint64 as a JS number; offsets and sizes beyond 2^53 cannot be real files. */
export function safeNumber(value: protobuf.Long | number): number {
  const n =
    typeof value === 'number' ? value : (value.unsigned ? value.high >>> 0 : value.high) * 2 ** 32 + (value.low >>> 0);
  if (!Number.isSafeInteger(n)) {
    throw new CheckpointFormatError(`The TensorFlow checkpoint holds an impossible size or offset (${n}).`);
  }
  return n;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.byteLength - b.byteLength;
}
