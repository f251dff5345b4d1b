import { parseArgs } from 'node:util';
import { activeThreads } from '../node-backend';
import { parseNumber, requireValue } from '../usage';
import { benchInChromium } from './bench-chromium';
import { benchImage, summarise, table, timeRuns, type BenchOptions, type TimedRuns } from './bench-runs';
import { openSegmenter, parseAttention } from './segment';

export const BENCH_USAGE = 'kmax bench --model DIR [--size N] [--backend wasm|cpu|webgpu] [--runs R] [--threads T] [--attention MODE] [--json]';

interface BenchReport extends TimedRuns {
  readonly model: string;
  readonly backend: string;
  readonly adapter?: string;
  /** Threads the wasm backend reports using (Node only). */
  readonly threads?: number;
  readonly inputSize: readonly number[];
}

/**
 * `kmax bench`: median and spread of every stage over R runs after one warm-up run, on
 * a Node backend (wasm, cpu) or on WebGPU in headless Chromium.
 */
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
  const modelDir = requireValue(values.model, '--model', BENCH_USAGE);
  const options = { size: parseNumber(values.size, '--size'), runs: parseNumber(values.runs, '--runs') ?? 5, attention: parseAttention(values.attention) };
  const report = values.backend === 'webgpu' ? await inChromium(modelDir, options) : await inNode(modelDir, values.backend, parseNumber(values.threads, '--threads'), options);
  const stages = summarise(report.runs);
  const device = report.adapter !== undefined ? `${report.backend} (${report.adapter})` : report.threads !== undefined ? `${report.backend} (${report.threads} thread${report.threads === 1 ? '' : 's'})` : report.backend;
  const title = `${report.model} on ${device}, input ${report.inputSize.join('x')}, median of ${report.runs.length} runs`;
  const { model, backend, adapter, threads, inputSize, warmUpMs } = report;
  console.log(values.json ? JSON.stringify({ model, backend, adapter, threads, inputSize, runs: report.runs.length, warmUpMs, stages }, null, 1) : table(title, stages, warmUpMs));
  return 0;
}

async function inChromium(modelDir: string, options: BenchOptions): Promise<BenchReport> {
  const { modelName, ...report } = await benchInChromium(modelDir, options);
  return { model: modelName, ...report };
}

async function inNode(modelDir: string, backend: string, threads: number | undefined, options: BenchOptions): Promise<BenchReport> {
  const segmenter = await openSegmenter(modelDir, backend, threads);
  try {
    const [h, w] = options.size === undefined ? segmenter.config.inputSize : [options.size, options.size];
    const timed = await timeRuns(segmenter, benchImage(h, w), { inputSize: options.size, attention: options.attention }, options.runs);
    return { model: segmenter.config.name, backend, threads: activeThreads(), inputSize: [h, w], ...timed };
  } finally {
    segmenter.dispose();
  }
}
