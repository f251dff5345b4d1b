import fc from 'fast-check';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile, type Seed } from '../../test-utils/fuzz';
import { pickleFields, seedFile, zipFields } from '../../test-utils/fuzz-seeds';
import { CheckpointFormatError } from '../errors';
import { openPytorchCheckpoint, readPytorchCheckpoint } from './read-checkpoint';
import { randomAccessBlob } from './zip';

const isTyped = (e: unknown) => e instanceof CheckpointFormatError;

const ZIP_SEEDS: Seed[] = [
  seedFile('src/checkpoints/testdata/views.pt', zipFields),
  seedFile('src/checkpoints/testdata/bare_module.pt', zipFields),
  seedFile('src/checkpoints/testdata/deflated.pt', zipFields),
  seedFile('src/checkpoints/testdata/big_endian.pt', zipFields),
  seedFile('training/fixtures/r50-coco-4stage/checkpoint.pth', zipFields),
];

/** A checkpoint's records, so the pickle can be mutated behind a valid zip (whose CRC-32 would catch raw flips). */
interface Unzipped {
  readonly name: string;
  readonly records: Record<string, Uint8Array>;
  readonly pickleName: string;
}

const UNZIPPED: Unzipped[] = ZIP_SEEDS.map(({ name, bytes }) => {
  const records = unzipSync(bytes);
  const pickleName = Object.keys(records).find((n) => n.endsWith('/data.pkl')) as string;
  return { name, records, pickleName };
});

const PICKLE_SEEDS: Seed[] = UNZIPPED.map(({ name, records, pickleName }) => ({
  name: `${name}:data.pkl`,
  bytes: records[pickleName],
  fields: pickleFields(records[pickleName]),
}));

function rezip(seedName: string, pickle: Uint8Array): Uint8Array {
  const source = UNZIPPED.find((u) => `${u.name}:data.pkl` === seedName) as Unzipped;
  const files = Object.fromEntries(Object.entries(source.records).map(([n, b]) => [n, [n === source.pickleName ? pickle : b, { level: 0 }] as const]));
  return zipSync(files as Parameters<typeof zipSync>[0]);
}

/** Reads a file in ranges (as a dropped File is) into key -> [dtype, shape, bytes]. */
type Described = [string, readonly number[], Uint8Array];

async function readLazily(bytes: Uint8Array) {
  const checkpoint = await openPytorchCheckpoint(randomAccessBlob(new Blob([bytes as Uint8Array<ArrayBuffer>])));
  const out = new Map<string, Described>();
  for await (const [key, t] of checkpoint.entries()) out.set(key, [t.dtype, t.shape, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);
  return out;
}

describe('fuzz: torch.save zip + restricted pickle', () => {
  it(
    'mutated zip files end in a state dict or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(ZIP_SEEDS), async (c) => {
          tally.add(await checkOutcome(c, () => readPytorchCheckpoint(c.bytes), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('torch zip'));
    },
    fuzzTimeout(),
  );

  it(
    'a mutated zip read in ranges gives the tensors the whole-file reader gives, or a CheckpointFormatError where it fails',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(ZIP_SEEDS), async (c) => {
          let whole: Map<string, Described> | Error;
          try {
            whole = new Map([...readPytorchCheckpoint(c.bytes)].map(([k, t]): [string, Described] => [k, [t.dtype, t.shape, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]]));
          } catch (error) {
            whole = error as Error;
          }
          const outcome = await checkOutcome(c, () => readLazily(c.bytes).then((lazy) => {
            if (whole instanceof Error) throw new Error(`the whole-file reader failed (${whole.message}) but the ranged one read ${lazy.size} tensors`);
            expect([...lazy.keys()]).toEqual([...whole.keys()]);
            for (const [key, [dtype, shape, data]] of whole) {
              const [lazyDType, lazyShape, lazyData] = lazy.get(key) as Described;
              expect([lazyDType, lazyShape]).toEqual([dtype, shape]);
              if (Buffer.compare(lazyData, data) !== 0) throw new Error(`"${key}" differs between the two readers`);
            }
          }), { isTyped });
          if (outcome.kind === 'error') expect(whole).toBeInstanceOf(CheckpointFormatError);
          tally.add(outcome);
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('torch zip, ranged'));
    },
    fuzzTimeout(),
  );

  it(
    'mutated data.pkl inside a valid zip ends in a state dict or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(PICKLE_SEEDS), async (c) => {
          const file = rezip(c.seed, c.bytes);
          tally.add(await checkOutcome({ bytes: file }, () => readPytorchCheckpoint(file), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('torch pickle'));
    },
    fuzzTimeout(),
  );
});
