import type { AttentionMode, RgbImage, SegmentOptions, Segmenter, StageTiming } from '../../src/segmenter/types';
import type { GpuCounters, RunCounters } from '../browser/gpu-counters';

/** What a bench runs: the input size (default: the model's), timed runs and attention mode. */
export interface BenchOptions {
  readonly size?: number;
  readonly runs: number;
  readonly attention: AttentionMode;
}

/** One timed run: the segmenter's per-stage timings and the wall time around it. */
export interface BenchRun {
  readonly timings: readonly StageTiming[];
  readonly endToEnd: number;
  /** WebGPU only: dispatches, bytes read back and GPU memory of the run. */
  readonly gpu?: RunCounters;
}

export interface StageStats {
  readonly stage: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface TimedRuns {
  /** The first run, which also compiles shaders and allocates: reported apart. */
  readonly warmUpMs: number;
  /** WebGPU only: the first run's counters (its pipelines are the shaders compiled). */
  readonly warmUpGpu?: RunCounters;
  readonly runs: readonly BenchRun[];
}

/** One warm-up run, then `runs` timed ones on the same image (each counted on the GPU when `counters` are given). */
export async function timeRuns(segmenter: Segmenter, image: RgbImage, options: SegmentOptions, runs: number, counters?: GpuCounters): Promise<TimedRuns> {
  const time = async (): Promise<BenchRun> => {
    counters?.start();
    const started = performance.now();
    const result = await segmenter.segment(image, options);
    const endToEnd = performance.now() - started;
    return { timings: result.timings, endToEnd, ...(counters !== undefined && { gpu: counters.read() }) };
  };
  const warmUp = await time();
  const timed: BenchRun[] = [];
  for (let r = 0; r < runs; r++) timed.push(await time());
  return { warmUpMs: warmUp.endToEnd, ...(warmUp.gpu !== undefined && { warmUpGpu: warmUp.gpu }), runs: timed };
}

/** Stages that are the network itself (the rest is pre- and post-processing). */
const NON_NETWORK = new Set(['preprocess', 'postprocess']);

/** Median and spread of every stage, of the network (their sum) and of the whole run. */
export function summarise(runs: readonly BenchRun[]): StageStats[] {
  const stats = (stage: string, values: number[]): StageStats => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { stage, medianMs: median, minMs: sorted[0], maxMs: sorted[sorted.length - 1] };
  };
  const ms = (run: BenchRun, stage: string) => run.timings.find((t) => t.stage === stage)?.ms ?? 0;
  return [
    ...runs[0].timings.map((t) => stats(t.stage, runs.map((r) => ms(r, t.stage)))),
    stats('network', runs.map((r) => r.timings.filter((t) => !NON_NETWORK.has(t.stage)).reduce((s, t) => s + t.ms, 0))),
    stats('end-to-end', runs.map((r) => r.endToEnd)),
  ];
}

export function table(title: string, stages: readonly StageStats[], warmUpMs: number): string {
  const rows = stages.map((s) => `| ${s.stage} | ${s.medianMs.toFixed(1)} | ${s.minMs.toFixed(1)} - ${s.maxMs.toFixed(1)} |`);
  return [title, '', '| stage | median ms | min - max ms |', '|---|---:|---:|', ...rows, '', `warm-up run (first use: shader compilation, allocation): ${warmUpMs.toFixed(1)} ms`].join('\n');
}

/** A deterministic test card the size of the input: gradients and blocks. */
export function benchImage(height: number, width: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const block = ((x >> 6) + (y >> 6)) % 3;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = block * 100;
    }
  }
  return { width, height, channels: 3, data };
}
