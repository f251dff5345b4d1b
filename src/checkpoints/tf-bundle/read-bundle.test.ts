import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBundleEntry } from './bundle-proto';
import { crc32c, maskCrc } from './crc32c';
import { NotATfIndexError, TfChecksumError, TruncatedTfBundleError, UnsupportedTfBundleError } from './errors';
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

  it('refuses compressed blocks with a clear message', () => {
    // Mark the (empty, 8-byte) metaindex block as Snappy-compressed, with a valid checksum.
    const footer = index.byteLength - 48;
    const metaOffset = readVarint(index, footer);
    const metaSize = readVarint(index, footer + metaOffset.length);
    const patched = index.slice();
    const typeAt = metaOffset.value + metaSize.value;
    patched[typeAt] = 1;
    const crc = maskCrc(crc32c(patched.subarray(metaOffset.value, typeAt + 1)));
    new DataView(patched.buffer).setUint32(typeAt + 1, crc, true);
    expect(() => readTfBundle(patched, [data])).toThrow(UnsupportedTfBundleError);
    expect(() => readTfBundle(patched, [data])).toThrow('Snappy');
  });
});

function readVarint(bytes: Uint8Array, at: number): { value: number; length: number } {
  let value = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at + length++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return { value, length };
  }
}
