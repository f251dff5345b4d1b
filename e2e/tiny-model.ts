import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { datasetClasses } from '../src/datasets';
import { encodeModelFolder } from '../src/loading/model-folder';
import type { KMaXConfig } from '../src/model/config';
import { initRandomModel } from '../src/model/random-init';

import { E2E_MODELS_DIR } from './paths';

const FIXTURE_CONFIG = path.resolve(import.meta.dirname, '..', 'training', 'fixtures', 'r50-coco-4stage', 'config.json');

// Run as a script (`npx tsx e2e/tiny-model.ts`) by the Playwright global setup.

/**
 * A tiny random kMaX (the r50-coco-4stage fixture's widths, input 65x97, K=24),
 * small enough for WebGPU on SwiftShader. Random class heads are unsure of
 * everything, so its thresholds are lowered to let segments through: the tests
 * check the plumbing, not the model's quality.
 */
async function writeTinyModel(): Promise<string> {
  const dir = path.join(E2E_MODELS_DIR, 'tiny');
  if (existsSync(path.join(dir, 'model.json'))) return dir;
  const fixture = JSON.parse(readFileSync(FIXTURE_CONFIG, 'utf8')) as KMaXConfig;
  const config: KMaXConfig = {
    ...fixture,
    name: 'tiny (e2e)',
    postprocess: { ...fixture.postprocess, classThresholdThing: 0, classThresholdStuff: 0, pixelThreshold: 0.2, overlapThreshold: 0.5 },
  };
  await tf.setBackend('cpu');
  const tensors = await initRandomModel(config, 7);
  const files = encodeModelFolder({ config, classes: datasetClasses(config.dataset), provenance: { source: 'random-init', tool: 'e2e/tiny-model.ts', notes: 'seed 7' }, tensors });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(files.modelJson));
  for (const [name, bytes] of files.shards) await writeFile(path.join(dir, name), bytes);
  return dir;
}

console.log(`tiny model in ${await writeTinyModel()}`);
