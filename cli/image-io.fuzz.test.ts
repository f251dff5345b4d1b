import CRC32 from 'crc-32';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile, type Seed } from '../src/test-utils/fuzz';
import { seedFile } from '../src/test-utils/fuzz-seeds';
import { decodeImage, ImageDecodeError } from './image-io';

const isTyped = (e: unknown) => e instanceof ImageDecodeError;

/** PNG chunk lengths and IHDR width/height; JPEG segment lengths and SOF dimensions. */
function imageFields(bytes: Uint8Array): number[] {
  const fields: number[] = [];
  if (bytes[0] === 0x89) {
    for (let p = 8; p + 8 <= bytes.byteLength; ) {
      fields.push(p);
      const length = ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
      if (bytes[p + 4] === 0x49 && bytes[p + 5] === 0x48) fields.push(p + 8, p + 12); // IHDR width, height
      p += 12 + length;
    }
  } else {
    for (let p = 2; p + 4 <= bytes.byteLength && bytes[p] === 0xff; ) {
      fields.push(p + 2);
      if (bytes[p + 1] >= 0xc0 && bytes[p + 1] <= 0xc2) fields.push(p + 5, p + 7); // SOF height, width
      if (bytes[p + 1] === 0xda) break;
      p += 2 + ((bytes[p + 2] << 8) | bytes[p + 3]);
    }
  }
  return fields;
}

const SEEDS: Seed[] = [
  'models/demo/samples/synthetic-1.png',
  'models/demo/samples/panoptic/synthetic-2.png',
  'training/fixtures/test-image.png',
  'e2e/fixtures/exif-orientation-6.jpg',
].map((p) => seedFile(p, imageFields));

/** Recomputes the CRC of every PNG chunk that still fits, so mutations reach the decoder behind pngjs's checks. */
function withFreshChunkCrcs(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let p = 8; p + 12 <= out.byteLength; ) {
    const length = view.getUint32(p);
    if (p + 12 + length > out.byteLength) break;
    view.setUint32(p + 8 + length, CRC32.buf(out.subarray(p + 4, p + 8 + length)) >>> 0);
    p += 12 + length;
  }
  return out;
}

describe('fuzz: images in the CLI decode path (PNG, JPEG with EXIF)', () => {
  it(
    'mutated images end in pixels or an ImageDecodeError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(SEEDS), async (c) => {
          // A compressed image may justify its deflate ratio (at most 1032:1) in pixels.
          tally.add(await checkOutcome(c, () => decodeImage(c.bytes, 'photo'), { isTyped, allocationFactor: 1100 }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('cli images'));
    },
    fuzzTimeout(),
  );

  it(
    'mutated PNGs with valid chunk CRCs (huge IHDR sizes included) end in pixels or an ImageDecodeError',
    async () => {
      const tally = new FuzzTally();
      const pngs = SEEDS.filter((s) => s.name.endsWith('.png'));
      await fc.assert(
        fc.asyncProperty(mutatedFile(pngs), async (c) => {
          const bytes = withFreshChunkCrcs(c.bytes);
          tally.add(await checkOutcome({ bytes }, () => decodeImage(bytes, 'photo'), { isTyped, allocationFactor: 1100 }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('cli png (CRCs fixed)'));
    },
    fuzzTimeout(),
  );
});
