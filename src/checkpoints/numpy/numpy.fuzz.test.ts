import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile, type Seed } from '../../test-utils/fuzz';
import { pickleFields, seedFile } from '../../test-utils/fuzz-seeds';
import { CheckpointFormatError } from '../errors';
import { readNpy } from './npy';
import { readNumpyPickle } from './read-pickle';

const isTyped = (e: unknown) => e instanceof CheckpointFormatError;

const PICKLE_SEEDS: Seed[] = ['numpy_p2.pkl', 'numpy_p4.pkl', 'numpy_p5.pkl', 'disallowed_global.pkl'].map((n) =>
  seedFile(`src/checkpoints/testdata/${n}`, pickleFields),
);

/** The header-length field (bytes 8-11) and the header text, where shapes live. */
const NPY_SEEDS: Seed[] = ['f4.npy', 'f4_v2.npy', 'f4_v3.npy', 'i8.npy', 'f2.npy', 'b1.npy', 'scalar.npy', 'fortran.npy'].map((n) =>
  seedFile(`src/checkpoints/testdata/${n}`, (bytes) => [8, ...Array.from({ length: Math.min(bytes.byteLength, 128) - 10 }, (_, i) => 10 + i)]),
);

describe('fuzz: numpy readers', () => {
  it(
    'mutated numpy pickles end in a state dict or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(PICKLE_SEEDS), async (c) => {
          tally.add(await checkOutcome(c, () => readNumpyPickle(c.bytes), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('numpy pickle'));
    },
    fuzzTimeout(),
  );

  it(
    'mutated .npy files end in an array or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(NPY_SEEDS), async (c) => {
          tally.add(await checkOutcome(c, () => readNpy(c.bytes), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('npy'));
    },
    fuzzTimeout(),
  );
});
