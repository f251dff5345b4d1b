import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPytorchCheckpoint } from '../../src/checkpoints/pytorch/read-checkpoint';
import { readTfBundle } from '../../src/checkpoints/tf-bundle/read-bundle';
import { toEngineTensors, type EngineTensor } from '../../src/checkpoints/to-engine';
import { toFloat16Array } from '../../src/loading/float16';
import type { ModelJson } from '../../src/loading/model-format';
import { loadSegmenter } from '../../src/segmenter';
import { readModelDir } from '../model-dir';
import { runKmax } from '../run-in-process';
import type { TensorSummary } from './inspect';

/** `kmax convert` and `kmax inspect`, run in-process on the golden fixtures. */

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const PTH = repo('training/fixtures/r50-coco-4stage/checkpoint.pth');
const TF_PREFIX = repo('src/checkpoints/tf-bundle/testdata/r50tf-coco-4stage/ckpt-1');
const TF_INDEX = `${TF_PREFIX}.index`;
const TF_SHARD = `${TF_PREFIX}.data-00000-of-00001`;
const work = mkdtempSync(path.join(tmpdir(), 'kmax-convert-test-'));

/** model.json and every tensor's stored bytes, walked through the manifest. */
function readModel(dir: string): { json: ModelJson; stored: Map<string, Uint8Array> } {
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
  const [group] = json.weightsManifest;
  const all = Buffer.concat(group.paths.map((p) => readFileSync(path.join(dir, p))));
  const stored = new Map<string, Uint8Array>();
  let offset = 0;
  for (const w of group.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1) * (w.quantization?.dtype === 'float16' ? 2 : 4);
    stored.set(w.name, all.subarray(offset, offset + size));
    offset += size;
  }
  expect(offset).toBe(all.byteLength);
  return { json, stored };
}

const bytesOf = (data: Float32Array | Uint16Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
const reference: ReadonlyMap<string, EngineTensor> = toEngineTensors(readPytorchCheckpoint(new Uint8Array(readFileSync(PTH)))).tensors;

beforeAll(() => tf.setBackend('cpu'));
afterAll(() => rmSync(work, { recursive: true }));

describe('kmax convert', () => {
  it('a .pth -> a float32 model folder holding exactly the engine tensors', async () => {
    const out = path.join(work, 'out-pth');
    const tensorsBefore = tf.memory().numTensors;
    const { code, stdout, stderr } = await runKmax('convert', PTH, '--out', out);
    expect(stderr).toBe(`[${'#'.repeat(30)}] 1093/1093 tensors converted`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pytorch checkpoint: checkpoint\.pth$/m);
    expect(stdout).toMatch(
      /^detected detected-coco_panoptic-resnet-2-1-2-1-k24: ResNet \(pytorch\) depths 2\/1\/2\/1, 4-stage decoder, K=24, 133 classes \(coco_panoptic\), input 1281x1281, pytorch pre\/post-processing$/m,
    );
    expect(stdout).toMatch(/^841 tensors \(252 training-only keys dropped\), 1\.3 MB float32 -> .*out-pth in \d+\.\d s$/m);
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    const { json, stored } = readModel(out);
    expect(json.config.processing).toBe('pytorch');
    expect(json.classes).toHaveLength(133);
    expect(json.provenance).toMatchObject({ source: 'pytorch', files: [{ name: 'checkpoint.pth', bytes: readFileSync(PTH).byteLength }] });
    expect([...stored.keys()]).toEqual([...reference.keys()]);
    const differing = [...reference].filter(([key, t]) => !bytesOf(t.data).equals(stored.get(key)!));
    expect(differing).toEqual([]);
  });

  it('--trained-attention records the attention the weights were trained with, and the loaded segmenter reports it', async () => {
    const out = path.join(work, 'out-trained');
    const { code } = await runKmax('convert', PTH, '--out', out, '--trained-attention', 'masked');
    expect(code).toBe(0);
    expect(readModel(out).json.provenance.trainedAttention).toBe('masked');
    expect('trainedAttention' in readModel(path.join(work, 'out-pth')).json.provenance).toBe(false);
    const segmenter = await loadSegmenter({ kind: 'files', files: await readModelDir(out) });
    expect(segmenter.trainedAttention).toBe('masked');
    segmenter.dispose();

    const wrong = await runKmax('convert', PTH, '--out', path.join(work, 'out-wrong'), '--trained-attention', 'argmax');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--trained-attention must be one of kmeans, softmax, masked, cluster-softmax, got "argmax"');
    expect(existsSync(path.join(work, 'out-wrong'))).toBe(false);
  });

  it('a TF checkpoint (files in any order) -> float16, TF ResNet, deeplab2 processing', async () => {
    const out = path.join(work, 'out-tf');
    const { code, stdout } = await runKmax('convert', TF_SHARD, TF_INDEX, '--out', out, '--fp16');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^tf-bundle checkpoint: ckpt-1\.index, ckpt-1\.data-00000-of-00001$/m);
    expect(stdout).toMatch(/ResNet \(tf\).*tf pre\/post-processing$/m);
    expect(stdout).toMatch(/^841 tensors \(0 training-only keys dropped\), 0\.6 MB float16/m);

    const { json, stored } = readModel(out);
    expect(json.config).toMatchObject({ processing: 'tf', backbone: { variant: 'tf' } });
    expect(json.weightsManifest[0].weights.every((w) => w.quantization?.dtype === 'float16')).toBe(true);
    // The TF fixture holds the same weights as its .pth; float16 rounding happens once, when writing.
    const tfReference = toEngineTensors(readPytorchCheckpoint(new Uint8Array(readFileSync(repo('training/fixtures/r50tf-coco-4stage/checkpoint.pth'))))).tensors;
    const differing = [...tfReference].filter(([key, t]) => !bytesOf(toFloat16Array(t.data)).equals(stored.get(key)!));
    expect(differing).toEqual([]);
  });

  it('--processing overrides the style the format implies', async () => {
    const out = path.join(work, 'out-processing');
    expect((await runKmax('convert', TF_INDEX, TF_SHARD, '--out', out, '--processing', 'pytorch')).code).toBe(0);
    expect(readModel(out).json.config).toMatchObject({ processing: 'pytorch', backbone: { variant: 'tf' } });
  });

  it('a config the weights do not fit: exit 1, every problem named, nothing written', async () => {
    const out = path.join(work, 'out-mismatch');
    const { code, stderr } = await runKmax('convert', PTH, '--out', out, '--config', repo('training/fixtures/r50-cityscapes-5stage/config.json'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^kmax convert: WeightsMismatchError: The weights do not match the model: \d+ problem\(s\)$/m);
    expect(stderr).toContain('weight "backbone.stem.conv1.weight" has shape [7, 7, 3, 16], expected [7, 7, 3, 8]');
    expect(stderr).toContain('missing weight "sem_seg_head.pixel_decoder._in_norms.4.weight" (expected shape [32])');
    expect(existsSync(out)).toBe(false);
  });

  it('bad input: usage errors exit 2, unreadable checkpoints exit 1 with the reason', async () => {
    const text = path.join(work, 'notes.pth');
    writeFileSync(text, 'not a checkpoint');
    const noOut = await runKmax('convert', PTH);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^kmax convert: missing --out\nusage: kmax convert CHECKPOINT \[MORE_FILES\] --out DIR/);
    const badStyle = await runKmax('convert', PTH, '--out', path.join(work, 'out-x'), '--processing', 'caffe');
    expect(badStyle).toMatchObject({ code: 2, stderr: 'kmax convert: --processing must be "pytorch" or "tf", got "caffe"' });
    const notCheckpoint = await runKmax('convert', text, '--out', path.join(work, 'out-y'));
    expect(notCheckpoint.code).toBe(1);
    expect(notCheckpoint.stderr).toMatch(/^kmax convert: CheckpointFormatError: This file is not a kMaX-DeepLab checkpoint: expected/m);

    const damaged = readFileSync(TF_SHARD);
    damaged[damaged.byteLength >> 1] ^= 1;
    const shard = path.join(work, 'ckpt-1.data-00000-of-00001.bin');
    writeFileSync(shard, damaged);
    const corrupted = await runKmax('convert', TF_INDEX, shard, '--out', path.join(work, 'out-z'));
    expect(corrupted.code).toBe(1);
    expect(corrupted.stderr).toMatch(/^kmax convert: TfChecksumError: Checksum mismatch in the TensorFlow checkpoint: tensor ".*\/\.ATTRIBUTES\/VARIABLE_VALUE"/m);
    expect(existsSync(path.join(work, 'out-z'))).toBe(false);
  });
});

describe('kmax inspect', () => {
  it('lists every tensor of a .pth with shape, dtype and statistics', async () => {
    const { code, stdout } = await runKmax('inspect', PTH);
    expect(code).toBe(0);
    const raw = readPytorchCheckpoint(new Uint8Array(readFileSync(PTH)));
    expect(stdout).toMatch(/^checkpoint\.pth: 2093161 bytes, sha256 [0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^backbone\.stem\.conv1\.weight +\[16, 3, 7, 7\] +float32 +-?\d\.\d{4,}/m);
    expect(stdout).toMatch(/^backbone\.stem\.conv1\.norm\.num_batches_tracked +\[\] +int64 +\d+ +\d+ +\d+$/m);
    expect(stdout).toMatch(new RegExp(`^pytorch checkpoint: ${raw.size} tensors, \\d+ values$`, 'm'));
  });

  it('--json: exact statistics of every tensor, TF bundles included', async () => {
    const { code, stdout } = await runKmax('inspect', TF_INDEX, TF_SHARD, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { format: string; tensors: TensorSummary[] };
    expect(report.format).toBe('tf-bundle');
    const raw = readTfBundle(new Uint8Array(readFileSync(TF_INDEX)), [new Uint8Array(readFileSync(TF_SHARD))]);
    expect(report.tensors.map((t) => t.key)).toEqual([...raw.keys()]);
    const key = 'transformer_decoder/cluster_centers/.ATTRIBUTES/VARIABLE_VALUE';
    const values = Array.from(raw.get(key)!.data as Float32Array);
    expect(report.tensors.find((t) => t.key === key)).toEqual({
      key,
      shape: [1, 24, 32],
      dtype: 'float32',
      min: Math.min(...values),
      max: Math.max(...values),
      mean: values.reduce((a, b) => a + b, 0) / values.length,
    });
  });
});
