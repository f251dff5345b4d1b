import { readFileSync } from 'node:fs';
import type { Seed } from './fuzz';

/** Real files the fuzz suites start from, and where their length fields are. */

const repoFile = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${path}`, import.meta.url)));

export function seedFile(path: string, fields?: (bytes: Uint8Array) => number[]): Seed {
  const bytes = repoFile(path);
  return { name: path, bytes, ...(fields === undefined ? {} : { fields: fields(bytes) }) };
}

/** Every offset where `signature` starts. */
function find(bytes: Uint8Array, signature: readonly number[]): number[] {
  const hits: number[] = [];
  outer: for (let i = 0; i + signature.length <= bytes.byteLength; i++) {
    for (let j = 0; j < signature.length; j++) if (bytes[i + j] !== signature[j]) continue outer;
    hits.push(i);
  }
  return hits;
}

/** Zip size, offset and name-length fields of every local header, central header and the end record. */
export function zipFields(bytes: Uint8Array): number[] {
  return [
    ...find(bytes, [0x50, 0x4b, 0x03, 0x04]).flatMap((p) => [p + 18, p + 22, p + 26, p + 28]),
    ...find(bytes, [0x50, 0x4b, 0x01, 0x02]).flatMap((p) => [p + 20, p + 24, p + 28, p + 30, p + 42]),
    ...find(bytes, [0x50, 0x4b, 0x05, 0x06]).flatMap((p) => [p + 10, p + 12, p + 16]),
    ...find(bytes, [0x50, 0x4b, 0x06, 0x06]).flatMap((p) => [p + 32, p + 40, p + 48]),
  ];
}

/** The argument after every byte that is a length-carrying pickle opcode (some hits are data, which is fine). */
export function pickleFields(bytes: Uint8Array): number[] {
  const LENGTH_OPCODES = new Set([0x58, 0x8c, 0x8d, 0x54, 0x55, 0x42, 0x43, 0x8e, 0x96, 0x8a, 0x8b, 0x95, 0x6a, 0x72]);
  const fields: number[] = [];
  for (let i = 0; i + 1 < bytes.byteLength; i++) if (LENGTH_OPCODES.has(bytes[i])) fields.push(i + 1);
  return fields;
}
