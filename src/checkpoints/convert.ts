import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { datasetClasses, datasetNames } from '../datasets';
import type { Provenance, SourceFile } from '../loading/model-format';
import type { ClassInfo, KMaXConfig, ProcessingStyle } from '../model/config';
import { datasetOfClassCount, detectConfig, FINAL_CLASS_BIAS } from './detect-config';
import { CheckpointFormatError } from './errors';
import { isTfBookkeepingKey, tfKeyRule } from './key-maps/tf';
import { convertTfCheckpoint } from './key-maps/tf-convert';
import { isPickle, readNumpyPickle } from './numpy/read-pickle';
import { isLegacyTorchFile, openPytorchCheckpoint, readPytorchCheckpoint } from './pytorch/read-checkpoint';
import { isZip, randomAccessBlob } from './pytorch/zip';
import type { RawTensor } from './raw-tensor';
import { readTfBundle } from './tf-bundle/read-bundle';
import { readSsTable } from './tf-bundle/sstable';
import { NotATfIndexError } from './tf-bundle/errors';
import { toEngineTensors, toEngineTensorsFrom, type EngineTensor } from './to-engine';

/**
 * An official checkpoint -> what a model folder needs: detected config, class list,
 * float32 engine-layout tensors and provenance. Reads the three formats kMaX-DeepLab
 * weights come in, told apart by their bytes (never by file names):
 *  - torch.save `.pth` (the bytedance PyTorch checkpoints, spec 8.1),
 *  - detectron2 `.pkl` of numpy arrays (convert-tf-weights-to-d2.py output, spec 8.2),
 *  - a deeplab2 TF2 checkpoint, `ckpt-N.index` + `ckpt-N.data-*` (spec 8.3).
 * Runs in Node and in a Web Worker (no fs, no DOM, no tfjs); float16 storage and
 * writing model.json and shards are src/loading's job.
 */

/** One checkpoint file: its bytes, or a File/Blob (read here, with progress). */
export type CheckpointBytes = Uint8Array | Blob;

/** A TensorFlow checkpoint: the `.index` file and its `.data-0000k-of-0000n` shards in shard order. */
export interface TfBundleFiles {
  readonly index: CheckpointBytes;
  readonly data: readonly CheckpointBytes[];
}

/** A `.pth` / `.pkl` file, or a TF checkpoint's files. */
export type CheckpointSource = CheckpointBytes | TfBundleFiles;

export type CheckpointFormat = 'pytorch' | 'pytorch-pkl' | 'tf-bundle';

export type ConvertProgress =
  | { readonly status: 'read'; readonly loaded: number; readonly total: number }
  | { readonly status: 'convert'; readonly converted: number; readonly total: number };

export interface ReadOptions {
  /**
   * File names for the provenance, in source order: the file, or the index then each
   * shard. A File's own name is used where this is absent.
   */
  readonly fileNames?: readonly string[];
  readonly onProgress?: (progress: ConvertProgress) => void;
}

export interface ConvertOptions extends ReadOptions {
  /**
   * Use this config instead of detecting one: it may change what the weights do not
   * fix (name, input size, thresholds, ResNet variant); the weights must still fit it.
   */
  readonly config?: KMaXConfig;
  /** Pre/post-processing style; default: 'tf' for TF checkpoints, 'pytorch' otherwise. */
  readonly processing?: ProcessingStyle;
}

export interface ConverterProvenance extends Provenance {
  readonly source: CheckpointFormat;
  readonly files: readonly SourceFile[];
}

export interface ConvertedCheckpoint {
  readonly config: KMaXConfig;
  readonly classes: ClassInfo[];
  /** PyTorch names, engine (tfjs) layouts, float32, file order. */
  readonly tensors: Map<string, EngineTensor>;
  readonly provenance: ConverterProvenance;
  /** Keys left out on purpose: counters, optimizer state, the train-only auxiliary semantic head. */
  readonly dropped: string[];
}

/** Every tensor of a checkpoint as stored, before any key mapping (`kmax inspect`). */
export interface RawCheckpoint {
  readonly format: CheckpointFormat;
  /** Float data may be views into `buffers`. */
  readonly tensors: ReadonlyMap<string, RawTensor>;
  readonly files: readonly SourceFile[];
  /** The files' bytes. */
  readonly buffers: ReadonlySet<ArrayBufferLike>;
}

export const CONVERTER_TOOL = 'kmax-lens checkpoint converter';

const DEFAULT_PROCESSING: Readonly<Record<CheckpointFormat, ProcessingStyle>> = {
  pytorch: 'pytorch',
  'pytorch-pkl': 'pytorch',
  'tf-bundle': 'tf',
};

export async function convertCheckpoint(source: CheckpointSource, options: ConvertOptions = {}): Promise<ConvertedCheckpoint> {
  if (source instanceof Blob && isZip(new Uint8Array(await source.slice(0, 4).arrayBuffer()))) return convertPytorchBlob(source, options);
  const checkpoint = await readCheckpointFiles(source, options, { skipTfBookkeeping: true });
  const progress = (converted: number, total: number) => options.onProgress?.({ status: 'convert', converted, total });
  const isTf = checkpoint.format === 'tf-bundle';
  const { tensors, dropped } = isTf
    ? convertTf(checkpoint.tensors, options.config, progress)
    : toEngineTensors(checkpoint.tensors, progress);
  ownMemory(tensors, (data) => checkpoint.buffers.has(data.buffer));
  return converted(checkpoint.format, tensors, dropped, checkpoint.files, options);
}

/**
 * A torch.save File/Blob, never read whole: one streamed pass hashes it, then the
 * zip directory, data.pkl and each storage record are read by range and each tensor
 * is converted as it arrives, so the peak is the converted tensors plus one record
 * (a 977 MB ConvNeXt-L in the page: see README, "Converting the largest variant").
 */
async function convertPytorchBlob(blob: Blob, options: ConvertOptions): Promise<ConvertedCheckpoint> {
  const [{ sha256 }] = await loadAll([blob], options.onProgress, { keep: false });
  const name = options.fileNames?.[0] ?? fileNameOf(blob);
  const files: SourceFile[] = [{ ...(name !== undefined ? { name } : {}), bytes: blob.size, sha256 }];
  const checkpoint = await openPytorchCheckpoint(randomAccessBlob(blob));
  const progress = (converted: number, total: number) => options.onProgress?.({ status: 'convert', converted, total });
  const { tensors, dropped } = await toEngineTensorsFrom(checkpoint.entries(), checkpoint.size, progress);
  // A view into part of a record (a tensor sharing its storage) would keep the whole record alive.
  ownMemory(tensors, (data) => data.byteLength !== data.buffer.byteLength);
  return converted('pytorch', tensors, dropped, files, options);
}

function converted(
  format: CheckpointFormat,
  tensors: Map<string, EngineTensor>,
  dropped: string[],
  files: readonly SourceFile[],
  options: ConvertOptions,
): ConvertedCheckpoint {
  const config = withProcessing(
    options.config ?? detectConfig(tensors, { resnetVariant: format === 'tf-bundle' ? 'tf' : 'pytorch' }),
    options.processing ?? DEFAULT_PROCESSING[format],
  );
  return {
    config,
    classes: classesOf(config),
    tensors,
    provenance: { source: format, files, createdAt: new Date().toISOString(), tool: CONVERTER_TOOL },
    dropped,
  };
}

/** Every tensor of a checkpoint in any of the three formats, unconverted. */
export function readCheckpoint(source: CheckpointSource, options: ReadOptions = {}): Promise<RawCheckpoint> {
  return readCheckpointFiles(source, options, { skipTfBookkeeping: false });
}

/**
 * Copies the engine tensors that are still views into the checkpoint's bytes (most
 * TF tensors, PyTorch norms and biases), so that the file buffers can be freed as
 * soon as the conversion returns: writing the model folder then needs no more than
 * the tensors and the shards (`kmax convert` of a 291 MB R50 .pth: peak RSS 2.2x
 * the file instead of 3.9x, together with the incremental SHA-256).
 */
function ownMemory(tensors: Map<string, EngineTensor>, isView: (data: Float32Array) => boolean): void {
  for (const [key, t] of tensors) {
    if (isView(t.data)) tensors.set(key, { shape: t.shape, data: t.data.slice() });
  }
}

/** A file with its name, as a command line or a multi-file drop gives it. */
export interface NamedCheckpointFile {
  readonly name: string;
  readonly file: CheckpointBytes;
}

/**
 * Orders loose files into a source: one file is read as it is; of several, the TF
 * index is the one whose bytes end in an SSTable footer and the rest are its data
 * shards, ordered by their `data-k-of-n` suffix when every name has one (names decide
 * only the order, never the format).
 */
export async function checkpointSourceOf(files: readonly NamedCheckpointFile[]): Promise<{
  source: CheckpointSource;
  fileNames: string[];
}> {
  if (files.length === 0) throw new CheckpointFormatError('No checkpoint file given.');
  if (files.length === 1) return { source: files[0].file, fileNames: [files[0].name] };
  const isIndex = await Promise.all(files.map((f) => isTfBundleIndex(f.file)));
  const indexes = files.filter((_, i) => isIndex[i]);
  if (indexes.length !== 1) {
    throw new CheckpointFormatError(
      `${files.length} files were given, so they should be one TensorFlow checkpoint: its ".index" file and its ` +
        `".data-*" shards. ${indexes.length === 0 ? 'None' : indexes.length} of them ${indexes.length === 1 ? 'is' : 'are'} ` +
        'a TensorFlow checkpoint index (an index that lost its end is not recognised).',
    );
  }
  const [index] = indexes;
  const shards = files.filter((f) => f !== index);
  const shardId = (name: string) => /data-(\d+)-of-\d+$/.exec(name)?.[1];
  if (shards.every((f) => shardId(f.name) !== undefined)) shards.sort((a, b) => Number(shardId(a.name)) - Number(shardId(b.name)));
  return {
    source: { index: index.file, data: shards.map((f) => f.file) },
    fileNames: [index.name, ...shards.map((f) => f.name)],
  };
}

/** SSTable footer (block handles and magic number), the last bytes of every TF checkpoint index. */
const SSTABLE_FOOTER_BYTES = 48;

/**
 * Whether a file ends in an SSTable footer, i.e. is a TF checkpoint index. Only the
 * footer is read: the table reader rejects a file without the magic number as
 * NotATfIndexError before anything else, and any later complaint (here always one,
 * as the blocks before the footer are missing) means the magic number was there.
 */
export async function isTfBundleIndex(file: CheckpointBytes): Promise<boolean> {
  const size = file instanceof Uint8Array ? file.byteLength : file.size;
  const start = Math.max(0, size - SSTABLE_FOOTER_BYTES);
  const footer = file instanceof Uint8Array ? file.subarray(start) : new Uint8Array(await file.slice(start).arrayBuffer());
  try {
    readSsTable(footer);
    return true;
  } catch (e) {
    return !(e instanceof NotATfIndexError);
  }
}

function isTfBundleFiles(source: CheckpointSource): source is TfBundleFiles {
  return !(source instanceof Uint8Array) && !(source instanceof Blob);
}

async function readCheckpointFiles(
  source: CheckpointSource,
  options: ReadOptions,
  { skipTfBookkeeping }: { skipTfBookkeeping: boolean },
): Promise<RawCheckpoint> {
  const inputs = isTfBundleFiles(source) ? [source.index, ...source.data] : [source];
  const loaded = await loadAll(inputs, options.onProgress);
  const [main, ...shards] = loaded.map((f) => f.bytes);
  const files = loaded.map(({ bytes, sha256 }, i): SourceFile => {
    const name = options.fileNames?.[i] ?? fileNameOf(inputs[i]);
    return { ...(name !== undefined ? { name } : {}), bytes: bytes.byteLength, sha256 };
  });
  const read = { files, buffers: new Set(loaded.map((f) => f.bytes.buffer)) };
  if (isTfBundleFiles(source)) {
    const include = skipTfBookkeeping ? (key: string) => !isTfBookkeepingKey(key) : undefined;
    return { format: 'tf-bundle', tensors: readTfBundle(main, shards, { include }), ...read };
  }
  if (isZip(main) || isLegacyTorchFile(main)) return { format: 'pytorch', tensors: readPytorchCheckpoint(main), ...read };
  if (isPickle(main)) return { format: 'pytorch-pkl', tensors: readNumpyPickle(main), ...read };
  if (await isTfBundleIndex(main)) {
    throw new CheckpointFormatError(
      'This is the index of a TensorFlow checkpoint; its tensors are in the "*.data-00000-of-0000N" file(s): pass those too.',
    );
  }
  throw new CheckpointFormatError(
    'This file is not a kMaX-DeepLab checkpoint: expected a PyTorch torch.save file (.pth), a detectron2 pickle (.pkl), ' +
      'or a TensorFlow checkpoint (.index with its .data-* files).',
  );
}

/**
 * TF tensors -> engine tensors. The class heads' order depends on the dataset, known
 * from the config or else from the final class head's size (C+1: 134, 20 or 151).
 * Without a final class head nothing is re-ordered: the key map then reports foreign
 * keys, or detection the missing head.
 */
function convertTf(raw: ReadonlyMap<string, RawTensor>, config: KMaXConfig | undefined, progress: (done: number, total: number) => void) {
  progress(0, raw.size);
  const classes = finalClassHead(raw)?.shape[0];
  const dataset = config?.dataset ?? (classes === undefined ? 'none' : datasetOfClassCount(classes - 1));
  const converted = convertTfCheckpoint(raw, dataset);
  progress(raw.size, raw.size);
  return converted;
}

function finalClassHead(raw: ReadonlyMap<string, RawTensor>): RawTensor | undefined {
  for (const [key, tensor] of raw) {
    if (tfKeyRule(key)?.name === FINAL_CLASS_BIAS) return tensor;
  }
  return undefined;
}

function withProcessing(config: KMaXConfig, processing: ProcessingStyle): KMaXConfig {
  return config.processing === processing ? config : { ...config, processing };
}

/**
 * Every input's bytes and SHA-256; Blobs are streamed, with progress over all files
 * together. The hash is computed incrementally (WebCrypto's one-shot digest copies
 * its input, which would add a whole file to the peak memory).
 */
async function loadAll(
  inputs: readonly CheckpointBytes[],
  onProgress: ReadOptions['onProgress'],
  { keep }: { keep: boolean } = { keep: true },
): Promise<{ bytes: Uint8Array; sha256: string }[]> {
  const total = inputs.reduce((n, input) => n + (input instanceof Uint8Array ? input.byteLength : input.size), 0);
  let loaded = 0;
  const out: { bytes: Uint8Array; sha256: string }[] = [];
  for (const input of inputs) {
    const hash = sha256.create();
    const onChunk = (chunk: Uint8Array) => {
      hash.update(chunk);
      loaded += chunk.byteLength;
      onProgress?.({ status: 'read', loaded, total });
    };
    const bytes = input instanceof Uint8Array ? input : await readBlob(input, onChunk, keep);
    if (input instanceof Uint8Array) onChunk(input);
    out.push({ bytes, sha256: bytesToHex(hash.digest()) });
  }
  return out;
}

/** Reads a File/Blob into one buffer (or only streams it by, `keep` false), handing on each chunk. */
async function readBlob(blob: Blob, onChunk: (chunk: Uint8Array) => void, keep: boolean): Promise<Uint8Array> {
  const bytes = new Uint8Array(keep ? blob.size : 0);
  let offset = 0;
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (keep) bytes.set(value, offset);
    offset += value.byteLength;
    onChunk(value);
  }
  return bytes;
}

function fileNameOf(input: CheckpointBytes): string | undefined {
  return typeof File !== 'undefined' && input instanceof File ? input.name : undefined;
}

/** Known datasets get their class list; others get numbered placeholders (names are not in the weights). */
export function classesOf(config: KMaXConfig): ClassInfo[] {
  if (datasetNames().includes(config.dataset)) return datasetClasses(config.dataset);
  return Array.from({ length: config.numClasses }, (_, id) => ({
    id,
    datasetId: id,
    name: `class ${id}`,
    isThing: true,
    color: placeholderColor(id),
  }));
}

/** Well-spread hues (golden angle), full saturation, for placeholder classes. */
function placeholderColor(id: number): [number, number, number] {
  const hue = (id * 137.508) % 360;
  const channel = (n: number) => {
    const k = (n + hue / 60) % 6;
    return Math.round(255 * (1 - Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [channel(5), channel(3), channel(1)];
}
