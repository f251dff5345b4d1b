import CRC32 from 'crc-32';
import { inflateSync } from 'fflate';
import { CheckpointFormatError } from '../errors';

/**
 * The zip container of torch.save files. torch writes its records uncompressed and
 * 64-byte aligned, so a stored record is returned as a view into the file: no copy,
 * and float32 data can be viewed in place. (fflate's unzip copies every entry, which
 * would double peak memory on a 230 MB checkpoint; it still inflates the rare
 * deflated entry.) Reads the central directory, zip64 included, and checks every
 * entry's CRC-32 so a corrupted tensor is named rather than silently loaded.
 */

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_EXTRA = 0x0001;

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  readonly crc32: number;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && u32(bytes, 0) === LOCAL_HEADER;
}

/**
 * Entries by name, from the central directory at the end of the file. `bytes` may be
 * the file's tail from byte `base` on (holding the whole directory): offsets stay the file's.
 */
export function readZipDirectory(bytes: Uint8Array, base = 0): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfDirectory(bytes);
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const zip64 = safe(view.getBigUint64(eocd - 20 + 8, true)) - base;
    if (zip64 < 0 || zip64 + 56 > bytes.byteLength || view.getUint32(zip64, true) !== ZIP64_END_OF_DIRECTORY) throw truncated();
    count = safe(view.getBigUint64(zip64 + 32, true));
    offset = safe(view.getBigUint64(zip64 + 48, true));
  }
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = offset - base;
  for (let i = 0; i < count; i++) {
    if (p < 0 || p + 46 > bytes.byteLength || view.getUint32(p, true) !== CENTRAL_HEADER) throw truncated();
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    if (p + 46 + nameLength + extraLength + commentLength > bytes.byteLength) throw truncated();
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    // zip64: fields saturated at 0xffffffff are given, in this order, in extra field 0x0001.
    let extra = p + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === ZIP64_EXTRA) {
        let q = extra + 4;
        const next = (): number => {
          if (q + 8 > Math.min(extra + 4 + length, extraEnd)) throw new CheckpointFormatError(`the zip directory entry "${name}" has a zip64 field too short for its sizes (corrupted file?)`);
          const v = safe(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      extra += 4 + length;
    }
    const crc32 = view.getUint32(p + 16, true);
    entries.set(name, { name, method: view.getUint16(p + 10, true), compressedSize, size, localHeaderOffset, crc32 });
    p = extraEnd + commentLength;
  }
  return entries;
}

/** An entry's bytes: a view for stored entries, inflated for deflated ones. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_HEADER_BYTES > bytes.byteLength) throw truncated();
  const start = at + entryDataOffset(bytes.subarray(at, at + LOCAL_HEADER_BYTES));
  const end = start + entry.compressedSize;
  if (end > bytes.byteLength) throw truncated();
  return entryContent(bytes.subarray(start, end), entry);
}

/**
 * A zip file read in ranges (a File/Blob sliced, never read whole): `read(start, end)`
 * returns those bytes in a buffer of their own.
 */
export interface RandomAccessFile {
  readonly size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export function randomAccessBlob(blob: Blob): RandomAccessFile {
  return { size: blob.size, read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()) };
}

/** The central directory, read from the file's tail only (at most two ranges). */
export async function readZipDirectoryFrom(file: RandomAccessFile): Promise<Map<string, ZipEntry>> {
  // The end record (22 bytes, a comment up to 65535) and the zip64 locator and record before it.
  let base = Math.max(0, file.size - 22 - 0xffff - 20 - 56);
  let tail = await file.read(base, file.size);
  const start = directoryStart(tail, base);
  if (start < base) {
    base = start;
    tail = await file.read(base, file.size);
  }
  return readZipDirectory(tail, base);
}

/** An entry's bytes, read from its two ranges (local header, data); checked as readZipEntry checks them. */
export async function readZipEntryFrom(file: RandomAccessFile, entry: ZipEntry): Promise<Uint8Array> {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_HEADER_BYTES > file.size) throw truncated();
  const start = at + entryDataOffset(await file.read(at, at + LOCAL_HEADER_BYTES));
  const end = start + entry.compressedSize;
  if (end > file.size) throw truncated();
  return entryContent(await file.read(start, end), entry);
}

const LOCAL_HEADER_BYTES = 30;

/** Offset of an entry's data from its local header (the header's own name and extra field lengths). */
function entryDataOffset(header: Uint8Array): number {
  if (u32(header, 0) !== LOCAL_HEADER) throw truncated();
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return LOCAL_HEADER_BYTES + view.getUint16(26, true) + view.getUint16(28, true);
}

/** The lowest offset of the directory (the zip64 end record or the central directory) that `tail` points to. */
function directoryStart(tail: Uint8Array, base: number): number {
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const eocd = findEndOfDirectory(tail);
  let offset = view.getUint32(eocd + 16, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const zip64 = safe(view.getBigUint64(eocd - 20 + 8, true));
    offset = zip64;
    if (zip64 >= base && zip64 + 56 <= base + tail.byteLength) offset = Math.min(zip64, safe(view.getBigUint64(zip64 - base + 48, true)));
  }
  return offset;
}

function entryContent(data: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.method !== 0 && entry.method !== 8) {
    throw new CheckpointFormatError(`zip entry "${entry.name}" uses unsupported compression method ${entry.method}`);
  }
  const content = entry.method === 0 ? data : inflate(data, entry);
  if (CRC32.buf(content) >>> 0 !== entry.crc32) {
    throw new CheckpointFormatError(`zip entry "${entry.name}" is corrupted (CRC-32 mismatch): the checkpoint file is damaged`);
  }
  return content;
}

/** Deflate's largest expansion: a declared size beyond it cannot come from the bytes present. */
const DEFLATE_MAX_RATIO = 1032;

function inflate(data: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.size > DEFLATE_MAX_RATIO * data.byteLength + 64) {
    throw new CheckpointFormatError(
      `zip entry "${entry.name}" is corrupted: it declares ${entry.size} bytes, more than its ${data.byteLength} compressed bytes can hold`,
    );
  }
  let content: Uint8Array;
  try {
    content = inflateSync(data, { out: new Uint8Array(entry.size) });
  } catch (error) {
    throw new CheckpointFormatError(
      `zip entry "${entry.name}" is corrupted: its compressed data does not inflate (${(error as Error).message}); the checkpoint file is damaged`,
    );
  }
  if (content.byteLength !== entry.size) {
    throw new CheckpointFormatError(`zip entry "${entry.name}" is corrupted: it inflates to ${content.byteLength} bytes, not the ${entry.size} it declares`);
  }
  return content;
}

function findEndOfDirectory(bytes: Uint8Array): number {
  // The record is 22 bytes plus a comment of up to 65535 bytes.
  const lowest = Math.max(0, bytes.byteLength - 22 - 0xffff);
  for (let p = bytes.byteLength - 22; p >= lowest; p--) {
    if (u32(bytes, p) === END_OF_DIRECTORY) return p;
  }
  throw truncated();
}

function u32(bytes: Uint8Array, p: number): number {
  return (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0;
}

function safe(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw truncated();
  return Number(n);
}

function truncated(): CheckpointFormatError {
  return new CheckpointFormatError(
    'The zip archive is incomplete (its directory is missing or damaged): the file is probably truncated; download it again.',
  );
}
