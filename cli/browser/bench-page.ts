/**
 * The page `kmax bench --backend webgpu` opens in headless Chromium: it starts WebGPU as
 * the app does (chooseBackend, CPU forwarding off), loads the model from `?model=URL`
 * and runs the segmenter `warmup + runs` times on the bench card. The timings go back
 * to the CLI, which summarises them as for the Node backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { chooseBackend } from '../../src/backend';
import { loadSegmenter } from '../../src/segmenter';
import type { AttentionMode } from '../../src/segmenter/types';
import { benchImage, timeRuns, type TimedRuns } from '../commands/bench-runs';

export interface BrowserBenchReport extends TimedRuns {
  readonly backend: string;
  readonly adapter?: string;
  readonly modelName: string;
  readonly inputSize: readonly [number, number];
}

declare global {
  interface Window {
    kmaxBench?: { report?: BrowserBenchReport; error?: string };
  }
}

async function bench(params: URLSearchParams): Promise<BrowserBenchReport> {
  const report = await chooseBackend({ order: ['webgpu'] });
  if (tf.getBackend() !== 'webgpu') throw new Error(`the active backend is ${tf.getBackend()}, not webgpu`);
  const segmenter = await loadSegmenter({ kind: 'url', url: params.get('model') ?? '' });
  try {
    const size = params.has('size') ? Number(params.get('size')) : undefined;
    const [height, width] = size === undefined ? segmenter.config.inputSize : [size, size];
    const options = { inputSize: size, attention: (params.get('attention') ?? 'kmeans') as AttentionMode };
    const timed = await timeRuns(segmenter, benchImage(height, width), options, Number(params.get('runs') ?? 5));
    return { backend: tf.getBackend(), ...(report.adapter !== undefined && { adapter: report.adapter }), modelName: segmenter.config.name, inputSize: [height, width], ...timed };
  } finally {
    segmenter.dispose();
  }
}

bench(new URLSearchParams(location.search)).then(
  (report) => void (window.kmaxBench = { report }),
  (error: unknown) => void (window.kmaxBench = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
);
