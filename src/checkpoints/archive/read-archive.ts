import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createTarDecoder } from 'modern-tar';
import type { SourceFile } from '../../loading/model-format';
import type { CheckpointBytes, ConvertProgress } from '../convert';
import { CheckpointFormatError } from '../errors';
import { readZipDirectory, readZipEntry, type ZipEntry } from '../pytorch/zip';
import { CorruptArchiveError, NoCheckpointInArchiveError, TruncatedArchiveError } from './errors';
import { parseTextProto, textField } from './textproto';

/**
 * The TensorFlow checkpoint inside an archive as deeplab2 publishes it
 * (`kmax_<backbone>_<dataset>_train.tar.gz`: a folder with `ckpt-N.index`,
 * `ckpt-N.data-0000k-of-0000n`, TF's `checkpoint` state file and the training config
 * `*.textproto`), or a `.tar` or `.zip` of such a folder.
 *
 * A tar(.gz) is streamed once: the platform's DecompressionStream inflates it (and
 * checks the gzip CRC-32 and length), modern-tar splits the stream into entries, and
 * only the checkpoint's files and the config are kept, each in one buffer of the size
 * its tar header declares; nothing else is held, so the peak is the checkpoint's files,
 * never the archive twice. A zip is read from its central directory, one member at a
 * time (stored members as they are, deflated ones inflated to their declared size and
 * checked against their CRC-32). Runs in Node and in a Worker.
 */

export type ArchiveKind = 'tar.gz' | 'tar' | 'zip';

/** An archive's bytes, a File/Blob, or a stream of its bytes (a download). */
export type ArchiveSource = CheckpointBytes | ReadableStream<Uint8Array>;

export interface ArchiveMember {
  /** Path inside the archive. */
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface CheckpointArchive {
  readonly kind: ArchiveKind;
  /** The archive itself: name, size and SHA-256 of its (compressed) bytes. */
  readonly archive: SourceFile;
  /** The checkpoint's path prefix inside the archive, e.g. `kmax_resnet50_coco_train/ckpt-150000`. */
  readonly prefix: string;
  readonly index: ArchiveMember;
  /** Data shards in shard order. */
  readonly data: readonly ArchiveMember[];
  /** The training config (`*.textproto`), when the archive has one. */
  readonly config?: ArchiveMember;
}

export interface ReadArchiveOptions {
  /** The archive's file name, for messages and the provenance. */
  readonly name?: string;
  /** Size of a streamed archive, when known (progress only). */
  readonly size?: number;
  readonly onProgress?: (progress: ConvertProgress) => void;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
/** "ustar" at byte 257 of a POSIX (ustar\0) or GNU (ustar  ) tar header. */
const TAR_MAGIC_AT = 257;
/** Checkpoint-folder zips have a handful of members: their directory is in the last MiBs. */
const ZIP_TAIL_BYTES = 4 << 20;
/** Text members (config, checkpoint state) larger than this are not what they claim. */
const MAX_TEXT_BYTES = 16 << 20;
/** Chunk size when a Uint8Array is streamed. */
const CHUNK_BYTES = 1 << 20;

const INDEX = /\.index$/;
const SHARD = /^(.*)\.data-(\d{5})-of-(\d{5})$/;
const CONFIG = /\.(textproto|pbtxt)$/;
const STATE = /(^|\/)checkpoint$/;

/**
 * Which archive a file is, from its bytes: gzip (taken as a .tar.gz), tar, or a zip
 * holding a TF checkpoint index (a PyTorch `.pth` is a zip too, without one); else undefined.
 */
export async function archiveKindOf(file: CheckpointBytes): Promise<ArchiveKind | undefined> {
  const head = await sliceOf(file, 0, 512);
  if (startsWith(head, GZIP_MAGIC)) return 'tar.gz';
  if (isTarHeader(head)) return 'tar';
  if (startsWith(head, ZIP_LOCAL_HEADER)) {
    const directory = await zipDirectory(file);
    if (directory !== undefined && [...directory.keys()].some((name) => INDEX.test(name))) return 'zip';
  }
  return undefined;
}

/** The checkpoint (and config) inside an archive. */
export async function readCheckpointArchive(source: ArchiveSource, options: ReadArchiveOptions = {}): Promise<CheckpointArchive> {
  const name = options.name ?? (typeof File !== 'undefined' && source instanceof File ? source.name : 'archive');
  if (!(source instanceof ReadableStream) && (await archiveKindOf(source)) === 'zip') return readZip(source, name, options);
  const [stream, kind] = await streamKind(source, name);
  const size = options.size ?? (source instanceof ReadableStream ? undefined : sizeOf(source));
  return readTar(stream, kind, name, { ...options, size });
}

/** The archive as a stream, and its kind; a stream's kind is told from its first chunk, which is then put back in front. */
async function streamKind(source: ArchiveSource, name: string): Promise<[ReadableStream<Uint8Array>, ArchiveKind]> {
  let stream: ReadableStream<Uint8Array>;
  let head: Uint8Array;
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    const first = await reader.read();
    head = first.value ?? new Uint8Array(0);
    stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.done) controller.close();
        else controller.enqueue(head);
      },
      async pull(controller) {
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  } else {
    head = await sliceOf(source, 0, 512);
    stream = streamOf(source);
  }
  if (startsWith(head, GZIP_MAGIC)) return [stream, 'tar.gz'];
  if (isTarHeader(head)) return [stream, 'tar'];
  await stream.cancel();
  throw new CheckpointFormatError(`"${name}" is not a .tar.gz, .tar or .zip archive of a TensorFlow checkpoint.`);
}

function isTarHeader(head: Uint8Array): boolean {
  return head.byteLength >= TAR_MAGIC_AT + 5 && new TextDecoder().decode(head.subarray(TAR_MAGIC_AT, TAR_MAGIC_AT + 5)) === 'ustar';
}

async function readTar(stream: ReadableStream<Uint8Array>, kind: ArchiveKind, name: string, options: ReadArchiveOptions): Promise<CheckpointArchive> {
  const hash = sha256.create();
  let loaded = 0;
  let sourceDone = false;
  const total = options.size ?? 0;
  const counted = stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        loaded += chunk.byteLength;
        options.onProgress?.({ status: 'read', loaded, total: Math.max(total, loaded) });
        controller.enqueue(chunk);
      },
      flush() {
        sourceDone = true;
      },
    }),
  );
  const tar = kind === 'tar.gz' ? counted.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>) : counted;
  const entries = tar.pipeThrough(createTarDecoder({ strict: true })).getReader();
  const members = new Map<string, Uint8Array>();
  const seen: string[] = [];
  try {
    for (;;) {
      const { done, value: entry } = await entries.read();
      if (done) break;
      const { header, body } = entry;
      const wanted = (header.type ?? 'file') === 'file' && isWanted(header.name);
      if (header.type === 'file' || header.type === undefined) seen.push(header.name);
      if (!wanted) {
        await body.cancel();
        continue;
      }
      if (!INDEX.test(header.name) && !SHARD.test(header.name) && header.size > MAX_TEXT_BYTES) {
        throw new CorruptArchiveError(name, `"${header.name}" declares ${header.size} bytes, far more than a config holds`);
      }
      members.set(header.name, await readBody(body, header.size, header.name, name));
    }
  } catch (e) {
    throw archiveError(e, name, loaded, sourceDone);
  }
  return pickCheckpoint(members, seen, {
    kind,
    archive: { name, bytes: loaded, sha256: bytesToHex(hash.digest()) },
  });
}

function isWanted(path: string): boolean {
  return INDEX.test(path) || SHARD.test(path) || CONFIG.test(path) || STATE.test(path);
}

/** One entry's bytes, into a buffer of its declared size; the stream must give exactly that many. */
async function readBody(body: ReadableStream<Uint8Array>, size: number, path: string, archive: string): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = new Uint8Array(size);
  } catch {
    throw new CorruptArchiveError(archive, `"${path}" declares ${size} bytes, more than can be held in memory`);
  }
  const reader = body.getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.byteLength > size) throw new CorruptArchiveError(archive, `"${path}" holds more than the ${size} bytes its header declares`);
    out.set(value, at);
    at += value.byteLength;
  }
  if (at !== size) throw new TruncatedArchiveError(archive, `it ends inside "${path}", after ${at} of its ${size} bytes`);
  return out;
}

/**
 * A failure inside the gzip or tar stream, as a typed error. The platform's inflater
 * and the tar reader say "truncated" / "unexpected end" when the input stops early; a
 * failure before the last input byte arrived, or any other, is damage. (The inflater
 * reads ahead of the tar entries, so the entry being read when it fails is not named.)
 */
function archiveError(e: unknown, archive: string, loaded: number, sourceDone: boolean): unknown {
  if (e instanceof TruncatedArchiveError || e instanceof CorruptArchiveError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (sourceDone && /truncated|unexpected end|end of (file|stream)|incomplete/i.test(message)) {
    return new TruncatedArchiveError(archive, `its data stop after ${loaded} bytes, inside its contents`);
  }
  return new CorruptArchiveError(archive, `its compressed data do not decode: ${message}`);
}

async function readZip(file: CheckpointBytes, name: string, options: ReadArchiveOptions): Promise<CheckpointArchive> {
  const directory = (await zipDirectory(file))!;
  const members = new Map<string, Uint8Array>();
  const total = sizeOf(file);
  const hash = sha256.create();
  // The archive's hash covers all its bytes: stream them once for it (and for progress).
  let loaded = 0;
  const reader = streamOf(file).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    loaded += value.byteLength;
    options.onProgress?.({ status: 'read', loaded, total });
  }
  for (const entry of directory.values()) {
    if (!isWanted(entry.name)) continue;
    members.set(entry.name, await readZipMember(file, entry, name));
  }
  return pickCheckpoint(members, [...directory.keys()], { kind: 'zip', archive: { name, bytes: total, sha256: bytesToHex(hash.digest()) } });
}

/** The zip's central directory (from its last MiBs), or undefined when it is not there. */
async function zipDirectory(file: CheckpointBytes): Promise<Map<string, ZipEntry> | undefined> {
  const size = sizeOf(file);
  const base = Math.max(0, size - ZIP_TAIL_BYTES);
  try {
    return readZipDirectory(await sliceOf(file, base, size), base);
  } catch {
    return undefined;
  }
}

/** One member, from its local header on: no more of the archive is read than the member. */
async function readZipMember(file: CheckpointBytes, entry: ZipEntry, archive: string): Promise<Uint8Array> {
  const at = entry.localHeaderOffset;
  const header = await sliceOf(file, at, at + 30);
  if (header.byteLength < 30) throw new TruncatedArchiveError(archive, `it ends inside the header of "${entry.name}"`);
  const view = new DataView(header.buffer, header.byteOffset, 30);
  const end = at + 30 + view.getUint16(26, true) + view.getUint16(28, true) + entry.compressedSize;
  if (end > sizeOf(file)) throw new TruncatedArchiveError(archive, `it ends inside "${entry.name}"`);
  try {
    return readZipEntry(await sliceOf(file, at, end), { ...entry, localHeaderOffset: 0 });
  } catch (e) {
    throw new CorruptArchiveError(archive, `"${entry.name}": ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The checkpoint among the kept members: the prefix TF's `checkpoint` state file names
 * (model_checkpoint_path), else the one with the highest step; all its shards must be
 * there. The config is the `*.textproto` next to it, else the archive's only one.
 */
function pickCheckpoint(
  members: ReadonlyMap<string, Uint8Array>,
  seen: readonly string[],
  about: { kind: ArchiveKind; archive: SourceFile },
): CheckpointArchive {
  const name = about.archive.name ?? 'archive';
  const prefixes = [...members.keys()].filter((p) => INDEX.test(p)).map((p) => p.replace(INDEX, ''));
  if (prefixes.length === 0) {
    const listed = seen.slice(0, 12).join(', ') + (seen.length > 12 ? `, ... (${seen.length} files)` : '');
    throw new NoCheckpointInArchiveError(name, `no "ckpt-N.index" file; it holds ${seen.length === 0 ? 'no files' : listed}`);
  }
  const step = (prefix: string) => Number(/(\d+)$/.exec(prefix)?.[1] ?? -1);
  const named = prefixes.find((prefix) => {
    const state = members.get(`${dirOf(prefix)}checkpoint`);
    if (state === undefined) return false;
    try {
      const path = textField(parseTextProto(new TextDecoder().decode(state), 'checkpoint'), 'model_checkpoint_path')[0];
      return typeof path === 'string' && `${dirOf(prefix)}${path.split('/').pop()}` === prefix;
    } catch {
      return false; // a state file we cannot read only loses its vote
    }
  });
  const prefix = named ?? prefixes.sort((a, b) => step(b) - step(a))[0];

  const shards = [...members.keys()].flatMap((path) => {
    const m = SHARD.exec(path);
    return m !== null && m[1] === prefix ? [{ path, id: Number(m[2]), count: Number(m[3]) }] : [];
  });
  const count = shards[0]?.count ?? 0;
  const missing = Array.from({ length: count }, (_, id) => id).filter((id) => !shards.some((s) => s.id === id));
  if (shards.length === 0 || missing.length > 0 || shards.some((s) => s.count !== count)) {
    const base = prefix.split('/').pop();
    throw new NoCheckpointInArchiveError(
      name,
      shards.length === 0
        ? `"${prefix}.index" has no "${base}.data-00000-of-0000N" beside it`
        : `"${prefix}" lacks data shard(s) ${missing.join(', ')} of ${count}`,
    );
  }
  shards.sort((a, b) => a.id - b.id);

  const configs = [...members.keys()].filter((p) => CONFIG.test(p)).sort();
  const config = configs.find((p) => dirOf(p) === dirOf(prefix)) ?? (configs.length === 1 ? configs[0] : undefined);
  const member = (path: string): ArchiveMember => ({ path, bytes: members.get(path)! });
  return {
    ...about,
    prefix,
    index: member(`${prefix}.index`),
    data: shards.map((s) => member(s.path)),
    ...(config !== undefined ? { config: member(config) } : {}),
  };
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}

function sizeOf(file: CheckpointBytes): number {
  return file instanceof Uint8Array ? file.byteLength : file.size;
}

async function sliceOf(file: CheckpointBytes, start: number, end: number): Promise<Uint8Array> {
  return file instanceof Uint8Array ? file.subarray(start, end) : new Uint8Array(await file.slice(start, end).arrayBuffer());
}

/** A file's bytes as a stream: a Blob's own, or a Uint8Array's in views of 1 MiB (no copy). */
function streamOf(file: CheckpointBytes): ReadableStream<Uint8Array> {
  if (!(file instanceof Uint8Array)) return file.stream();
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= file.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(file.subarray(at, at + CHUNK_BYTES));
      at += CHUNK_BYTES;
    },
  });
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.byteLength >= magic.length && magic.every((b, i) => bytes[i] === b);
}
