import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkOutcome, FuzzTally, fuzzParameters, fuzzTimeout, mutatedFile, type Seed } from '../test-utils/fuzz';
import { seedFile } from '../test-utils/fuzz-seeds';
import { fetchModel } from './load-model';
import { decodeModelWeights, encodeModelFolder, ModelFormatError } from './model-folder';
import type { ModelJson } from './model-format';

const isTyped = (e: unknown) => e instanceof ModelFormatError;

const SHARD_NAME = 'group1-shard1of1.bin';

/**
 * Seeds: the shipped demo model.json and small folders as a conversion writes them
 * (float32 and float16 storage, with shard hashes). The small
 * folders keep each case cheap on a shared machine; the readers are the same.
 */
const DEMO_JSON = seedFile('models/demo/model.json');
const DEMO_SHARD = seedFile(`models/demo/${SHARD_NAME}`).bytes;
const demo = JSON.parse(new TextDecoder().decode(DEMO_JSON.bytes)) as ModelJson;

const SMALL = [false, true].map((fp16) =>
  encodeModelFolder({
    config: demo.config,
    classes: demo.classes,
    provenance: { source: 'random-init', tool: 'fuzz' },
    tensors: new Map([
      ['backbone.stem.conv.weight', { shape: [3, 3, 3, 4], data: Float32Array.from({ length: 108 }, (_, i) => i / 7 - 5) }],
      ['backbone.stem.norm.bias', { shape: [4], data: new Float32Array([1, -2, 3.5, 0]) }],
      ['predictor.class_embed.weight', { shape: [8, 5], data: Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)) }],
    ]),
    fp16,
  }),
);
const smallJson = (i: number) => SMALL[i].modelJson;
const smallShard = (i: number) => SMALL[i].shards.get(SHARD_NAME) as Uint8Array;
const encode = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));

const JSON_SEEDS: Seed[] = [DEMO_JSON, { name: 'small float32', bytes: encode(smallJson(0)) }, { name: 'small float16', bytes: encode(smallJson(1)) }];
const shardFor = (seed: string) => (seed === DEMO_JSON.name ? DEMO_SHARD : seed === 'small float32' ? smallShard(0) : smallShard(1));

/** Loads a folder as the app does (files source) and decodes its weights; the tensors are freed. */
async function load(files: Map<string, Uint8Array>): Promise<void> {
  const { modelJson, shards } = await fetchModel({ kind: 'files', files });
  const weights = decodeModelWeights(modelJson, shards);
  for (const t of weights.values()) t.dispose();
}

/** Structural edits of model.json: what a hand-edited or half-written manifest looks like. */
const manifestEdit = fc.oneof(
  fc.record({ kind: fc.constant('shape' as const), weight: fc.nat(), dim: fc.nat(), value: fc.constantFrom(0, 1, 2 ** 31, 2 ** 53, -1, 1.5, 1e300) }),
  fc.record({ kind: fc.constant('duplicate' as const), weight: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), weight: fc.nat() }),
  fc.record({ kind: fc.constant('dtype' as const), weight: fc.nat(), dtype: fc.constantFrom('float16', 'int32', 'string', 'bool', null) }),
  fc.record({ kind: fc.constant('quantization' as const), weight: fc.nat(), value: fc.constantFrom(null, {}, { dtype: 'uint8' }, { dtype: 'float16' }) }),
  fc.record({ kind: fc.constant('paths' as const), value: fc.constantFrom([], ['missing.bin'], [SHARD_NAME, SHARD_NAME], [null], 'x') }),
  fc.record({ kind: fc.constant('field' as const), field: fc.constantFrom('config', 'classes', 'weightsManifest', 'format', 'shardSha256'), value: fc.constantFrom(null, 0, 'x', [], {}) }),
);
type ManifestEdit = typeof manifestEdit extends fc.Arbitrary<infer T> ? T : never;

function edit(json: ModelJson, edits: readonly ManifestEdit[]): unknown {
  const out = structuredClone(json) as unknown as Record<string, unknown> & { weightsManifest: { paths: unknown; weights: Record<string, unknown>[] }[] };
  const group = out.weightsManifest[0];
  const weights = group.weights;
  for (const e of edits) {
    const w = (i: number) => weights[i % Math.max(1, weights.length)];
    if (weights.length === 0 && e.kind !== 'paths' && e.kind !== 'field') continue;
    switch (e.kind) {
      case 'shape': {
        const shape = w(e.weight).shape as number[];
        if (shape.length > 0) shape[e.dim % shape.length] = e.value;
        break;
      }
      case 'duplicate':
        weights.splice(e.weight % weights.length, 0, structuredClone(w(e.weight)));
        break;
      case 'swap': {
        const [i, j] = [e.a % weights.length, e.b % weights.length];
        [weights[i], weights[j]] = [weights[j], weights[i]];
        break;
      }
      case 'drop':
        weights.splice(e.weight % weights.length, 1);
        break;
      case 'dtype':
        w(e.weight).dtype = e.dtype;
        break;
      case 'quantization':
        w(e.weight).quantization = e.value;
        break;
      case 'paths':
        group.paths = e.value;
        break;
      case 'field':
        (out as Record<string, unknown>)[e.field] = e.value;
        break;
    }
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fuzz: model folder (model.json + shards)', () => {
  it(
    'mutated model.json bytes end in weights or a ModelFormatError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(mutatedFile(JSON_SEEDS), async (c) => {
          const shard = shardFor(c.seed);
          const files = new Map([['model.json', c.bytes], [SHARD_NAME, shard]]);
          tally.add(await checkOutcome({ byteLength: c.bytes.byteLength + shard.byteLength }, () => load(files), { isTyped }));
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('model.json bytes'));
    },
    fuzzTimeout(),
  );

  it(
    'structurally edited manifests (shapes, dtypes, duplicated, reordered and dropped entries) end in weights or a ModelFormatError',
    async () => {
      const tally = new FuzzTally();
      const before = tf.memory().numTensors;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.array(manifestEdit, { minLength: 1, maxLength: 3 }), async (which, edits) => {
          const json = encode(edit(smallJson(which), edits));
          const files = new Map([['model.json', json], [SHARD_NAME, smallShard(which)]]);
          tally.add(await checkOutcome({ byteLength: json.byteLength + smallShard(which).byteLength }, () => load(files), { isTyped }));
        }),
        fuzzParameters(),
      );
      expect(tf.memory().numTensors).toBe(before);
      console.log(tally.summary('model.json structure'));
    },
    fuzzTimeout(),
  );

  it(
    'mutated shards end in weights or a ModelFormatError; a resized shard is truncated or mismatched, with hashes every other changed shard is a ModelIntegrityError',
    async () => {
      const tally = new FuzzTally();
      await fc.assert(
        fc.asyncProperty(fc.boolean(), mutatedFile([0, 1].map((i) => ({ name: `small ${i}`, bytes: smallShard(i) }))), async (withHashes, c) => {
          const which = Number(c.seed.slice(-1));
          const json = encode(withHashes ? smallJson(which) : { ...smallJson(which), shardSha256: undefined });
          const files = new Map([['model.json', json], [SHARD_NAME, c.bytes]]);
          const outcome = await checkOutcome({ byteLength: json.byteLength + c.bytes.byteLength }, () => load(files), { isTyped });
          const seed = smallShard(which);
          // A shard of another length is named truncated or mismatched before any hash is computed.
          if (c.bytes.byteLength !== seed.byteLength) expect(outcome).toEqual({ kind: 'error', name: 'ModelFormatError' });
          else if (withHashes && c.bytes.some((b, i) => b !== seed[i])) expect(outcome).toEqual({ kind: 'error', name: 'ModelIntegrityError' });
          tally.add(outcome);
        }),
        fuzzParameters(),
      );
      console.log(tally.summary('model shards'));
    },
    fuzzTimeout(),
  );
});
