import { datasetClasses, datasetNames } from '../datasets';
import { toFloat16Array } from '../loading/float16';
import type { Provenance } from '../loading/model-format';
import type { ClassInfo, KMaXConfig } from '../model/config';
import { detectConfig } from './detect-config';
import { CheckpointFormatError } from './errors';
import { isPickle, readNumpyPickle } from './numpy/read-pickle';
import { isLegacyTorchFile, readPytorchCheckpoint } from './pytorch/read-checkpoint';
import { isZip } from './pytorch/zip';
import type { StateDict } from './state-dict';
import { toEngineTensors } from './to-engine';

/**
 * An official PyTorch checkpoint (torch.save `.pth` or detectron2 `.pkl`) -> what a
 * model folder needs: detected config, class list, engine-layout tensors and
 * provenance. Runs in Node and in a Web Worker (no fs, no DOM); writing model.json
 * and shards is src/loading's job.
 */

export type ConvertProgress =
  | { readonly status: 'read'; readonly loaded: number; readonly total: number }
  | { readonly status: 'convert'; readonly converted: number; readonly total: number };

export interface ConvertOptions {
  /** Shown in the provenance; the format is sniffed from the bytes, not the name. */
  readonly fileName?: string;
  /** Store weights as float16 bits (half the size; tfjs dequantises on load). */
  readonly float16?: boolean;
  /** Use this config instead of detecting one (the weights must still fit it). */
  readonly config?: KMaXConfig;
  readonly onProgress?: (progress: ConvertProgress) => void;
}

export interface ConvertedTensor {
  readonly shape: number[];
  /** float32 values, or float16 bits when `dtype` is 'float16'. */
  readonly data: Float32Array | Uint16Array;
}

export interface ConvertedCheckpoint {
  readonly config: KMaXConfig;
  readonly classes: ClassInfo[];
  readonly dtype: 'float32' | 'float16';
  /** PyTorch names, engine (tfjs) layouts, file order. */
  readonly tensors: Map<string, ConvertedTensor>;
  readonly provenance: Provenance;
  /** Keys left out on purpose: num_batches_tracked and the train-only auxiliary semantic head. */
  readonly dropped: string[];
}

export const CONVERTER_TOOL = 'kmax-lens checkpoint converter';

export async function convertCheckpoint(source: Uint8Array | Blob, options: ConvertOptions = {}): Promise<ConvertedCheckpoint> {
  const bytes = source instanceof Uint8Array ? source : await readBlob(source, options.onProgress);
  if (source instanceof Uint8Array) options.onProgress?.({ status: 'read', loaded: bytes.byteLength, total: bytes.byteLength });
  const { format, stateDict } = readStateDict(bytes);
  const config = options.config ?? detectConfig(stateDict);
  const { tensors: engine, dropped } = toEngineTensors(stateDict, (converted, total) =>
    options.onProgress?.({ status: 'convert', converted, total }),
  );
  const tensors = new Map<string, ConvertedTensor>();
  for (const [key, t] of engine) tensors.set(key, options.float16 ? { shape: t.shape, data: toFloat16Array(t.data) } : t);
  return {
    config,
    classes: classesOf(config),
    dtype: options.float16 ? 'float16' : 'float32',
    tensors,
    provenance: {
      source: format,
      ...(options.fileName !== undefined ? { fileName: options.fileName } : {}),
      bytes: bytes.byteLength,
      sha256: await sha256(bytes),
      createdAt: new Date().toISOString(),
      tool: CONVERTER_TOOL,
    },
    dropped,
  };
}

/** Sniffs the container: a torch.save zip, or a detectron2 pickle of numpy arrays. */
function readStateDict(bytes: Uint8Array): { format: 'pytorch' | 'pytorch-pkl'; stateDict: StateDict } {
  if (isZip(bytes) || isLegacyTorchFile(bytes)) return { format: 'pytorch', stateDict: readPytorchCheckpoint(bytes) };
  if (isPickle(bytes)) return { format: 'pytorch-pkl', stateDict: readNumpyPickle(bytes) };
  throw new CheckpointFormatError(
    'This file is not a kMaX-DeepLab PyTorch checkpoint: expected a torch.save file (.pth) or a detectron2 pickle (.pkl).',
  );
}

/** Reads a File/Blob into one buffer, reporting progress per chunk. */
async function readBlob(blob: Blob, onProgress: ConvertOptions['onProgress']): Promise<Uint8Array> {
  const bytes = new Uint8Array(blob.size);
  let loaded = 0;
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes.set(value, loaded);
    loaded += value.byteLength;
    onProgress?.({ status: 'read', loaded, total: blob.size });
  }
  return bytes;
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
