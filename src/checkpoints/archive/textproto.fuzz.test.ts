import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile } from '../../test-utils/fuzz';
import { CheckpointFormatError } from '../errors';
import { readDeeplab2Config } from './deeplab2-config';
import { readCheckpointArchive } from './read-archive';

const isTyped = (e: unknown) => e instanceof CheckpointFormatError;

// The seed is the fixture archive's own textproto, as deeplab2 wrote it.
const contents = await readCheckpointArchive(new Uint8Array(readFileSync(new URL('./testdata/kmax_resnet50_coco_train.tar.gz', import.meta.url))), { name: 'a.tar.gz' });
const config = contents.config!;
const SEEDS = [{ name: config.path, bytes: config.bytes }];

describe('fuzz: deeplab2 textproto config', () => {
  it(
    'mutated copies of the fixture textproto end in a parsed config or a CheckpointFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(SEEDS), async (c) => {
          tally.add(
            // readDeeplab2Config parses with parseTextProto, then reads the fields it needs.
            await checkOutcome(c, () => readDeeplab2Config(new TextDecoder().decode(c.bytes), c.seed), { isTyped }),
          );
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('textproto'));
    },
    fuzzTimeout(),
  );
});
