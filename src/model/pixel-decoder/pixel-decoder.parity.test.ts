import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy, readPytorchCheckpoint, toEngineTensors } from '../../checkpoints';
import { toFloat32 } from '../../checkpoints/raw-tensor';
import { createBackbone } from '../backbone/backbone';
import type { BackboneFeature, KMaXConfig } from '../config';
import { WeightReader } from '../weights';
import { KMaXPixelDecoder } from './pixel-decoder';

/**
 * Parity with the PyTorch reference (training/kmax_ref): the golden backbone endpoints
 * and pixel-decoder stage outputs of every fixture under training/fixtures/, computed
 * in float64 from the same checkpoint.pth, within 1e-4 of max |golden| (measured:
 * backbone <= 8e-7, decoder <= 2e-6).
 */
const FIXTURES = fileURLToPath(new URL('../../../training/fixtures/', import.meta.url));
const BACKBONE_TOLERANCE = 1e-4;
const DECODER_TOLERANCE = 1e-4;
const OUTPUT_NAMES = ['os32', 'os16', 'os8', 'os4', 'stage4'];
const PARTS = ['backbone.', 'sem_seg_head.pixel_decoder.'];

const fixtures = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'golden', 'backbone')))
  : [];

/** The checkpoint through the converter (src/checkpoints), keeping this test's two parts. */
function loadWeights(dir: string): Map<string, tf.Tensor> {
  const { tensors } = toEngineTensors(readPytorchCheckpoint(readFileSync(join(dir, 'checkpoint.pth'))));
  const weights = new Map<string, tf.Tensor>();
  for (const [key, { shape, data }] of tensors) {
    if (PARTS.some((p) => key.startsWith(p))) weights.set(key, tf.tensor(data, shape));
  }
  return weights;
}

function golden(dir: string, name: string): tf.Tensor {
  const raw = readNpy(readFileSync(join(dir, 'golden', `${name}.npy`)));
  return tf.tensor(toFloat32(raw), [1, ...raw.shape]);
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance: number, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const [error, scale] = tf.tidy(() => [
    tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0],
    tf.max(tf.abs(expected)).dataSync()[0],
  ]);
  expect(scale, `${what}: golden is all zeros`).toBeGreaterThan(0);
  expect(error / scale, `${what}: max |error| ${error.toExponential(2)}, max |golden| ${scale.toFixed(3)}`).toBeLessThanOrEqual(tolerance);
}

describe('backbone and pixel decoder vs the PyTorch reference', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('has golden fixtures to compare with', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  for (const name of fixtures) {
    it(name, () => {
      const dir = join(FIXTURES, name);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as KMaXConfig;
      const inputs: readonly BackboneFeature[] = config.pixelDecoder.inputs;
      const weights = loadWeights(dir);
      const reader = new WeightReader(weights);
      const backbone = createBackbone(config.backbone, reader, inputs);
      const decoder = new KMaXPixelDecoder(reader, config, (f) => backbone.channels(f));
      reader.finish(); // every backbone / pixel-decoder tensor of the checkpoint is used

      const x = golden(dir, 'input') as tf.Tensor4D;
      const features = backbone.apply(x);
      for (const feature of inputs) {
        const expected = golden(dir, `backbone/${feature}`);
        expectClose(features[feature]!, expected, BACKBONE_TOLERANCE, `${name} ${feature}`);
        expected.dispose();
      }
      const outputs = decoder.apply(features);
      outputs.forEach((out, i) => {
        const expected = golden(dir, `pixel_decoder/${OUTPUT_NAMES[i]}`);
        expectClose(out, expected, DECODER_TOLERANCE, `${name} decoder ${OUTPUT_NAMES[i]}`);
        expected.dispose();
      });
      tf.dispose([x, ...outputs, ...Object.values(features)]);
      tf.dispose([...weights.values()]);
    });
  }
});
