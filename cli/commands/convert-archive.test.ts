import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { zipSync, type Zippable } from 'fflate';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointArchive } from '../../src/checkpoints/archive/read-archive';
import { readPytorchCheckpoint } from '../../src/checkpoints/pytorch/read-checkpoint';
import { toEngineTensors } from '../../src/checkpoints/to-engine';
import { decodeModelWeights, parseModelJson } from '../../src/loading/model-folder';
import type { ModelJson } from '../../src/loading/model-format';
import { KMaXDeepLab } from '../../src/model/meta-arch/kmax-deeplab';
import { fixtureConfig, golden } from '../../src/test-utils/fixtures';
import { argmaxRows, relativeError } from '../../src/test-utils/compare';
import { readModelDir } from '../model-dir';
import { runKmax } from '../run-in-process';

/**
 * `kmax convert` on the official weights as they are published (issue 10): a TF bundle
 * whose index blocks are Snappy-compressed, and deeplab2's `.tar.gz` (a folder with
 * ckpt-N.index / .data, TF's `checkpoint` file and the training config textproto; the
 * variables carry AdamW slots), also as a `.zip` of that folder. Each model folder must
 * hold exactly the fixture's weights and run the network to the PyTorch goldens
 * (r50tf-coco-4stage, the fixture these files were written from).
 */

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const FIXTURE = 'r50tf-coco-4stage';
const TF = repo(`src/checkpoints/tf-bundle/testdata/${FIXTURE}`);
const ARCHIVE = repo('src/checkpoints/archive/testdata/kmax_resnet50_coco_train.tar.gz');
const work = mkdtempSync(path.join(tmpdir(), 'kmax-convert-archive-test-'));

const reference = toEngineTensors(readPytorchCheckpoint(new Uint8Array(readFileSync(repo(`training/fixtures/${FIXTURE}/checkpoint.pth`))))).tensors;

/** The textproto's values (training/tf_bundle_writer.py ARCHIVE_TEXTPROTO), all unlike the COCO defaults. */
const TEXTPROTO_POSTPROCESS = {
  pixelThreshold: 0.35,
  classThresholdThing: 0.65,
  classThresholdStuff: 0.45,
  overlapThreshold: 0.75,
  reorderClassWeight: 1.0,
  reorderMaskWeight: 0.5,
  thingAreaLimit: 300,
  stuffAreaLimit: 4096,
};

async function readModel(dir: string): Promise<{ json: ModelJson; weights: Map<string, tf.Tensor> }> {
  const files = await readModelDir(dir);
  const json = parseModelJson(new TextDecoder().decode(files.get('model.json')));
  return { json, weights: decodeModelWeights(json, files) };
}

/** Every stored weight equals the fixture's engine tensor, bit for bit. */
async function expectFixtureWeights(weights: Map<string, tf.Tensor>): Promise<void> {
  expect([...weights.keys()].sort()).toEqual([...reference.keys()].sort());
  const differing: string[] = [];
  for (const [key, t] of reference) {
    const stored = (await weights.get(key)!.data()) as Float32Array;
    if (!Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))) {
      differing.push(key);
    }
  }
  expect(differing).toEqual([]);
}

/**
 * The parity test of src/model/parity.test.ts on a converted folder: the whole network on
 * the golden input, k-means attention, every layer's logits and the final ones within 1e-4
 * of the largest golden magnitude, and the same k-means assignments (goldens keep margins >= 0.05).
 */
async function expectParity(json: ModelJson, weights: Map<string, tf.Tensor>): Promise<void> {
  const x = golden(FIXTURE, 'input')!;
  const input = tf.tensor4d(x.data as Float32Array, [1, x.shape[0], x.shape[1], x.shape[2]]);
  const model = new KMaXDeepLab(json.config, weights);
  const out = model.forward(input, { attention: 'kmeans' });
  const compared: [string, tf.Tensor][] = [
    ...out.layers.flatMap((l, i): [string, tf.Tensor][] => [
      [`stage${i}/class_logits`, l.classLogits],
      [`stage${i}/mask_logits`, l.maskLogits],
    ]),
    ['pred_logits', out.predLogits],
    ['pred_masks', out.predMasks],
  ];
  const errors: Record<string, number> = {};
  for (const [name, t] of compared) {
    const want = golden(FIXTURE, name)!;
    expect(t.shape, name).toEqual(want.shape);
    errors[name] = relativeError(await t.data(), want.data as Float32Array);
  }
  for (const [i, layer] of out.layers.entries()) {
    const assignment = argmaxRows(await layer.maskLogits.data(), layer.maskLogits.shape[2]!);
    expect(Array.from(assignment), `stage${i} assignment`).toEqual(Array.from(golden(FIXTURE, `stage${i}/assignment`)!.data as Int32Array));
  }
  console.log(`parity of the converted folder, worst relative error: ${Math.max(...Object.values(errors)).toExponential(1)}`);
  for (const [name, error] of Object.entries(errors)) expect(error, name).toBeLessThan(1e-4);
  expect(out.layers.length).toBe(fixtureConfig(FIXTURE).transformerDecoder.layersPerStage.reduce((a, b) => a + b, 0));
  tf.dispose([input, out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
  model.dispose();
}

/** The archive's folder, re-packed as a zip by fflate (deflated or stored). */
async function zipOfArchive(level: 0 | 6): Promise<Uint8Array> {
  const contents = await readCheckpointArchive(new Uint8Array(readFileSync(ARCHIVE)), { name: 'a.tar.gz' });
  const members = [contents.index, ...contents.data, contents.config!];
  const state = 'model_checkpoint_path: "ckpt-150000"\n';
  const zippable: Zippable = {};
  for (const m of members) zippable[m.path] = [m.bytes, { level }];
  zippable['kmax_resnet50_coco_train/checkpoint'] = [new TextEncoder().encode(state), { level }];
  return zipSync(zippable);
}

const PLAIN_OUT = path.join(work, 'plain');

beforeAll(async () => {
  await tf.setBackend('cpu');
  const plain = await runKmax('convert', path.join(TF, 'ckpt-1.index'), path.join(TF, 'ckpt-1.data-00000-of-00001'), '--out', PLAIN_OUT);
  expect(plain.code).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true }));

describe('kmax convert: a TF bundle with Snappy-compressed index blocks', () => {
  it('gives the uncompressed bundle\'s weights, and the network matches the goldens', async () => {
    const out = path.join(work, 'snappy');
    const { code, stdout, stderr } = await runKmax('convert', path.join(TF, 'snappy', 'ckpt-1.index'), path.join(TF, 'ckpt-1.data-00000-of-00001'), '--out', out);
    expect(stderr).toBe(`[${'#'.repeat(30)}] 841/841 tensors converted`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^tf-bundle checkpoint: ckpt-1\.index, ckpt-1\.data-00000-of-00001$/m);
    const snappy = await readModel(out);
    const plain = await readModel(PLAIN_OUT);
    expect(snappy.json.config).toEqual(plain.json.config);
    await expectFixtureWeights(snappy.weights);
    await expectParity(snappy.json, snappy.weights);
    tf.dispose([...plain.weights.values()]);
  });
});

describe('kmax convert: deeplab2\'s .tar.gz as downloaded', () => {
  it('unpacks it, skips the optimizer slots and counters, takes crop size and thresholds from the textproto, and passes parity', async () => {
    // The archive really holds optimizer slots and counters.
    const contents = await readCheckpointArchive(new Blob([readFileSync(ARCHIVE)]), { name: 'kmax_resnet50_coco_train.tar.gz' });
    expect(contents.prefix).toBe('kmax_resnet50_coco_train/ckpt-150000');
    const { readTfBundle } = await import('../../src/checkpoints/tf-bundle/read-bundle');
    const keys = [...readTfBundle(contents.index.bytes, contents.data.map((d) => d.bytes)).keys()];
    // AdamW's m and v for every trainable variable (all but the BatchNorm statistics).
    const slots = keys.filter((k) => k.includes('/.OPTIMIZER_SLOT/optimizer/'));
    const weightKeys = keys.filter((k) => !/OPTIMIZER_SLOT|^optimizer\/|^save_counter|^global_step/.test(k));
    expect(weightKeys.length).toBe(841);
    expect(slots.length).toBe(2 * weightKeys.filter((k) => !/\/moving_(mean|variance)\//.test(k)).length);
    expect(keys).toEqual(expect.arrayContaining(['save_counter/.ATTRIBUTES/VARIABLE_VALUE', 'global_step/.ATTRIBUTES/VARIABLE_VALUE', 'optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE']));

    const out = path.join(work, 'archive');
    const { code, stdout, stderr } = await runKmax('convert', ARCHIVE, '--out', out);
    expect(stderr).toMatch(/tensors converted$/);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^tf-bundle checkpoint kmax_resnet50_coco_train\/ckpt-150000 in tar\.gz archive kmax_resnet50_coco_train\.tar\.gz \(optimizer slots and counters skipped\)$/m,
    );
    expect(stdout).toContain(
      'training config kmax_resnet50_coco_train/kmax_resnet50_coco_train.textproto (coco_panoptic) wins over detection: ' +
        'inputSize 641x641 (detected 1281x1281), postprocess.pixelThreshold 0.35 (detected 0.4), ' +
        'postprocess.classThresholdThing 0.65 (detected 0.7), postprocess.classThresholdStuff 0.45 (detected 0.5), ' +
        'postprocess.overlapThreshold 0.75 (detected 0.8), postprocess.reorderMaskWeight 0.5 (detected 1), ' +
        'postprocess.thingAreaLimit 300 (detected 400), postprocess.stuffAreaLimit 4096 (detected 6400)',
    );
    expect(stdout).toMatch(/^config detected-coco_panoptic-resnet-tf-2-1-2-1-k24: .*133 classes \(coco_panoptic\), input 641x641, tf pre\/post-processing$/m);
    expect(stdout).toMatch(/^841 tensors \(0 training-only keys dropped\)/m);

    const { json, weights } = await readModel(out);
    expect(json.config.inputSize).toEqual([641, 641]);
    expect(json.config.postprocess).toEqual(TEXTPROTO_POSTPROCESS);
    expect(json.config.dataset).toBe('coco_panoptic');
    expect(json.classes).toHaveLength(133);
    const archiveBytes = readFileSync(ARCHIVE);
    expect(json.provenance.files?.[0]).toEqual({
      name: 'kmax_resnet50_coco_train.tar.gz',
      bytes: archiveBytes.byteLength,
      sha256: (await import('node:crypto')).createHash('sha256').update(archiveBytes).digest('hex'),
    });
    expect(json.provenance.files?.slice(1).map((f) => f.name)).toEqual([
      'kmax_resnet50_coco_train/ckpt-150000.index',
      'kmax_resnet50_coco_train/ckpt-150000.data-00000-of-00001',
    ]);
    // Everything but input size and thresholds is what the plain bundle converts to.
    const plain = await readModel(PLAIN_OUT);
    expect({ ...json.config, inputSize: null, postprocess: null }).toEqual({ ...plain.json.config, inputSize: null, postprocess: null });
    tf.dispose([...plain.weights.values()]);
    await expectFixtureWeights(weights);
    await expectParity(json, weights);
  });

  it('--config wins over the textproto, and says so', async () => {
    const out = path.join(work, 'archive-preset');
    const config = path.join(work, 'config.json');
    writeFileSync(config, JSON.stringify(fixtureConfig(FIXTURE)));
    const { code, stdout } = await runKmax('convert', ARCHIVE, '--out', out, '--config', config);
    expect(code).toBe(0);
    expect(stdout).toContain('training config kmax_resnet50_coco_train/kmax_resnet50_coco_train.textproto not used: --config given');
    expect((await readModel(out)).json.config.postprocess).toEqual(fixtureConfig(FIXTURE).postprocess);
  });

  it.each([
    ['deflated', 6],
    ['stored', 0],
  ] as const)('a .zip of the checkpoint folder (%s): the same model', async (_, level) => {
    const zip = path.join(work, `kmax_resnet50_coco_train-${level}.zip`);
    writeFileSync(zip, await zipOfArchive(level));
    const out = path.join(work, `zip-${level}`);
    const { code, stdout } = await runKmax('convert', zip, '--out', out);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^tf-bundle checkpoint kmax_resnet50_coco_train\/ckpt-150000 in zip archive /m);
    const { json, weights } = await readModel(out);
    expect(json.config.inputSize).toEqual([641, 641]);
    expect(json.config.postprocess).toEqual(TEXTPROTO_POSTPROCESS);
    await expectFixtureWeights(weights);
    if (level === 6) await expectParity(json, weights);
    else tf.dispose([...weights.values()]);
  });

  it('a truncated or corrupted archive: exit 1 with a typed error, nothing written', async () => {
    const bytes = readFileSync(ARCHIVE);
    const cases: [string, Buffer, RegExp][] = [
      ['cut.tar.gz', bytes.subarray(0, bytes.byteLength >> 1), /^kmax convert: TruncatedArchiveError: The archive "cut\.tar\.gz" is truncated \(its data stop after \d+ bytes, inside its contents\)/m],
      ['header.tar.gz', bytes.subarray(0, 20), /^kmax convert: TruncatedArchiveError: The archive "header\.tar\.gz" is truncated/m],
      ['flipped.tar.gz', Buffer.from(bytes.map((b, i) => (i === bytes.byteLength >> 1 ? b ^ 0x55 : b))), /^kmax convert: CorruptArchiveError: The archive "flipped\.tar\.gz" is damaged \(its compressed data do not decode: /m],
    ];
    for (const [name, data, message] of cases) {
      const file = path.join(work, name);
      writeFileSync(file, data);
      const out = path.join(work, `out-${name}`);
      const { code, stderr } = await runKmax('convert', file, '--out', out);
      expect(code, name).toBe(1);
      expect(stderr, name).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});
