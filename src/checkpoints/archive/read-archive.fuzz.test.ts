import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { gzipSync, zipSync } from 'fflate';
import { packTar } from 'modern-tar';
import { describe, expect, it } from 'vitest';
import { checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile, type Seed } from '../../test-utils/fuzz';
import { CheckpointFormatError } from '../errors';
import { readCheckpointArchive } from './read-archive';

const isTyped = (e: unknown) => e instanceof CheckpointFormatError;

/**
 * Seeds: a small checkpoint folder in deeplab2's layout (the `small` TF bundle, its training
 * textproto and TF's `checkpoint` file) as a .tar.gz, a .tar and a .zip. The 1.2 MB fixture
 * archive takes 0.2-0.5 s a case to read, too slow for thousands of cases; these take
 * milliseconds and reach the same code: gunzip, tar and zip headers, member selection.
 */
const testdata = (name: string) => new Uint8Array(readFileSync(new URL(`../tf-bundle/testdata/${name}`, import.meta.url)));
const text = (s: string) => new TextEncoder().encode(s);
const MEMBERS = new Map([
  ['kmax_small_train/ckpt-7.index', testdata('small.index')],
  ['kmax_small_train/ckpt-7.data-00000-of-00001', testdata('small.data-00000-of-00001')],
  ['kmax_small_train/checkpoint', text('model_checkpoint_path: "ckpt-7"\n')],
  ['kmax_small_train/kmax_small.textproto', text('eval_dataset_options { dataset: "coco_panoptic" crop_size: 641 crop_size: 641 }\n')],
]);

const tar = await packTar([...MEMBERS].map(([name, body]) => ({ header: { name, size: body.byteLength }, body })));
const gzip = gzipSync(tar);
const zip = zipSync(Object.fromEntries(MEMBERS));
/** Offset of each tar header's size field (124 bytes into a header; headers follow bodies padded to 512). */
function tarSizeFields(): number[] {
  const at: number[] = [];
  let header = 0;
  for (const body of MEMBERS.values()) {
    at.push(header + 124);
    header += 512 + Math.ceil(body.byteLength / 512) * 512;
  }
  return at;
}

/** "Huge length" mutations aim at the tar size fields, gzip's ISIZE and the zip directory's size and offset. */
const SEEDS: Seed[] = [
  { name: 'small.tar.gz', bytes: gzip, fields: [gzip.byteLength - 4] },
  { name: 'small.tar', bytes: tar, fields: tarSizeFields() },
  { name: 'small.zip', bytes: zip, fields: [zip.byteLength - 10, zip.byteLength - 6] },
];

describe('fuzz: checkpoint archives (.tar.gz, .tar, .zip)', () => {
  it(
    'mutated archives end in the checkpoint members or an archive error naming the archive',
    async () => {
      // The size fields are where the tar format puts them: 11 octal digits.
      for (const at of tarSizeFields()) expect(new TextDecoder().decode(tar.subarray(at, at + 11))).toMatch(/^[0-7]{11}$/);
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(SEEDS), async (c) => {
          tally.add(await checkOutcome(c, () => readCheckpointArchive(c.bytes, { name: c.seed }), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('checkpoint archives'));
    },
    fuzzTimeout(),
  );
});
