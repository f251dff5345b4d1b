import { parseArgs } from 'node:util';
import { activeThreads } from '../node-backend';
import { parseNumber, requireValue, UsageError } from '../usage';
import { benchInChromium } from './bench-chromium';
import { benchPeers, peersTable, presetModelDir } from './bench-peers';
import { benchImage, summarise, table, timeRuns, type BenchOptions, type TimedRuns } from './bench-runs';
import { openSegmenter, parseAttention } from './segment';

export const BENCH_USAGE =
  'kmax bench --model DIR [--size N] [--backend wasm|cpu|webgpu] [--runs R] [--threads T] [--attention MODE] [--json]\n' +
  '       kmax bench --peers (--model DIR | --preset NAME) --size N [--threads T] [--runs R] [--json]   (ours against ONNX Runtime Web, wasm in Node)';

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
      peers: { type: 'boolean', default: false },
      preset: { type: 'string' },
    },
  });
  if (values.peers) return peersCommand(values);
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

/** `kmax bench --peers`: our engine against ONNX Runtime Web on the same ONNX export of the model. */
async function peersCommand(values: { model?: string; preset?: string; size?: string; runs?: string; threads?: string; backend?: string; json?: boolean }): Promise<number> {
  if (values.backend !== 'wasm') throw new UsageError(`--peers runs wasm in Node only so far, got --backend ${values.backend}`);
  if ((values.model === undefined) === (values.preset === undefined)) throw new UsageError(`--peers needs one of --model DIR or --preset NAME\nusage: ${BENCH_USAGE}`);
  const modelDir = values.model ?? (await presetModelDir(values.preset as string));
  const size = parseNumber(requireValue(values.size, '--size', BENCH_USAGE), '--size') as number;
  const report = await benchPeers({ modelDir, size, runs: parseNumber(values.runs, '--runs') ?? 5, threads: parseNumber(values.threads, '--threads') ?? 1 });
  console.log(values.json ? JSON.stringify(report, null, 1) : peersTable(report));
  return 0;
}
