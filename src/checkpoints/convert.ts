import { datasetClasses, datasetNames } from '../datasets';
import type { Provenance } from '../loading/model-format';
import type { ClassInfo, KMaXConfig, ProcessingStyle } from '../model/config';
import { datasetOfClassCount, detectConfig, FINAL_CLASS_BIAS } from './detect-config';
import { CheckpointFormatError } from './errors';
import { isTfBookkeepingKey, tfKeyRule } from './key-maps/tf';
import { convertTfCheckpoint } from './key-maps/tf-convert';
import { isPickle, readNumpyPickle } from './numpy/read-pickle';
import { isLegacyTorchFile, readPytorchCheckpoint } from './pytorch/read-checkpoint';
import { isZip } from './pytorch/zip';
import type { RawTensor } from './raw-tensor';
import { readTfBundle } from './tf-bundle/read-bundle';
import { readSsTable } from './tf-bundle/sstable';
import { NotATfIndexError } from './tf-bundle/errors';
import { toEngineTensors, type EngineTensor } from './to-engine';

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

/** A file the weights came from. */
export interface SourceFile {
  readonly name?: string;
  readonly bytes: number;
  readonly sha256: string;
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
  readonly tensors: ReadonlyMap<string, RawTensor>;
  readonly files: readonly SourceFile[];
}

export const CONVERTER_TOOL = 'kmax-lens checkpoint converter';

const DEFAULT_PROCESSING: Readonly<Record<CheckpointFormat, ProcessingStyle>> = {
  pytorch: 'pytorch',
  'pytorch-pkl': 'pytorch',
  'tf-bundle': 'tf',
};

export async function convertCheckpoint(source: CheckpointSource, options: ConvertOptions = {}): Promise<ConvertedCheckpoint> {
  const checkpoint = await readCheckpointFiles(source, options, { skipTfBookkeeping: true });
  const progress = (converted: number, total: number) => options.onProgress?.({ status: 'convert', converted, total });
  const isTf = checkpoint.format === 'tf-bundle';
  const { tensors, dropped } = isTf
    ? convertTf(checkpoint.tensors, options.config, progress)
    : toEngineTensors(checkpoint.tensors, progress);
  const config = withProcessing(
    options.config ?? detectConfig(tensors, { resnetVariant: isTf ? 'tf' : 'pytorch' }),
    options.processing ?? DEFAULT_PROCESSING[checkpoint.format],
  );
  return {
    config,
    classes: classesOf(config),
    tensors,
    provenance: { source: checkpoint.format, files: checkpoint.files, createdAt: new Date().toISOString(), tool: CONVERTER_TOOL },
    dropped,
  };
}

/** Every tensor of a checkpoint in any of the three formats, unconverted. */
export function readCheckpoint(source: CheckpointSource, options: ReadOptions = {}): Promise<RawCheckpoint> {
  return readCheckpointFiles(source, options, { skipTfBookkeeping: false });
}

/**
 * Orders loose files (e.g. a command line or a multi-file drop) into a source: one
 * file is read as it is; of several, the TF index is the one whose bytes are an
 * SSTable and the rest are its data shards, ordered by their `data-k-of-n` suffix
 * when every name has one (names decide only the order, never the format).
 */
export function checkpointSourceOf(files: readonly { readonly name: string; readonly bytes: Uint8Array }[]): {
  source: CheckpointSource;
  fileNames: string[];
} {
  if (files.length === 0) throw new CheckpointFormatError('No checkpoint file given.');
  if (files.length === 1) return { source: files[0].bytes, fileNames: [files[0].name] };
  const indexes = files.filter((f) => isTfBundleIndex(f.bytes));
  if (indexes.length !== 1) {
    throw new CheckpointFormatError(
      `${files.length} files were given, so they should be one TensorFlow checkpoint: exactly one ".index" file and its ` +
        `".data-*" shards; ${indexes.length === 0 ? 'none' : indexes.length} of them ${indexes.length === 1 ? 'is' : 'are'} ` +
        'a TensorFlow checkpoint index (a damaged or truncated index is not recognised).',
    );
  }
  const index = indexes[0];
  const shards = files.filter((f) => f !== index);
  const shardId = (name: string) => /data-(\d+)-of-\d+$/.exec(name)?.[1];
  if (shards.every((f) => shardId(f.name) !== undefined)) shards.sort((a, b) => Number(shardId(a.name)) - Number(shardId(b.name)));
  return {
    source: { index: index.bytes, data: shards.map((f) => f.bytes) },
    fileNames: [index.name, ...shards.map((f) => f.name)],
  };
}

/** An SSTable, i.e. a TF checkpoint index (its footer is checked first, so other files are rejected at once). */
export function isTfBundleIndex(bytes: Uint8Array): boolean {
  try {
    readSsTable(bytes);
    return true;
  } catch (e) {
    if (e instanceof NotATfIndexError) return false;
    return true; // an index with a damaged block: readTfBundle names the damage
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
  const [main, ...shards] = await loadAll(inputs, options.onProgress);
  const files = await Promise.all(
    [main, ...shards].map(async (bytes, i) => {
      const name = options.fileNames?.[i] ?? fileNameOf(inputs[i]);
      return { ...(name !== undefined ? { name } : {}), bytes: bytes.byteLength, sha256: await sha256(bytes) };
    }),
  );
  if (isTfBundleFiles(source)) {
    const include = skipTfBookkeeping ? (key: string) => !isTfBookkeepingKey(key) : undefined;
    return { format: 'tf-bundle', tensors: readTfBundle(main, shards, { include }), files };
  }
  if (isZip(main) || isLegacyTorchFile(main)) return { format: 'pytorch', tensors: readPytorchCheckpoint(main), files };
  if (isPickle(main)) return { format: 'pytorch-pkl', tensors: readNumpyPickle(main), files };
  if (isTfBundleIndex(main)) {
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
 */
function convertTf(raw: ReadonlyMap<string, RawTensor>, config: KMaXConfig | undefined, progress: (done: number, total: number) => void) {
  progress(0, raw.size);
  const converted = convertTfCheckpoint(raw, config?.dataset ?? datasetOfClassCount(tfClassCount(raw)));
  progress(raw.size, raw.size);
  return converted;
}

function tfClassCount(raw: ReadonlyMap<string, RawTensor>): number {
  for (const [key, tensor] of raw) {
    if (tfKeyRule(key)?.name === FINAL_CLASS_BIAS) return tensor.shape[0] - 1;
  }
  throw new CheckpointFormatError(
    'This TensorFlow checkpoint has no kMaX-DeepLab class head (transformer_class_head/_conv/bias): ' +
      'it is not a kMaX-DeepLab checkpoint, or it is incomplete.',
  );
}

function withProcessing(config: KMaXConfig, processing: ProcessingStyle): KMaXConfig {
  return config.processing === processing ? config : { ...config, processing };
}

/** Every input's bytes; Blobs are streamed, with progress over all files together. */
async function loadAll(inputs: readonly CheckpointBytes[], onProgress: ReadOptions['onProgress']): Promise<Uint8Array[]> {
  const total = inputs.reduce((n, input) => n + (input instanceof Uint8Array ? input.byteLength : input.size), 0);
  let loaded = 0;
  const report = (n: number) => {
    loaded += n;
    onProgress?.({ status: 'read', loaded, total });
  };
  const out: Uint8Array[] = [];
  for (const input of inputs) {
    if (input instanceof Uint8Array) {
      out.push(input);
      report(input.byteLength);
    } else {
      out.push(await readBlob(input, report));
    }
  }
  return out;
}

/** Reads a File/Blob into one buffer, reporting each chunk. */
async function readBlob(blob: Blob, onChunk: (bytes: number) => void): Promise<Uint8Array> {
  const bytes = new Uint8Array(blob.size);
  let offset = 0;
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes.set(value, offset);
    offset += value.byteLength;
    onChunk(value.byteLength);
  }
  return bytes;
}

function fileNameOf(input: CheckpointBytes): string | undefined {
  return typeof File !== 'undefined' && input instanceof File ? input.name : undefined;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Known datasets get their class list; others get numbered placeholders (names are not in the weights). */
function classesOf(config: KMaXConfig): ClassInfo[] {
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
