import { readFileSync } from 'node:fs';

/**
 * Test files written by training/make_checkpoint_fixtures.py, copied into a fresh
 * (aligned) buffer as a browser File.arrayBuffer() would give them.
 */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./${name}`, import.meta.url)));
}

/** The same bytes starting at an odd address, to exercise the unaligned (copying) paths. */
export function misaligned(bytes: Uint8Array): Uint8Array {
  const shifted = new Uint8Array(bytes.byteLength + 1);
  shifted.set(bytes, 1);
  return shifted.subarray(1);
}
