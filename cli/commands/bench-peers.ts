import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-web';
import type { DumpedTensor } from '../../src/segmenter/types';
import { activeThreads, NODE_WASM_MAX_THREADS } from '../node-backend';
import { benchImage, summarise, type BenchRun, type StageStats } from './bench-runs';
import { initCommand } from './init';
import { openSegmenter } from './segment';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PeerOptions {
  readonly modelDir: string;
  readonly size: number;
  readonly runs: number;
  readonly threads: number;
  /** Where the ONNX export goes (default: a cache in the temporary folder, per model folder and size). */
  readonly onnxPath?: string;
}

/** One engine's side of the comparison: the first run apart, then the network time of each run. */
export interface PeerTiming {
  readonly engine: 'kmax-lens' | 'onnxruntime-web';
  readonly threads: number;
  readonly firstRunMs: number;
  readonly network: StageStats;
  /** Our per-stage medians (ORT's session is one opaque call). */
  readonly stages?: readonly StageStats[];
}

export interface PeerReport {
  readonly model: string;
  readonly size: number;
  readonly runs: number;
  readonly ours: PeerTiming;
  readonly ort: PeerTiming;
  /** Largest |ORT - ours| relative to max |ours|, on the final class and mask logits. */
  readonly parity: { readonly predLogits: number; readonly predMasks: number };
}

const PYTHON = '/usr/bin/python3';

/** `kmax init --preset NAME` once, into the system's temporary folder. */
export async function presetModelDir(preset: string): Promise<string> {
  const dir = path.join(os.tmpdir(), 'kmax-bench', `${preset}-seed0`);
  if (!existsSync(path.join(dir, 'model.json'))) {
    const code = await initCommand(['--preset', preset, '--out', dir]);
    if (code !== 0) throw new Error(`kmax init --preset ${preset} failed`);
  }
  return dir;
}

/** The network of a model folder as ONNX at one input size, exported by training/export_onnx.py. */
export async function exportOnnx(modelDir: string, size: number, out: string): Promise<void> {
  await mkdir(path.dirname(out), { recursive: true });
  await promisify(execFile)(PYTHON, [path.join(ROOT, 'training/export_onnx.py'), '--model', modelDir, '--size', String(size), '--out', out], {
    maxBuffer: 64 << 20,
  });
}

/**
 * Runs our engine (wasm) and ONNX Runtime Web (wasm) in this process on the same model and
 * the same normalised input, alternating runs, after a first run of each reported apart.
 */
export async function benchPeers(options: PeerOptions): Promise<PeerReport> {
  const modelStamp = Math.round((await stat(path.join(options.modelDir, 'model.json'))).mtimeMs);
  const onnxPath = options.onnxPath ?? path.join(os.tmpdir(), 'kmax-bench', `${path.basename(path.resolve(options.modelDir))}-${modelStamp}-${options.size}.onnx`);
  if (!existsSync(onnxPath)) await exportOnnx(options.modelDir, options.size, onnxPath);
  // Ours gets as many threads as tfjs-backend-wasm has in Node (NODE_WASM_THREADS_REASON); the table says how many.
  const segmenter = await openSegmenter(options.modelDir, 'wasm', Math.min(options.threads, NODE_WASM_MAX_THREADS));
  ort.env.logLevel = 'warning';
  ort.env.wasm.numThreads = options.threads;
  const session = await ort.InferenceSession.create(await readFile(onnxPath), { executionProviders: ['wasm'], logSeverityLevel: 2 });
  try {
    const image = benchImage(options.size, options.size);
    const oursOnce = async (dump: boolean) => {
      const started = performance.now();
      const result = await segmenter.segment(image, { inputSize: options.size, attention: 'kmeans', dump });
      return { run: { timings: result.timings, endToEnd: performance.now() - started } satisfies BenchRun, tensors: result.tensors ?? [] };
    };
    const first = await oursOnce(false);
    // An untimed run dumps the normalised input ORT gets and the outputs parity compares.
    const { tensors } = await oursOnce(true);
    const input = findTensor(tensors, 'input');
    const [h, w, c] = input.shape;
    const feeds = { input: new ort.Tensor('float32', hwcToChw(input.data as Float32Array, h, w, c), [1, c, h, w]) };
    const ortOnce = async () => {
      const started = performance.now();
      const outputs = await session.run(feeds);
      return { ms: performance.now() - started, outputs };
    };
    const ortFirst = await ortOnce();
    const parity = {
      predLogits: relativeError(ortFirst.outputs.pred_logits.data as Float32Array, findTensor(tensors, 'pred_logits').data as Float32Array),
      predMasks: relativeError(ortFirst.outputs.pred_masks.data as Float32Array, hwcToChw(findTensor(tensors, 'pred_masks').data as Float32Array, ...hwk(tensors))),
    };
    for (const t of Object.values(ortFirst.outputs)) t.dispose();
    const ours: BenchRun[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      ours.push((await oursOnce(false)).run);
      const run = await ortOnce();
      for (const t of Object.values(run.outputs)) t.dispose();
      theirs.push(run.ms);
    }
    const oursStages = summarise(ours);
    const network = (stats: readonly StageStats[]) => stats.find((s) => s.stage === 'network') as StageStats;
    const firstNetwork = network(summarise([first.run])).medianMs;
    return {
      model: segmenter.config.name,
      size: options.size,
      runs: options.runs,
      ours: { engine: 'kmax-lens', threads: activeThreads(), firstRunMs: firstNetwork, network: network(oursStages), stages: oursStages },
      ort: { engine: 'onnxruntime-web', threads: options.threads, firstRunMs: ortFirst.ms, network: spread(theirs) },
      parity,
    };
  } finally {
    await session.release();
    segmenter.dispose();
  }
}

export function peersTable(report: PeerReport): string {
  const row = (t: PeerTiming) =>
    `| ${t.engine} | ${t.threads} | ${t.network.medianMs.toFixed(1)} | ${t.network.minMs.toFixed(1)} - ${t.network.maxMs.toFixed(1)} | ${t.firstRunMs.toFixed(1)} |`;
  const { ours, ort: theirs } = report;
  return [
    `${report.model}, wasm in Node, input ${report.size}x${report.size}, network only, median of ${report.runs} alternating runs`,
    '',
    '| engine | threads | median ms | min - max ms | first run ms |',
    '|---|---:|---:|---:|---:|',
    row(ours),
    row(theirs),
    '',
    `ratio ours/ORT: median ${(ours.network.medianMs / theirs.network.medianMs).toFixed(2)}, first run ${(ours.firstRunMs / theirs.firstRunMs).toFixed(2)}`,
    `parity (max |ORT - ours| / max |ours|): class logits ${report.parity.predLogits.toExponential(1)}, mask logits ${report.parity.predMasks.toExponential(1)}`,
  ].join('\n');
}

function findTensor(tensors: readonly DumpedTensor[], name: string): DumpedTensor {
  const found = tensors.find((t) => t.name === name);
  if (found === undefined) throw new Error(`the engine's dump has no ${name}`);
  return found;
}

function hwk(tensors: readonly DumpedTensor[]): [number, number, number] {
  const [h, w, k] = findTensor(tensors, 'pred_masks').shape;
  return [h, w, k];
}

function hwcToChw(data: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = data[(y * w + x) * c + k];
  return out;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) throw new Error(`ORT gave ${actual.length} values, ours ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

/** Median and spread of ORT's run times, through the same summary as ours. */
function spread(values: readonly number[]): StageStats {
  return summarise(values.map((ms) => ({ timings: [{ stage: 'session.run', ms }], endToEnd: ms }))).find((s) => s.stage === 'network') as StageStats;
}
