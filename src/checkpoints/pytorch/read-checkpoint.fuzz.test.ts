import fc from 'fast-check';
import { unzipSync, zipSync } from 'fflate';
import { describe, it } from 'vitest';
import { checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile, type Seed } from '../../test-utils/fuzz';
import { pickleFields, seedFile, zipFields } from '../../test-utils/fuzz-seeds';
import { CheckpointFormatError } from '../errors';
import { readPytorchCheckpoint } from './read-checkpoint';

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
