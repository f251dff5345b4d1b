import fc from 'fast-check';
import { snappyUncompress } from 'hyparquet';
import protobuf from 'protobufjs/minimal';
import { describe, it } from 'vitest';
import { applyMutation, checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile, type Seed } from '../../test-utils/fuzz';
import { seedFile } from '../../test-utils/fuzz-seeds';
import { CheckpointFormatError } from '../errors';
import { crc32c, maskCrc } from './crc32c';
import { readTfBundle } from './read-bundle';
import { readSsTable } from './sstable';

const isTyped = (e: unknown) => e instanceof CheckpointFormatError;

// [index, data shard] stems; the Snappy indexes (blocks compressed by libsnappy) share the plain ones' data shards.
const BUNDLES = (
  [
    ['small', 'small'],
    ['r50tf-coco-4stage/ckpt-1', 'r50tf-coco-4stage/ckpt-1'],
    ['convnext-cityscapes-5stage/ckpt-1', 'convnext-cityscapes-5stage/ckpt-1'],
    ['small-snappy', 'small'],
    ['r50tf-coco-4stage/snappy/ckpt-1', 'r50tf-coco-4stage/ckpt-1'],
  ] as const
).map(([stem, dataStem]) => {
  const index = seedFile(`src/checkpoints/tf-bundle/testdata/${stem}.index`);
  const data = seedFile(`src/checkpoints/tf-bundle/testdata/${dataStem}.data-00000-of-00001`);
  return { stem, index: { ...index, fields: blockFields(index.bytes) }, data };
});

/** A plain SSTable written by libleveldb with Snappy blocks: the table layer alone. */
const LEVELDB = seedFile('src/checkpoints/tf-bundle/testdata/leveldb-snappy.ldb', (bytes) => blockFields(bytes));

/**
 * [start, end) of every block (without its trailer) of an SSTable, read from the
 * footer and the index block: a test-side walk, so that in-place mutations can be
 * given fresh CRCs and reach the entry parser behind the checksums.
 */
function blockRanges(file: Uint8Array): [number, number][] {
  const footer = protobuf.Reader.create(file.subarray(file.byteLength - 48, file.byteLength - 8));
  const handle = (r: protobuf.Reader): [number, number] => {
    const offset = Number(r.uint64());
    return [offset, offset + Number(r.uint64())];
  };
  const meta = handle(footer);
  const index = handle(footer);
  const stored = file.subarray(index[0], index[1]);
  // A Snappy index block (compression type 1 after it) is walked decompressed.
  const block = file[index[1]] === 1 ? unsnappy(stored) : stored;
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const entriesEnd = block.byteLength - 4 - 4 * view.getUint32(block.byteLength - 4, true);
  const reader = protobuf.Reader.create(block.subarray(0, entriesEnd));
  const data: [number, number][] = [];
  while (reader.pos < entriesEnd) {
    reader.uint32();
    const unshared = reader.uint32();
    const valueLength = reader.uint32();
    reader.pos += unshared;
    data.push(handle(protobuf.Reader.create(block.subarray(reader.pos, reader.pos + valueLength))));
    reader.pos += valueLength;
  }
  return [...data, meta, index];
}

function unsnappy(stored: Uint8Array): Uint8Array {
  const out = new Uint8Array(protobuf.Reader.create(stored).uint32());
  snappyUncompress(stored, out);
  return out;
}

/** Offsets of the varints in every block handle and of every block's restart count: where a huge value matters. */
function blockFields(file: Uint8Array): number[] {
  return [...blockRanges(file).map(([, end]) => end - 4), file.byteLength - 48];
}

/** Recomputes every block's trailer CRC over the (in-place mutated) bytes. */
function withFreshCrcs(file: Uint8Array, ranges: readonly [number, number][]): Uint8Array {
  const out = file.slice();
  const view = new DataView(out.buffer);
  for (const [start, end] of ranges) view.setUint32(end + 1, maskCrc(crc32c(out.subarray(start, end + 1))), true);
  return out;
}

const INDEX_SEEDS: Seed[] = BUNDLES.map((b) => b.index);
// The Snappy indexes share data shards with the plain ones: each shard once.
const DATA_SEEDS: Seed[] = BUNDLES.map((b) => b.data).filter((d, i, all) => all.findIndex((o) => o.name === d.name) === i);
const dataOf = (seed: string) => (BUNDLES.find((b) => b.index.name === seed) as (typeof BUNDLES)[number]).data.bytes;
const indexOf = (seed: string) => (BUNDLES.find((b) => b.data.name === seed) as (typeof BUNDLES)[number]).index.bytes;

/** In-place mutations (same length) keep the block layout, so fresh CRCs make them reach the parsers. */
const inPlace = fc
  .tuple(
    fc.integer({ min: 0, max: BUNDLES.length - 1 }),
    fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
        fc.record({
          kind: fc.constant('huge' as const),
          at: fc.nat(),
          width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
          value: fc.constantFrom('max' as const, 'signed' as const, 'high' as const, 'mid' as const),
        }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([which, mutations]) => {
    const bundle = BUNDLES[which];
    const ranges = blockRanges(bundle.index.bytes);
    // Aim inside the blocks (not the trailers or footer), where the parsers run.
    const inside = mutations.map((m) => {
      const [start, end] = ranges[m.at % ranges.length];
      return { ...m, at: start + (Math.floor(m.at / ranges.length) % Math.max(1, end - start)) };
    });
    const mutated = inside.reduce((bytes, m) => applyMutation(bytes, m), bundle.index.bytes);
    return { bundle, mutations: inside, index: withFreshCrcs(mutated, ranges), [fc.toStringMethod]: () => `${bundle.stem}.index with ${JSON.stringify(inside)} (CRCs recomputed)` };
  });

const inPlaceLevelDb = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((mutations) => {
    const ranges = blockRanges(LEVELDB.bytes);
    const inside = mutations.map((m) => {
      const [start, end] = ranges[m.at % ranges.length];
      return { ...m, at: start + (Math.floor(m.at / ranges.length) % Math.max(1, end - start)) };
    });
    const mutated = inside.reduce((bytes, m) => applyMutation(bytes, m), LEVELDB.bytes);
    return { mutations: inside, bytes: withFreshCrcs(mutated, ranges), [fc.toStringMethod]: () => `${LEVELDB.name} with ${JSON.stringify(inside)} (CRCs recomputed)` };
  });

describe('fuzz: TensorFlow SSTable index + tensor bundle', () => {
  it(
    'mutated LevelDB tables (Snappy blocks), raw and behind valid CRCs, end in entries or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(fc.oneof(mutatedFile([LEVELDB]), inPlaceLevelDb), async (c) => {
          tally.add(await checkOutcome({ byteLength: c.bytes.byteLength }, () => readSsTable(c.bytes), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('leveldb sstable'));
    },
    fuzzTimeout(),
  );

  it(
    'mutated .index files end in tensors or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(INDEX_SEEDS), async (c) => {
          const data = dataOf(c.seed);
          tally.add(await checkOutcome({ byteLength: c.bytes.byteLength + data.byteLength }, () => readTfBundle(c.bytes, [data]), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('tf index'));
    },
    fuzzTimeout(),
  );

  it(
    'mutated index blocks behind valid CRCs end in tensors or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(inPlace, async (c) => {
          const data = c.bundle.data.bytes;
          tally.add(await checkOutcome({ byteLength: c.index.byteLength + data.byteLength }, () => readTfBundle(c.index, [data]), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('tf index blocks'));
    },
    fuzzTimeout(),
  );

  it(
    'mutated data shards end in tensors or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(DATA_SEEDS), async (c) => {
          const index = indexOf(c.seed);
          tally.add(await checkOutcome({ byteLength: c.bytes.byteLength + index.byteLength }, () => readTfBundle(index, [c.bytes]), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('tf data'));
    },
    fuzzTimeout(),
  );
});
