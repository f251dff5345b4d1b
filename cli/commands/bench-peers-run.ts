/**
 * The peer comparison itself, free of Node and of the page: our segmenter and an ONNX
 * Runtime Web session on the same normalised input, alternating runs, after a first run
 * of each reported apart; then ORT's logits against ours. Node (bench-peers.ts) and the
 * Chromium bench page both run it.
 */
import type * as ort from 'onnxruntime-web';
import type { DumpedTensor, Segmenter } from '../../src/segmenter/types';
import { benchImage, summarise, type BenchRun, type StageStats } from './bench-runs';

/** One engine's side of the comparison: the first run apart, then the network time of each run. */
export interface PeerTiming {
  readonly engine: 'kmax-lens' | 'onnxruntime-web';
  /** wasm threads (none on WebGPU). */
  readonly threads?: number;
  readonly firstRunMs: number;
  readonly network: StageStats;
  /** Our per-stage medians (ORT's session is one opaque call). */
  readonly stages?: readonly StageStats[];
}

export interface PeerReport {
  readonly model: string;
  /** Where and on what it ran: 'wasm in Node', 'webgpu in Chromium (google swiftshader)', ... */
  readonly device: string;
  readonly size: number;
  readonly runs: number;
  readonly ours: PeerTiming;
  readonly ort: PeerTiming;
  /** Largest |ORT - ours| relative to max |ours|, on the final class and mask logits. */
  readonly parity: { readonly predLogits: number; readonly predMasks: number };
  /** Chromium: whether the page was cross-origin isolated (needed for wasm threads). */
  readonly crossOriginIsolated?: boolean;
}

export interface PeerSides {
  readonly segmenter: Segmenter;
  readonly session: ort.InferenceSession;
  readonly tensor: (data: Float32Array, dims: readonly number[]) => ort.Tensor;
}

export interface PeerRuns {
  readonly model: string;
  readonly ours: { readonly firstRunMs: number; readonly network: StageStats; readonly stages: readonly StageStats[] };
  readonly ort: { readonly firstRunMs: number; readonly network: StageStats };
  readonly parity: PeerReport['parity'];
}

export async function comparePeers({ segmenter, session, tensor }: PeerSides, size: number, runs: number): Promise<PeerRuns> {
  const image = benchImage(size, size);
  const oursOnce = async (dump: boolean) => {
    const started = performance.now();
    const result = await segmenter.segment(image, { inputSize: size, attention: 'kmeans', dump });
    return { run: { timings: result.timings, endToEnd: performance.now() - started } satisfies BenchRun, tensors: result.tensors ?? [] };
  };
  const first = await oursOnce(false);
  // An untimed run dumps the normalised input ORT gets and the outputs parity compares.
  const { tensors } = await oursOnce(true);
  const input = findTensor(tensors, 'input');
  const [h, w, c] = input.shape;
  const feeds = { input: tensor(hwcToChw(input.data as Float32Array, h, w, c), [1, c, h, w]) };
  const ortOnce = async () => {
    const started = performance.now();
    const outputs = await session.run(feeds);
    return { ms: performance.now() - started, outputs };
  };
  const ortFirst = await ortOnce();
  const parity = {
    predLogits: relativeError((await ortFirst.outputs.pred_logits.getData()) as Float32Array, findTensor(tensors, 'pred_logits').data as Float32Array),
    predMasks: relativeError((await ortFirst.outputs.pred_masks.getData()) as Float32Array, hwcToChw(findTensor(tensors, 'pred_masks').data as Float32Array, ...hwk(tensors))),
  };
  for (const t of Object.values(ortFirst.outputs)) t.dispose();
  const ours: BenchRun[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < runs; r++) {
    ours.push((await oursOnce(false)).run);
    const run = await ortOnce();
    for (const t of Object.values(run.outputs)) t.dispose();
    theirs.push(run.ms);
  }
  const oursStages = summarise(ours);
  return {
    model: segmenter.config.name,
    ours: { firstRunMs: network(summarise([first.run])).medianMs, network: network(oursStages), stages: oursStages },
    ort: { firstRunMs: ortFirst.ms, network: spread(theirs) },
    parity,
  };
}

export function peersTable(report: PeerReport): string {
  const row = (t: PeerTiming) =>
    `| ${t.engine} | ${t.threads ?? '-'} | ${t.network.medianMs.toFixed(1)} | ${t.network.minMs.toFixed(1)} - ${t.network.maxMs.toFixed(1)} | ${t.firstRunMs.toFixed(1)} |`;
  const { ours, ort: theirs } = report;
  const isolated = report.crossOriginIsolated === undefined ? [] : [`cross-origin isolated: ${report.crossOriginIsolated ? 'yes' : 'no'}`];
  return [
    `${report.model}, ${report.device}, input ${report.size}x${report.size}, network only, median of ${report.runs} alternating runs`,
    '',
    '| engine | threads | median ms | min - max ms | first run ms |',
    '|---|---:|---:|---:|---:|',
    row(ours),
    row(theirs),
    '',
    `ratio ours/ORT: median ${(ours.network.medianMs / theirs.network.medianMs).toFixed(2)}, first run ${(ours.firstRunMs / theirs.firstRunMs).toFixed(2)}`,
    `parity (max |ORT - ours| / max |ours|): class logits ${report.parity.predLogits.toExponential(1)}, mask logits ${report.parity.predMasks.toExponential(1)}`,
    ...isolated,
  ].join('\n');
}

function network(stats: readonly StageStats[]): StageStats {
  return stats.find((s) => s.stage === 'network') as StageStats;
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
  return network(summarise(values.map((ms) => ({ timings: [{ stage: 'session.run', ms }], endToEnd: ms }))));
}
