import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KMaXConfig } from '../model/config';
import { decodeModelWeights, encodeModelFolder, ModelFormatError, ModelIntegrityError, parseModelJson } from './model-folder';
import type { ModelJson } from './model-format';

const CONFIG = { name: 'small', inputSize: [65, 97], dataset: 'coco_panoptic' } as unknown as KMaXConfig;

/** ~9 MB of float32 weights: three shards of at most 4 MB (written once, shared read-only). */
let written: ReturnType<typeof encodeModelFolder> | undefined;
function folder() {
  written ??= write();
  return written;
}

function write() {
  const big = new Float32Array(2_300_000).map((_, i) => (i % 1000) / 7);
  return encodeModelFolder({
    config: CONFIG,
    classes: [],
    provenance: { source: 'random-init', tool: 'test' },
    tensors: new Map([
      ['a', { shape: [big.length], data: big }],
      ['b', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
    ]),
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('shard integrity', () => {
  it('model.json records the SHA-256 of every shard the writer produced', () => {
    const { modelJson, shards } = folder();
    expect([...shards.keys()]).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    for (const [path, bytes] of shards) expect(modelJson.shardSha256?.[path]).toBe(bytesToHex(sha256(bytes)));
    const back = parseModelJson(JSON.stringify(modelJson));
    expect(back.shardSha256).toEqual(modelJson.shardSha256);
  });

  it('intact shards load; one changed byte in the second shard is a ModelIntegrityError naming it', () => {
    const { modelJson, shards } = folder();
    const weights = decodeModelWeights(modelJson, shards);
    expect(Array.from(weights.get('b')!.dataSync())).toEqual([1, 2, 3, 4]);
    for (const t of weights.values()) t.dispose();

    const damaged = new Map(shards);
    const second = shards.get('group1-shard2of3.bin')!.slice();
    second[12345] ^= 0x40;
    damaged.set('group1-shard2of3.bin', second);
    const before = tf.memory().numTensors;
    expect(() => decodeModelWeights(modelJson, damaged)).toThrow(ModelIntegrityError);
    expect(() => decodeModelWeights(modelJson, damaged)).toThrow(/^weight shard "group1-shard2of3\.bin" is corrupted/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a folder written before hashes existed still loads; a malformed hash table is a ModelFormatError', () => {
    const { modelJson, shards } = folder();
    const legacy: ModelJson = { ...modelJson, shardSha256: undefined };
    expect(JSON.stringify(legacy)).not.toContain('shardSha256');
    const weights = decodeModelWeights(legacy, shards);
    expect(weights.size).toBe(2);
    for (const t of weights.values()) t.dispose();
    expect(() => parseModelJson(JSON.stringify({ ...modelJson, shardSha256: { 'group1-shard1of3.bin': 'abc' } }))).toThrow(ModelFormatError);
  });
});

describe('parseModelJson checks the manifest before sizes are computed from it', () => {
  it('names a non-string format readably (a fuzz case printed "[object Object]")', () => {
    expect(() => parseModelJson(JSON.stringify({ ...folder().modelJson, format: {} }))).toThrow(
      'model.json is not a kMaX Lens model (format {}, expected "kmax-lens-model/1")',
    );
  });

  const json = (weights: unknown) => JSON.stringify({ ...folder().modelJson, weightsManifest: [{ paths: ['x.bin'], weights }] });
  it.each([
    [[{ name: 'w', shape: [2, -1], dtype: 'float32' }], /weight "w" has an invalid shape \[2,-1\]/],
    [[{ name: 'w', shape: [1e9, 1e9], dtype: 'float32' }], /weight "w" has an invalid shape/],
    [[{ name: 'w', shape: '12', dtype: 'float32' }], /weight "w" has an invalid shape "12"/],
    [[{ name: 'w', dtype: 'float32' }], /weight "w" has no shape$/],
    [[{ name: 'w', shape: [2] }], /weight "w" has no dtype$/],
    [[{ name: 'w', shape: [2], dtype: 'complex64' }], /weight "w" has an unsupported dtype "complex64"/],
    [[{ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1 } }], /unsupported quantization/],
    [[{ shape: [2], dtype: 'float32' }], /weight #0 has no name/],
    [[{ name: 'w', shape: [2], dtype: 'float32' }, { name: 'w', shape: [2], dtype: 'float32' }], /weight "w" appears twice/],
  ])('%j', (weights, message) => {
    expect(() => parseModelJson(json(weights))).toThrow(ModelFormatError);
    expect(() => parseModelJson(json(weights))).toThrow(message);
  });
});
