/**
 * Post-processing cost (not run in CI). Node backends:
 * `npx tsx src/segmenter/postprocess/postprocess.bench.ts [cpu|wasm ...]`; WebGPU in
 * Chromium: `npx tsx e2e/postprocess-bench.ts`, which imports `benchPostprocess`.
 * The tiny e2e case (320x240 photo, 65x97 input, K = 24, tau 0.2) and a 1280x960
 * photo at a 1281 input with K = 128 (tau 0.4, COCO classes).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { ClassInfo, PostProcessConfig } from '../../model/config';
import { POSTPROCESS } from '../../model/presets';
import { planResize } from '../preprocess/resize-plan';
import { postprocess } from './postprocess';

const COCO: ClassInfo[] = Array.from({ length: 133 }, (_, id) => ({ id, datasetId: id, name: `c${id}`, isThing: id < 80, color: [0, 0, 0] }));

interface Case {
  readonly name: string;
  readonly image: [number, number];
  readonly input: [number, number];
  readonly numClusters: number;
  readonly config: PostProcessConfig;
}

const CASES: Case[] = [
  { name: 'tiny 320x240, K=24', image: [240, 320], input: [65, 97], numClusters: 24, config: { ...POSTPROCESS.coco, pixelThreshold: 0.2 } },
  { name: '1280x960, K=128', image: [960, 1280], input: [1281, 1281], numClusters: 128, config: POSTPROCESS.coco },
];

async function bench(c: Case, log: (line: string) => void): Promise<void> {
  const geometry = planResize(c.image[0], c.image[1], c.input, 'pytorch');
  const low = [Math.ceil(c.input[0] / 4), Math.ceil(c.input[1] / 4)];
  const maskLogits = tf.tidy(() => tf.mul(tf.randomUniform([low[0], low[1], c.numClusters], -1, 1, 'float32', 3), 6) as tf.Tensor3D);
  const classLogits = Float32Array.from({ length: c.numClusters * 134 }, (_, i) => (i % 134 === (i * 7) % 133 ? 9 : 0));
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    await postprocess(classLogits, maskLogits, geometry, COCO, c.config);
    times.push(performance.now() - t0);
    log(`  run ${run + 1}: ${times[run].toFixed(0)} ms`);
  }
  maskLogits.dispose();
  log(`${tf.getBackend()} ${c.name}: ${times.map((t) => t.toFixed(0)).join(' / ')} ms`);
}

/** Runs every case on the current backend. */
export async function benchPostprocess(log: (line: string) => void): Promise<void> {
  for (const c of CASES) await bench(c, log);
}

if (typeof process !== 'undefined' && process.argv[1]?.endsWith('postprocess.bench.ts')) {
  for (const backend of process.argv.length > 2 ? process.argv.slice(2) : ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    await benchPostprocess(console.log);
  }
}
