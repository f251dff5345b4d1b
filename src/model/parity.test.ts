/**
 * Parity with PyTorch: every fixture under training/fixtures/<name>/ (config.json,
 * checkpoint.pth in the official layout, golden/ written by training/make_fixtures.py)
 * is converted with src/checkpoints, run on the golden input, and compared on the
 * cpu and wasm backends, for each attention mode. Fixtures of deeplab2 models
 * (processing 'tf') load from their TF bundle in deeplab2's layout
 * (src/checkpoints/tf-bundle/testdata/<name>), as a user's checkpoint would.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// The app's own wasm kernels, so that wasm parity covers what the app runs.
import '../backend/wasm-gelu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, readPytorchCheckpoint, readTfBundle, toEngineTensors } from '../checkpoints';
import { isTfBookkeepingKey } from '../checkpoints/key-maps/tf';
import { convertTfCheckpoint } from '../checkpoints/key-maps/tf-convert';
import type { AttentionMode } from './transformer-decoder/attention-mode';
import { argmaxRows, foregroundRows, relativeError } from '../test-utils/compare';
import type { KMaXConfig } from './config';
import { KMaXDeepLab, type ForwardOutput } from './meta-arch/kmax-deeplab';

const FIXTURES = fileURLToPath(new URL('../../training/fixtures/', import.meta.url));
const TF_BUNDLES = fileURLToPath(new URL('../checkpoints/tf-bundle/testdata/', import.meta.url));
const fixtures = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'golden', 'index.json')));

/** Tolerance relative to the largest golden magnitude of each compared tensor. */
const RELATIVE_TOLERANCE = 1e-4;

/** Golden tensors of one fixture: `golden/<name>.npy`, as float32 or int32 arrays. */
function goldenReader(fixture: string): (name: string) => { shape: readonly number[]; data: Float32Array | Int32Array } {
  return (name) => {
    const raw = readNpy(new Uint8Array(readFileSync(join(FIXTURES, fixture, 'golden', `${name}.npy`))));
    return { shape: raw.shape, data: raw.data as Float32Array | Int32Array };
  };
}

function loadModel(fixture: string): KMaXDeepLab {
  const config = JSON.parse(readFileSync(join(FIXTURES, fixture, 'config.json'), 'utf8')) as KMaXConfig;
  const prefix = join(TF_BUNDLES, fixture, 'ckpt-1');
  const { tensors } =
    config.processing === 'tf' && existsSync(`${prefix}.index`)
      ? convertTfCheckpoint(
          readTfBundle(readFileSync(`${prefix}.index`), [readFileSync(`${prefix}.data-00000-of-00001`)], {
            include: (key) => !isTfBookkeepingKey(key),
          }),
          config.dataset,
        )
      : toEngineTensors(readPytorchCheckpoint(new Uint8Array(readFileSync(join(FIXTURES, fixture, 'checkpoint.pth')))));
  return new KMaXDeepLab(config, new Map([...tensors].map(([key, t]) => [key, tf.tensor(t.data, t.shape)])));
}

function disposeOutput(out: ForwardOutput): void {
  tf.dispose([out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
}

describe('parity fixtures', () => {
  it('exist', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });
});

/** The four modes and where their goldens live. */
const MODES: readonly { mode: AttentionMode; dir: string }[] = [
  { mode: 'kmeans', dir: '' },
  { mode: 'softmax', dir: 'softmax/' },
  { mode: 'masked', dir: 'masked/' },
  { mode: 'cluster-softmax', dir: 'cluster-softmax/' },
];

/** Masked goldens exist only where every foreground clears float noise (training/fixtures/README.md). */
const hasGoldens = (fixture: string, dir: string): boolean => existsSync(join(FIXTURES, fixture, 'golden', `${dir}pred_masks.npy`));

describe('masked-attention goldens', () => {
  it('exist for three fixtures', () => {
    expect(fixtures.filter((f) => hasGoldens(f, 'masked/'))).toHaveLength(3);
  });
});

/**
 * Compares a forward pass with the goldens of one mode: relative error of every
 * stage's logits and of the final ones (returned by name), and, for k-means, that
 * each assignment flip sits at a golden near-tie (margin below twice the logit error);
 * likewise for each (pixel, cluster) whose masked-attention foreground differs.
 */
async function compareWithGolden(
  out: ForwardOutput,
  golden: ReturnType<typeof goldenReader>,
  mode: AttentionMode,
  dir: string,
): Promise<{ errors: Record<string, number>; margins: Record<string, string> }> {
  const errors: Record<string, number> = {};
  const margins: Record<string, string> = {};
  const compare = async (name: string, t: tf.Tensor): Promise<void> => {
    const want = golden(`${dir}${name}`);
    expect(t.shape, name).toEqual(want.shape);
    errors[name] = relativeError(await t.data(), want.data);
  };
  for (const [l, layer] of out.layers.entries()) {
    await compare(`stage${l}/class_logits`, layer.classLogits);
    await compare(`stage${l}/mask_logits`, layer.maskLogits);
    if (mode === 'masked') {
      const k = layer.maskLogits.shape[2];
      const logits = golden(`${dir}stage${l}/mask_logits`).data;
      const margin = golden(`${dir}stage${l}/foreground_margin`).data;
      const absoluteError = errors[`stage${l}/mask_logits`] * Math.max(...Array.from(logits, Math.abs));
      const want = foregroundRows(logits, k);
      const got = foregroundRows(await layer.maskLogits.data(), k);
      const flips = [...got.keys()].filter((i) => got[i] !== want[i]).map((i) => Math.floor(i / k));
      margins[`stage${l}`] = `min foreground margin ${Math.min(...margin).toExponential(2)}, flips ${flips.length}`;
      for (const p of flips) expect(margin[p], `stage${l} pixel ${p} left or joined a foreground at a clear margin`).toBeLessThanOrEqual(2 * absoluteError);
    }
    if (mode !== 'kmeans') continue;
    const want = golden(`stage${l}/assignment`).data;
    const margin = golden(`stage${l}/margin`).data;
    const logits = golden(`stage${l}/mask_logits`).data;
    const absoluteError = errors[`stage${l}/mask_logits`] * Math.max(...Array.from(logits, Math.abs));
    const got = argmaxRows(await layer.maskLogits.data(), layer.maskLogits.shape[2]);
    const flips = [...got.keys()].filter((p) => got[p] !== want[p]);
    margins[`stage${l}`] = `min margin ${Math.min(...margin).toExponential(2)}, flips ${flips.length}`;
    for (const p of flips) expect(margin[p], `stage${l} pixel ${p} flipped at a clear margin`).toBeLessThanOrEqual(2 * absoluteError);
  }
  await compare('pred_logits', out.predLogits);
  await compare('pred_masks', out.predMasks);
  return { errors, margins };
}

function expectWithin(errors: Record<string, number>, tolerance: number): void {
  for (const [name, error] of Object.entries(errors)) expect(error, name).toBeLessThan(tolerance);
}


describe.each(fixtures.flatMap((fixture) => ['cpu', 'wasm'].map((backend) => ({ fixture, backend }))))(
  'parity with PyTorch: $fixture on $backend',
  ({ fixture, backend }) => {
    const golden = goldenReader(fixture);
    let model: KMaXDeepLab;
    let input: tf.Tensor4D;

    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      model = loadModel(fixture);
      const x = golden('input');
      input = tf.tensor4d(x.data, [1, x.shape[0], x.shape[1], x.shape[2]]);
    });
    afterAll(() => {
      model.dispose();
      input.dispose();
    });

    for (const { mode, dir } of MODES.filter((m) => hasGoldens(fixture, m.dir))) {
      it(`${mode}: the transformer decoder on the golden pixel-decoder outputs`, async () => {
        const index = JSON.parse(readFileSync(join(FIXTURES, fixture, 'golden', 'index.json'), 'utf8')) as Record<string, unknown>;
        const decoded = Object.keys(index)
          .filter((name) => name.startsWith('pixel_decoder/'))
          .map((name) => {
            const t = golden(name);
            return tf.tensor4d(t.data, [1, t.shape[0], t.shape[1], t.shape[2]]);
          });
        let centres = model.initialCentres();
        const layers: ForwardOutput['layers'] = [];
        for (let i = 0; i < model.numLayers; i++) {
          const next = model.kmaxLayer(i, centres, decoded, mode);
          next.prediction.pixelEmbedding.dispose();
          centres.dispose();
          centres = next.centres;
          layers.push({ classLogits: next.prediction.classLogits, maskLogits: next.prediction.maskLogits });
        }
        const final = model.finalHead(centres, decoded);
        final.pixelEmbedding.dispose();
        const out: ForwardOutput = { predLogits: final.classLogits, predMasks: final.maskLogits, layers };
        const { errors, margins } = await compareWithGolden(out, golden, mode, dir);
        console.log(`${fixture} ${backend} ${mode}, decoder alone:`, JSON.stringify(errors, (_, v: unknown) => (typeof v === 'number' ? Number(v.toExponential(1)) : v)), margins);
        tf.dispose([centres, ...decoded]);
        disposeOutput(out);
        expectWithin(errors, RELATIVE_TOLERANCE);
      });

      it(`${mode}: the whole network, end to end`, async () => {
        const out = model.forward(input, { attention: mode });
        const { errors, margins } = await compareWithGolden(out, golden, mode, dir);
        console.log(`${fixture} ${backend} ${mode}, end to end:`, JSON.stringify(errors, (_, v: unknown) => (typeof v === 'number' ? Number(v.toExponential(1)) : v)), margins);
        disposeOutput(out);
        expectWithin(errors, RELATIVE_TOLERANCE);
      });
    }
  },
);
