import { parseArgs } from 'node:util';
import { activeThreads } from '../node-backend';
import { parseNumber, requireValue, UsageError } from '../usage';
import { profileTable, type KernelProfile, type RunCounters } from '../browser/gpu-counters';
import { benchInChromium, peersInChromium } from './bench-chromium';
import { benchPeers, onnxFor, presetModelDir } from './bench-peers';
import { peersTable } from './bench-peers-run';
import { benchImage, summarise, table, timeRuns, type BenchOptions, type BenchRun, type TimedRuns } from './bench-runs';
import { openSegmenter, parseAttention } from './segment';

export const BENCH_USAGE =
  'kmax bench (--model DIR | --preset NAME) [--size N] [--backend wasm|cpu|webgpu] [--runs R] [--threads T] [--attention MODE] [--no-profile] [--json]\n' +
  '       kmax bench --peers (--model DIR | --preset NAME) --size N [--backend wasm|webgpu] [--threads T] [--in node|chromium] [--runs R] [--json]\n' +
  '         (ours against ONNX Runtime Web on the same ONNX export; wasm runs in Node unless --in chromium, webgpu in Chromium)';

interface BenchReport extends TimedRuns {
  readonly model: string;
  readonly backend: string;
  readonly adapter?: string;
  /** Threads the wasm backend reports using (Node only). */
  readonly threads?: number;
  readonly inputSize: readonly number[];
  readonly profile?: KernelProfile;
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
      in: { type: 'string' },
      'no-profile': { type: 'boolean', default: false },
    },
  });
  if (values.peers) return peersCommand(values);
  if (values.model !== undefined && values.preset !== undefined) throw new UsageError(`--model and --preset exclude each other\nusage: ${BENCH_USAGE}`);
  const modelDir = values.preset !== undefined ? await presetModelDir(values.preset) : requireValue(values.model, '--model', BENCH_USAGE);
  const options = { size: parseNumber(values.size, '--size'), runs: parseNumber(values.runs, '--runs') ?? 5, attention: parseAttention(values.attention) };
  const report = values.backend === 'webgpu' ? await inChromium(modelDir, { ...options, profile: !values['no-profile'] }) : await inNode(modelDir, values.backend, parseNumber(values.threads, '--threads'), options);
  const stages = summarise(report.runs);
  const device = report.adapter !== undefined ? `${report.backend} (${report.adapter})` : report.threads !== undefined ? `${report.backend} (${report.threads} thread${report.threads === 1 ? '' : 's'})` : report.backend;
  const title = `${report.model} on ${device}, input ${report.inputSize.join('x')}, median of ${report.runs.length} runs`;
  const { model, backend, adapter, threads, inputSize, warmUpMs, warmUpGpu, profile } = report;
  const gpu = gpuCounters(report.runs);
  if (values.json) console.log(JSON.stringify({ model, backend, adapter, threads, inputSize, runs: report.runs.length, warmUpMs, warmUpGpu, stages, gpu, profile }, null, 1));
  else console.log([table(title, stages, warmUpMs), ...(gpu === undefined ? [] : ['', gpuTable(gpu, warmUpGpu)]), ...(profile === undefined ? [] : ['', profileTable(profile)])].join('\n'));
  return 0;
}

/** Each timed run's GPU counters (WebGPU only). */
function gpuCounters(runs: readonly BenchRun[]): RunCounters[] | undefined {
  const counted = runs.map((r) => r.gpu).filter((g): g is RunCounters => g !== undefined);
  return counted.length === runs.length && counted.length > 0 ? counted : undefined;
}

function gpuTable(runs: readonly RunCounters[], warmUp: RunCounters | undefined): string {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const distinct = <T>(values: readonly T[]) => [...new Set(values)].join(' / ');
  return [
    'per run on the GPU (each timed run; a value per run where they differ):',
    `- compute dispatches: ${distinct(runs.map((r) => r.dispatches))}`,
    `- read back to the CPU: ${distinct(runs.map((r) => r.bytesReadBack))} bytes in ${distinct(runs.map((r) => r.readBacks))} reads`,
    `- GPU buffers: ${distinct(runs.map((r) => mib(r.gpuBytesAtStart)))} live at the start, peak ${distinct(runs.map((r) => mib(r.peakGpuBytes)))}`,
    `- compute pipelines created (shaders compiled): ${distinct(runs.map((r) => r.pipelines))}` +
      (warmUp === undefined ? '' : `; the warm-up run: ${warmUp.pipelines}, with ${warmUp.dispatches} dispatches`),
  ].join('\n');
}

async function inChromium(modelDir: string, options: BenchOptions & { profile: boolean }): Promise<BenchReport> {
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
async function peersCommand(values: { model?: string; preset?: string; size?: string; runs?: string; threads?: string; backend?: string; in?: string; json?: boolean }): Promise<number> {
  const backend = values.backend;
  if (backend !== 'wasm' && backend !== 'webgpu') throw new UsageError(`--peers compares wasm or webgpu, got --backend ${backend}`);
  const where = values.in ?? (backend === 'webgpu' ? 'chromium' : 'node');
  if (where !== 'node' && where !== 'chromium') throw new UsageError(`--in is node or chromium, got ${where}`);
  if (backend === 'webgpu' && where === 'node') throw new UsageError('WebGPU runs in Chromium only (--in chromium)');
  if ((values.model === undefined) === (values.preset === undefined)) throw new UsageError(`--peers needs one of --model DIR or --preset NAME\nusage: ${BENCH_USAGE}`);
  const modelDir = values.model ?? (await presetModelDir(values.preset as string));
  const size = parseNumber(requireValue(values.size, '--size', BENCH_USAGE), '--size') as number;
  const options = { modelDir, size, runs: parseNumber(values.runs, '--runs') ?? 5, threads: parseNumber(values.threads, '--threads') ?? 1 };
  const report = where === 'node' ? await benchPeers(options) : await peersInChromium({ ...options, backend, onnxPath: await onnxFor(options) });
  console.log(values.json ? JSON.stringify(report, null, 1) : peersTable(report));
  return 0;
}
