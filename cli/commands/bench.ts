import { parseArgs } from 'node:util';
import type { RgbImage, StageTiming } from '../../src/segmenter/types';
import { parseNumber, requireValue } from '../usage';
import { openSegmenter, parseAttention } from './segment';

export const BENCH_USAGE = 'kmax bench --model DIR [--size N] [--backend wasm|cpu|webgpu] [--runs R] [--threads T] [--attention MODE] [--json]';

/** Stages that are the network itself (the rest is pre- and post-processing). */
const NON_NETWORK = new Set(['preprocess', 'postprocess']);

interface StageStats {
  readonly stage: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** `kmax bench`: median and spread of every stage over R runs after one warm-up run. */
export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      size: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      runs: { type: 'string', default: '5' },
      threads: { type: 'string' },
      attention: { type: 'string', default: 'kmeans' },
      json: { type: 'boolean', default: false },
    },
  });
  const segmenter = await openSegmenter(requireValue(values.model, '--model', BENCH_USAGE), values.backend, parseNumber(values.threads, '--threads'));
  try {
    const size = parseNumber(values.size, '--size');
    const [h, w] = size === undefined ? segmenter.config.inputSize : [size, size];
    const image = benchImage(h, w);
    const options = { inputSize: size, attention: parseAttention(values.attention) };
    await segmenter.segment(image, options);
    const runs: { timings: readonly StageTiming[]; endToEnd: number }[] = [];
    for (let r = 0; r < (parseNumber(values.runs, '--runs') ?? 5); r++) {
      const started = performance.now();
      const result = await segmenter.segment(image, options);
      runs.push({ timings: result.timings, endToEnd: performance.now() - started });
    }
    const stages = summarise(runs);
    const report = { model: segmenter.config.name, backend: values.backend, inputSize: [h, w], runs: runs.length, stages };
    console.log(values.json ? JSON.stringify(report, null, 1) : table(report.model, values.backend, [h, w], runs.length, stages));
    return 0;
  } finally {
    segmenter.dispose();
  }
}

function summarise(runs: readonly { timings: readonly StageTiming[]; endToEnd: number }[]): StageStats[] {
  const names = runs[0].timings.map((t) => t.stage);
  const series = (pick: (run: (typeof runs)[number]) => number) => runs.map(pick);
  const stats = (stage: string, values: number[]): StageStats => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { stage, medianMs: median, minMs: sorted[0], maxMs: sorted[sorted.length - 1] };
  };
  const ms = (run: (typeof runs)[number], stage: string) => run.timings.find((t) => t.stage === stage)?.ms ?? 0;
  return [
    ...names.map((n) => stats(n, series((r) => ms(r, n)))),
    stats('network', series((r) => r.timings.filter((t) => !NON_NETWORK.has(t.stage)).reduce((s, t) => s + t.ms, 0))),
    stats('end-to-end', series((r) => r.endToEnd)),
  ];
}

function table(model: string, backend: string, size: readonly number[], runs: number, stages: readonly StageStats[]): string {
  const rows = stages.map((s) => `| ${s.stage} | ${s.medianMs.toFixed(1)} | ${s.minMs.toFixed(1)} - ${s.maxMs.toFixed(1)} |`);
  return [`${model} on ${backend}, input ${size.join('x')}, median of ${runs} runs`, '', '| stage | median ms | min - max ms |', '|---|---:|---:|', ...rows].join('\n');
}

/** A deterministic test card the size of the input: gradients and blocks. */
function benchImage(height: number, width: number): RgbImage {
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
