import { readFileSync } from 'node:fs';
import { snappyUncompress } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { decodeBundleEntry } from './bundle-proto';
import { crc32c, maskCrc } from './crc32c';
import { CheckpointFormatError } from '../errors';
import { CorruptTfBlockError, NotATfIndexError, TfChecksumError, TruncatedTfBundleError, UnsupportedTfBundleError } from './errors';
import { readTfBundle } from './read-bundle';
import { readSsTable, readSsTableBlocks } from './sstable';

// Written by `training/tf_bundle_writer.py --testdata src/checkpoints/tf-bundle/testdata`
// with 512-byte data blocks and a restart every 3 keys; small.json lists what went in.
const file = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));
const index = file('small.index');
const data = file('small.data-00000-of-00001');
const expected = JSON.parse(new TextDecoder().decode(file('small.json'))) as Record<
  string,
  { shape: number[]; dtype: string; values: number[] }
>;
const SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE';

function entryOf(key: string) {
  const found = readSsTable(index).find((e) => new TextDecoder().decode(e.key) === key);
  if (found === undefined) throw new Error(`no entry ${key}`);
  return decodeBundleEntry(found.value, key);
}

describe('readTfBundle', () => {
  it('reads back every tensor the writer stored, with dtype, shape and values', () => {
    const tensors = readTfBundle(index, [data]);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [key, want] of Object.entries(expected)) {
      const t = tensors.get(key)!;
      expect(t.shape).toEqual(want.shape);
      expect(t.dtype).toBe(want.dtype);
      const values = t.dtype === 'int64' ? Array.from(t.data as BigInt64Array, Number) : Array.from(t.data as Float32Array);
      expect(values).toEqual(want.values.map((v) => Math.fround(v)));
    }
    expect(tensors.get(`save_counter${SUFFIX}`)!.data).toEqual(new BigInt64Array([150000n]));
    expect(tensors.has('_CHECKPOINTABLE_OBJECT_GRAPH')).toBe(false);
  });

  it('parses a table of several blocks with prefix-compressed keys and restart points', () => {
    const blocks = readSsTableBlocks(index);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.every((b) => b.length >= 3)).toBe(true);
    // In the data blocks (which end where the metaindex block starts), only keys at
    // restart points (every 3rd of a block) are stored whole; the others exist only
    // as "shared prefix length + suffix".
    const dataBlocks = new TextDecoder('latin1').decode(index.subarray(0, readVarint(index, index.byteLength - 48).value));
    const decode = (e: { key: Uint8Array }) => new TextDecoder().decode(e.key);
    const keys = blocks.flat().map(decode);
    const whole = keys.filter((k) => k !== '' && dataBlocks.includes(k)).length;
    const restarts = blocks.reduce((n, b) => n + Math.ceil(b.length / 3), 0);
    const unrelated = blocks.flat().filter((e, i, all) => i > 0 && decode(e)[0] !== decode(all[i - 1])[0]).length;
    expect(whole).toBeLessThanOrEqual(restarts + unrelated);
    expect(whole).toBeLessThan(keys.length / 2);
    expect(keys[0]).toBe('');
  });

  it('reads only the tensors `include` accepts, and asks for shards lazily', () => {
    const asked: number[] = [];
    const tensors = readTfBundle(
      index,
      (id) => {
        asked.push(id);
        return data;
      },
      { include: (key) => !key.includes('.OPTIMIZER_SLOT') },
    );
    expect(tensors.size).toBe(Object.keys(expected).length - 1);
    expect([...tensors.keys()].some((k) => k.includes('.OPTIMIZER_SLOT'))).toBe(false);
    expect(asked).toEqual([0]);
  });

  it('names the tensor whose data no longer matches its checksum', () => {
    const key = `transformer_decoder/cluster_centers${SUFFIX}`;
    const entry = entryOf(key);
    const damaged = data.slice();
    damaged[entry.offset + 5] ^= 0x01;
    let error: unknown;
    try {
      readTfBundle(index, [damaged]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TfChecksumError);
    expect((error as TfChecksumError).tensor).toBe(key);
    expect((error as Error).message).toContain('transformer_decoder/cluster_centers');
    // A damaged tensor that is not read does not fail the read.
    expect(readTfBundle(index, [damaged], { include: (k) => k !== key }).size).toBe(Object.keys(expected).length - 1);
  });

  it('reports a data shard that ends before a tensor', () => {
    const last = Object.keys(expected)
      .map((key) => ({ key, entry: entryOf(key) }))
      .sort((a, b) => b.entry.offset - a.entry.offset)[0];
    const cut = data.subarray(0, last.entry.offset + 1);
    expect(() => readTfBundle(index, [cut])).toThrow(TruncatedTfBundleError);
    expect(() => readTfBundle(index, [cut])).toThrow(last.key.split('/')[0]);
  });

  it('tells a truncated index from a file that is not an index', () => {
    for (const length of [index.byteLength - 1, index.byteLength - 30, 200, 20]) {
      expect(() => readTfBundle(index.subarray(0, length), [data])).toThrow(TruncatedTfBundleError);
    }
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(100).fill(7)]);
    expect(() => readTfBundle(png, [data])).toThrow(NotATfIndexError);
    expect(() => readTfBundle(data, [data])).toThrow(NotATfIndexError);
  });

  it('rejects a damaged index block by its block checksum', () => {
    const damaged = index.slice();
    damaged[40] ^= 0x20; // inside data block 0
    expect(() => readTfBundle(damaged, [data])).toThrow(TfChecksumError);
    expect(() => readTfBundle(damaged, [data])).toThrow('data block 0');
  });

  it('rejects an unknown block compression type with a clear message', () => {
    // Mark the (empty, 8-byte) metaindex block as compressed with type 2, with a valid checksum.
    const footer = index.byteLength - 48;
    const metaOffset = readVarint(index, footer);
    const metaSize = readVarint(index, footer + metaOffset.length);
    const patched = index.slice();
    const typeAt = metaOffset.value + metaSize.value;
    patched[typeAt] = 2;
    setBlockCrc(patched, { offset: metaOffset.value, size: metaSize.value });
    expect(() => readTfBundle(patched, [data])).toThrow(UnsupportedTfBundleError);
    expect(() => readTfBundle(patched, [data])).toThrow(/unknown compression \(type 2\) of the index's metaindex block/);
  });
});

// `small-snappy.index`: the same table with each block Snappy-compressed by libsnappy
// (python3-snappy) where that saves 1/8, as TensorFlow's table builder does; its data
// shard is small.data-00000-of-00001 byte for byte (the writer checks).
describe('Snappy-compressed index blocks', () => {
  const snappyIndex = file('small-snappy.index');

  it('give the same tensors as the uncompressed index; the file mixes compressed and stored blocks', () => {
    const blocks = tableBlocks(snappyIndex);
    const types = blocks.map((b) => b.type);
    expect(types.filter((t) => t === 1).length).toBeGreaterThanOrEqual(3);
    expect(types).toContain(0);
    expect(snappyIndex.byteLength).toBeLessThan(index.byteLength * 0.75);
    const plain = readTfBundle(index, [data]);
    const fromSnappy = readTfBundle(snappyIndex, [data]);
    expect([...fromSnappy.keys()]).toEqual([...plain.keys()]);
    for (const [key, t] of plain) expect(fromSnappy.get(key), key).toEqual(t);
    expect(readSsTable(snappyIndex).map((e) => [...e.key])).toEqual(readSsTable(index).map((e) => [...e.key]));
  });

  it('read a table written by LevelDB itself (libleveldb with Snappy), the library TensorFlow\'s table format comes from', () => {
    const ldb = file('leveldb-snappy.ldb');
    const want = JSON.parse(new TextDecoder().decode(file('leveldb-snappy.json'))) as Record<string, string>;
    const types = tableBlocks(ldb).map((b) => b.type);
    expect(types.filter((t) => t === 1).length).toBeGreaterThanOrEqual(2);
    expect(types).toContain(0);
    const entries = readSsTable(ldb);
    // LevelDB appends 8 bytes (sequence number and type) to every key.
    const got = Object.fromEntries(
      entries.map((e) => [new TextDecoder().decode(e.key.subarray(0, -8)), Buffer.from(e.value).toString('hex')]),
    );
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(got).toEqual(want);
  });

  it('a damaged compressed block fails its checksum, naming the block and its offset', () => {
    const block = tableBlocks(snappyIndex).find((b) => b.type === 1 && b.where.startsWith('data block'))!;
    const damaged = snappyIndex.slice();
    damaged[block.offset + 3] ^= 0x04;
    expect(() => readTfBundle(damaged, [data])).toThrow(TfChecksumError);
    expect(() => readTfBundle(damaged, [data])).toThrow(`the index's ${block.where} at byte ${block.offset}`);
  });

  it('a compressed block that does not decode (checksum recomputed) is a CorruptTfBlockError naming the block, never data', () => {
    const blocks = tableBlocks(snappyIndex).filter((b) => b.type === 1 && b.where.startsWith('data block'));
    const errors: unknown[] = [];
    for (const block of blocks) {
      // A copy element pointing before the start of the output, as the first element.
      const bad = snappyIndex.slice();
      const headerBytes = readVarint(bad, block.offset).length;
      bad[block.offset + headerBytes] = 0x01 | (3 << 2); // copy, 1-byte offset, length 7
      bad[block.offset + headerBytes + 1] = 0x09; // offset 9 into an empty output
      setBlockCrc(bad, block);
      errors.push(catchError(() => readTfBundle(bad, [data])));
    }
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const [i, error] of errors.entries()) {
      expect(error).toBeInstanceOf(CorruptTfBlockError);
      expect((error as CorruptTfBlockError).block).toBe(`the index's ${blocks[i].where} at byte ${blocks[i].offset}`);
      expect((error as Error).message).toMatch(/is Snappy-compressed, but its Snappy data do not decode to the declared \d+ bytes/);
    }
  });

  it('a declared length the stored bytes cannot hold is refused before anything is allocated', () => {
    const block = tableBlocks(snappyIndex).find((b) => b.type === 1 && b.where.startsWith('data block'))!;
    const headerBytes = readVarint(snappyIndex, block.offset).length;
    // 0xffffffff in the same number of bytes is impossible; any 5-byte varint here shifts the block, so
    // rewrite the preamble in place as the largest length of that width.
    const bad = snappyIndex.slice();
    for (let i = 0; i < headerBytes - 1; i++) bad[block.offset + i] = 0xff;
    bad[block.offset + headerBytes - 1] = 0x7f;
    setBlockCrc(bad, block);
    const declared = 2 ** (7 * headerBytes) - 1;
    expect(declared).toBeGreaterThan(block.size * 22);
    const error = catchError(() => readTfBundle(bad, [data]));
    expect(error).toBeInstanceOf(CorruptTfBlockError);
    expect((error as Error).message).toContain(`at byte ${block.offset} is Snappy-compressed, but it declares ${declared} uncompressed bytes`);
  });

  it('a length preamble that never ends within 10 bytes is a CheckpointFormatError naming the block', () => {
    const block = tableBlocks(snappyIndex).find((b) => b.type === 1 && b.where.startsWith('data block'))!;
    const bad = snappyIndex.slice();
    bad.fill(0xff, block.offset, block.offset + 10);
    setBlockCrc(bad, block);
    const error = catchError(() => readTfBundle(bad, [data]));
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toBe(`The TensorFlow checkpoint index is corrupted: the index's ${block.where} at byte ${block.offset} holds a number longer than any varint.`);
  });

  it('a block whose data decode to fewer bytes than declared is refused', () => {
    const block = tableBlocks(snappyIndex).find((b) => b.type === 1 && b.where.startsWith('data block'))!;
    const bad = snappyIndex.slice();
    const declared = readVarint(bad, block.offset);
    expect(declared.length).toBe(2); // small blocks: a 2-byte preamble, bumped by one below
    bad[block.offset] += 1;
    setBlockCrc(bad, block);
    expect(() => readTfBundle(bad, [data])).toThrow(`declared ${declared.value + 1} bytes`);
  });
});

/** Every block of a table: which, where, stored size and compression type (a test-side walk of the format). */
function tableBlocks(table: Uint8Array): { where: string; offset: number; size: number; type: number }[] {
  const footer = table.byteLength - 48;
  let at = footer;
  const next = () => {
    const v = readVarint(table, at);
    at += v.length;
    return v.value;
  };
  const meta = { where: 'metaindex block', offset: next(), size: next() };
  const indexBlock = { where: 'index block', offset: next(), size: next() };
  const typed = (b: { where: string; offset: number; size: number }) => ({ ...b, type: table[b.offset + b.size] });
  let contents = table.subarray(indexBlock.offset, indexBlock.offset + indexBlock.size);
  if (typed(indexBlock).type === 1) {
    const out = new Uint8Array(readVarint(contents, 0).value);
    snappyUncompress(contents, out);
    contents = out;
  }
  const handles = readSsTableIndexValues(contents);
  return [...handles.map((h, i) => typed({ where: `data block ${i}`, ...h })), typed(meta), typed(indexBlock)];
}

/** The block handles an index block's entries hold (no shared key bytes matter: values only). */
function readSsTableIndexValues(block: Uint8Array): { offset: number; size: number }[] {
  const restarts = new DataView(block.buffer, block.byteOffset).getUint32(block.byteLength - 4, true);
  const end = block.byteLength - 4 - 4 * restarts;
  const handles: { offset: number; size: number }[] = [];
  for (let at = 0; at < end; ) {
    const fields: number[] = [];
    for (let i = 0; i < 3; i++) {
      const v = readVarint(block, at);
      fields.push(v.value);
      at += v.length;
    }
    at += fields[1];
    const offset = readVarint(block, at);
    const size = readVarint(block, at + offset.length);
    handles.push({ offset: offset.value, size: size.value });
    at += fields[2];
  }
  return handles;
}

function setBlockCrc(table: Uint8Array, block: { offset: number; size: number }): void {
  const crc = maskCrc(crc32c(table.subarray(block.offset, block.offset + block.size + 1)));
  new DataView(table.buffer, table.byteOffset).setUint32(block.offset + block.size + 1, crc, true);
}

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

function readVarint(bytes: Uint8Array, at: number): { value: number; length: number } {
  let value = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at + length++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return { value, length };
  }
}
