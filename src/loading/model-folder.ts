import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as tf from '@tensorflow/tfjs-core';
import type { ClassInfo, KMaXConfig } from '../model/config';
import { toFloat16Array } from './float16';
import { ATTENTION_MODES } from '../segmenter/types';
import { MODEL_FORMAT, type ModelJson, type Provenance } from './model-format';
import type { HostTensor } from '../model/weights';

export type { HostTensor };

/** A tensor in engine layout, outside tfjs (for writers and converters). */

export interface ModelFiles {
  readonly modelJson: ModelJson;
  /** Shard file name -> bytes, in manifest order. */
  readonly shards: ReadonlyMap<string, Uint8Array>;
}

export class ModelFormatError extends Error {
  override readonly name: string = 'ModelFormatError';
}

/** A shard's bytes are not the ones model.json records: the file was damaged after it was written. */
export class ModelIntegrityError extends ModelFormatError {
  override readonly name = 'ModelIntegrityError';
  constructor(
    /** The damaged shard's path. */
    readonly shard: string,
    expected: string,
    actual: string,
  ) {
    super(
      `weight shard "${shard}" is corrupted: its SHA-256 is ${actual.slice(0, 16)}… but model.json records ${expected.slice(0, 16)}… ` +
        '(the file changed after the model was written); download or convert the model again',
    );
  }
}

/** SHA-256 of every shard, by path, as model.json records them. */
export function shardHashes(shards: ReadonlyMap<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries([...shards].map(([path, bytes]) => [path, bytesToHex(sha256(bytes))]));
}

/** Throws ModelIntegrityError for the first shard whose bytes do not hash to the recorded SHA-256. */
export function verifyShards(modelJson: ModelJson, shards: ReadonlyMap<string, Uint8Array>): void {
  const recorded = modelJson.shardSha256;
  if (recorded === undefined) return;
  for (const [path, expected] of Object.entries(recorded)) {
    const bytes = shards.get(path);
    if (bytes === undefined) continue; // a missing shard is reported by name where it is needed
    const actual = bytesToHex(sha256(bytes));
    if (actual !== expected) throw new ModelIntegrityError(path, expected, actual);
  }
}

const SHARD_BYTES = 4 * 1024 * 1024;

interface ModelFolderArgs {
  config: KMaXConfig;
  classes: readonly ClassInfo[];
  provenance: Provenance;
  tensors: ReadonlyMap<string, HostTensor>;
  fp16?: boolean;
}

/** Writes a model folder: one manifest group, shards of ~4 MB, float32 or float16 storage. */
export function encodeModelFolder(args: ModelFolderArgs): ModelFiles {
  const folder = streamModelFolder(args);
  const shards = new Map(folder.shards());
  return { modelJson: folder.modelJson(), shards };
}

/** A model folder made shard by shard, so that a writer holds one shard at a time. */
export interface StreamedModelFolder {
  /** Shard bytes of every tensor together. */
  readonly totalBytes: number;
  /** The shards in manifest order, each made when it is asked for. */
  shards(): Iterable<[string, Uint8Array]>;
  /** model.json, with every shard's SHA-256: once shards() has run to its end. */
  modelJson(): ModelJson;
}

export function streamModelFolder(args: ModelFolderArgs): StreamedModelFolder {
  const fp16 = args.fp16 ?? false;
  const specs: tf.io.WeightsManifestEntry[] = [...args.tensors].map(([name, t]) => ({
    name,
    shape: [...t.shape],
    dtype: 'float32',
    ...(fp16 ? { quantization: { dtype: 'float16' as const } } : {}),
  }));
  const totalBytes = [...args.tensors.values()].reduce((n, t) => n + t.data.length * (fp16 ? 2 : 4), 0);
  const count = Math.max(1, Math.ceil(totalBytes / SHARD_BYTES));
  const names = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  const hashes: Record<string, string> = {};
  function* shards(): Generator<[string, Uint8Array]> {
    let index = 0;
    let current = new Uint8Array(Math.min(SHARD_BYTES, totalBytes));
    let offset = 0;
    let remaining = totalBytes;
    const done = (): [string, Uint8Array] => {
      const name = names[index++];
      hashes[name] = bytesToHex(sha256(current));
      return [name, current];
    };
    for (const t of args.tensors.values()) {
      const chunk = fp16 ? new Uint8Array(toFloat16Array(t.data).buffer) : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      let pos = 0;
      while (pos < chunk.byteLength) {
        const n = Math.min(chunk.byteLength - pos, current.byteLength - offset);
        current.set(chunk.subarray(pos, pos + n), offset);
        offset += n;
        pos += n;
        remaining -= n;
        if (offset === current.byteLength && remaining > 0) {
          yield done();
          current = new Uint8Array(Math.min(SHARD_BYTES, remaining));
          offset = 0;
        }
      }
    }
    yield done();
  }
  return {
    totalBytes,
    shards,
    modelJson: () => {
      if (Object.keys(hashes).length !== names.length) throw new Error('model.json is known once every shard is written');
      return {
        format: MODEL_FORMAT,
        config: args.config,
        classes: args.classes,
        provenance: args.provenance,
        weightsManifest: [{ paths: names, weights: specs }],
        shardSha256: Object.fromEntries(names.map((n) => [n, hashes[n]])),
      };
    },
  };
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
    throw new ModelFormatError(`${source} is not a kMaX Lens model (format ${JSON.stringify(json.format) ?? 'missing'}, expected "${MODEL_FORMAT}")`);
  }
  if (!Array.isArray(json.weightsManifest) || typeof json.config !== 'object' || json.config === null || !Array.isArray(json.classes)) {
    throw new ModelFormatError(`${source} lacks config, classes or weightsManifest`);
  }
  const trained: unknown = json.provenance?.trainedAttention;
  if (trained !== undefined && !ATTENTION_MODES.some((m) => m === trained)) {
    throw new ModelFormatError(`${source}: provenance.trainedAttention is "${String(trained)}", expected one of ${ATTENTION_MODES.join(', ')}`);
  }
  const names = new Set<string>();
  json.weightsManifest.forEach((group, g) => checkGroup(group, `${source}: weightsManifest[${g}]`, names));
  if (json.shardSha256 !== undefined) {
    const hashes = json.shardSha256 as unknown;
    if (typeof hashes !== 'object' || hashes === null || !Object.values(hashes).every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) {
      throw new ModelFormatError(`${source}: shardSha256 must map each shard to a 64-digit hex SHA-256`);
    }
  }
  return json as ModelJson;
}

const WEIGHT_DTYPES = new Set(['float32', 'int32', 'bool']);

/** A manifest group as tfjs would read it, checked before any size is computed from it. */
function checkGroup(group: unknown, where: string, names: Set<string>): void {
  const g = group as { paths?: unknown[]; weights?: (Partial<tf.io.WeightsManifestEntry> | null)[] } | null;
  if (typeof g !== 'object' || g === null || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
    throw new ModelFormatError(`${where} needs "paths" and "weights" lists`);
  }
  if (!g.paths.every((p) => typeof p === 'string' && p.length > 0)) throw new ModelFormatError(`${where}: every path must be a file name`);
  g.weights.forEach((w, i) => {
    const name = typeof w?.name === 'string' ? `"${w.name}"` : `#${i}`;
    if (typeof w !== 'object' || w === null || typeof w.name !== 'string') throw new ModelFormatError(`${where}: weight ${name} has no name`);
    if (names.has(w.name)) throw new ModelFormatError(`${where}: weight ${name} appears twice`);
    names.add(w.name);
    if (w.shape === undefined) throw new ModelFormatError(`${where}: weight ${name} has no shape`);
    if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Number.isSafeInteger(w.shape.reduce((a, b) => a * b, 1) * 4)) {
      throw new ModelFormatError(`${where}: weight ${name} has an invalid shape ${JSON.stringify(w.shape)}`);
    }
    if (w.dtype === undefined) throw new ModelFormatError(`${where}: weight ${name} has no dtype`);
    if (typeof w.dtype !== 'string' || !WEIGHT_DTYPES.has(w.dtype)) throw new ModelFormatError(`${where}: weight ${name} has an unsupported dtype ${JSON.stringify(w.dtype)}`);
    const quantization = w.quantization as { dtype?: unknown } | undefined;
    if (quantization !== undefined && (typeof quantization !== 'object' || quantization === null || quantization.dtype !== 'float16' || w.dtype !== 'float32')) {
      throw new ModelFormatError(`${where}: weight ${name} has an unsupported quantization ${JSON.stringify(quantization)} (only float16 storage of float32 weights)`);
    }
  });
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
  // Missing and truncated shards are named as such before the hashes would call them corrupted.
  const groups = modelJson.weightsManifest.map((group) => {
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
    return { group, parts, size };
  });
  verifyShards(modelJson, shards);
  const out = new Map<string, tf.Tensor>();
  for (const { group, parts, size } of groups) {
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
