import * as tf from '@tensorflow/tfjs-core';
import type { ClassInfo, KMaXConfig } from '../model/config';
import { toFloat16Array } from './float16';
import { ATTENTION_MODES } from '../segmenter/types';
import { MODEL_FORMAT, type ModelJson, type Provenance } from './model-format';

/** A tensor in engine layout, outside tfjs (for writers and converters). */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface ModelFiles {
  readonly modelJson: ModelJson;
  /** Shard file name -> bytes, in manifest order. */
  readonly shards: ReadonlyMap<string, Uint8Array>;
}

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
}

const SHARD_BYTES = 4 * 1024 * 1024;

/** Writes a model folder: one manifest group, shards of ~4 MB, float32 or float16 storage. */
export function encodeModelFolder(args: {
  config: KMaXConfig;
  classes: readonly ClassInfo[];
  provenance: Provenance;
  tensors: ReadonlyMap<string, HostTensor>;
  fp16?: boolean;
}): ModelFiles {
  const fp16 = args.fp16 ?? false;
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const [name, t] of args.tensors) {
    const spec: tf.io.WeightsManifestEntry = { name, shape: [...t.shape], dtype: 'float32' };
    if (fp16) {
      spec.quantization = { dtype: 'float16' };
      chunks.push(new Uint8Array(toFloat16Array(t.data).buffer));
    } else {
      chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    specs.push(spec);
  }
  const shards = splitIntoShards(chunks, SHARD_BYTES);
  const names = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
  const modelJson: ModelJson = {
    format: MODEL_FORMAT,
    config: args.config,
    classes: args.classes,
    provenance: args.provenance,
    weightsManifest: [{ paths: names, weights: specs }],
  };
  return { modelJson, shards: new Map(names.map((n, i) => [n, shards[i]])) };
}

function splitIntoShards(chunks: readonly Uint8Array[], shardBytes: number): Uint8Array[] {
  const total = chunks.reduce((s, c) => s + c.byteLength, 0);
  const shards: Uint8Array[] = [];
  let current = new Uint8Array(Math.min(shardBytes, total));
  let offset = 0;
  let remaining = total;
  for (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - pos, current.byteLength - offset);
      current.set(chunk.subarray(pos, pos + n), offset);
      offset += n;
      pos += n;
      remaining -= n;
      if (offset === current.byteLength && remaining > 0) {
        shards.push(current);
        current = new Uint8Array(Math.min(shardBytes, remaining));
        offset = 0;
      }
    }
  }
  shards.push(current);
  return shards;
}

/** Parses and sanity-checks `model.json` text. */
export function parseModelJson(text: string, source = 'model.json'): ModelJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) throw new ModelFormatError(`${source} is not a JSON object`);
  const json = value as Partial<ModelJson>;
  if (json.format !== MODEL_FORMAT) {
    throw new ModelFormatError(`${source} is not a kMaX Lens model (format "${String(json.format)}", expected "${MODEL_FORMAT}")`);
  }
  if (!Array.isArray(json.weightsManifest) || json.config === undefined || !Array.isArray(json.classes)) {
    throw new ModelFormatError(`${source} lacks config, classes or weightsManifest`);
  }
  const trained: unknown = json.provenance?.trainedAttention;
  if (trained !== undefined && !ATTENTION_MODES.some((m) => m === trained)) {
    throw new ModelFormatError(`${source}: provenance.trainedAttention is "${String(trained)}", expected one of ${ATTENTION_MODES.join(', ')}`);
  }
  return json as ModelJson;
}

/** Bytes each manifest entry occupies in the shards. */
export function entryBytes(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = dtype === 'float16' ? 2 : dtype === 'uint8' || dtype === 'bool' ? 1 : 4;
  return count * size;
}

/** Total weight bytes the manifest promises (known before any shard is fetched). */
export function manifestBytes(modelJson: ModelJson): number {
  return modelJson.weightsManifest.reduce((s, g) => s + g.weights.reduce((t, w) => t + entryBytes(w), 0), 0);
}

/** Shard bytes (by file name) -> tfjs tensors keyed by name; float16 is dequantised. */
export function decodeModelWeights(modelJson: ModelJson, shards: ReadonlyMap<string, Uint8Array>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const group of modelJson.weightsManifest) {
    const parts = group.paths.map((p) => {
      const bytes = shards.get(p);
      if (bytes === undefined) throw new ModelFormatError(`weight shard "${p}" is missing`);
      return bytes;
    });
    const size = parts.reduce((s, p) => s + p.byteLength, 0);
    const expected = group.weights.reduce((s, w) => s + entryBytes(w), 0);
    if (size !== expected) {
      throw new ModelFormatError(
        `weight shards ${group.paths.join(', ')} hold ${size} bytes but the manifest describes ${expected} (truncated or mismatched files)`,
      );
    }
    const buffer = new Uint8Array(size);
    let offset = 0;
    for (const p of parts) {
      buffer.set(p, offset);
      offset += p.byteLength;
    }
    const decoded = tf.io.decodeWeights(buffer.buffer, group.weights);
    for (const [name, t] of Object.entries(decoded)) out.set(name, t);
  }
  return out;
}
