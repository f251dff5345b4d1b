import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-web';
import { activeThreads, NODE_WASM_MAX_THREADS } from '../node-backend';
import { comparePeers, type PeerReport } from './bench-peers-run';
import { RANDOM_INIT_REVISION } from '../../src/model/random-init';
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

const PYTHON = '/usr/bin/python3';

/** `kmax init --preset NAME` once, into the system's temporary folder. */
export async function presetModelDir(preset: string): Promise<string> {
  const dir = path.join(os.tmpdir(), 'kmax-bench', `${preset}-seed0-init${RANDOM_INIT_REVISION}`);
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

/** The ONNX export of the model folder at `size`, made once and cached by the folder's name, its model.json's time and the size. */
export async function onnxFor(options: Pick<PeerOptions, 'modelDir' | 'size' | 'onnxPath'>): Promise<string> {
  const modelStamp = Math.round((await stat(path.join(options.modelDir, 'model.json'))).mtimeMs);
  const onnxPath = options.onnxPath ?? path.join(os.tmpdir(), 'kmax-bench', `${path.basename(path.resolve(options.modelDir))}-${modelStamp}-${options.size}.onnx`);
  if (!existsSync(onnxPath)) await exportOnnx(options.modelDir, options.size, onnxPath);
  return onnxPath;
}

/**
 * Runs our engine (wasm) and ONNX Runtime Web (wasm) in this process on the same model and
 * the same normalised input, alternating runs, after a first run of each reported apart.
 */
export async function benchPeers(options: PeerOptions): Promise<PeerReport> {
  const onnxPath = await onnxFor(options);
  // Ours gets as many threads as tfjs-backend-wasm has in Node (NODE_WASM_THREADS_REASON); the table says how many.
  const segmenter = await openSegmenter(options.modelDir, 'wasm', Math.min(options.threads, NODE_WASM_MAX_THREADS));
  ort.env.logLevel = 'warning';
  ort.env.wasm.numThreads = options.threads;
  const session = await ort.InferenceSession.create(await readFile(onnxPath), { executionProviders: ['wasm'], logSeverityLevel: 2 });
  try {
    const runs = await comparePeers({ segmenter, session, tensor: (data, dims) => new ort.Tensor('float32', data, dims) }, options.size, options.runs);
    return {
      model: runs.model,
      device: 'wasm in Node',
      size: options.size,
      runs: options.runs,
      ours: { engine: 'kmax-lens', threads: activeThreads(), ...runs.ours },
      ort: { engine: 'onnxruntime-web', threads: options.threads, ...runs.ort },
      parity: runs.parity,
    };
  } finally {
    await session.release();
    segmenter.dispose();
  }
}
