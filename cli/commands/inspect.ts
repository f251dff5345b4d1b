import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkpointSourceOf, readCheckpoint, type NamedCheckpointFile } from '../../src/checkpoints/convert';
import { toFloat32, type RawTensor } from '../../src/checkpoints/raw-tensor';
import { requireValue } from '../usage';

export const INSPECT_USAGE =
  'kmax inspect CHECKPOINT [MORE_FILES] [--json]\n' +
  '  CHECKPOINT: a PyTorch .pth, a detectron2 .pkl, or a TensorFlow checkpoint (ckpt-N.index and its ckpt-N.data-* files)';

export interface TensorSummary {
  readonly key: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  /** null for an empty tensor. */
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/** `kmax inspect`: every tensor of a checkpoint as stored (key, shape, dtype, min/max/mean), nothing converted. */
export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  requireValue(positionals[0], 'CHECKPOINT', INSPECT_USAGE);
  const { source, fileNames } = await checkpointSourceOf(await openCheckpointFiles(positionals));
  const checkpoint = await readCheckpoint(source, { fileNames });
  const tensors = [...checkpoint.tensors].map(([key, t]) => summarise(key, t));
  if (values.json) {
    console.log(JSON.stringify({ format: checkpoint.format, files: checkpoint.files, tensors }, null, 1));
    return 0;
  }
  for (const file of checkpoint.files) console.log(`${file.name}: ${file.bytes} bytes, sha256 ${file.sha256}`);
  const keyWidth = Math.max(...tensors.map((t) => t.key.length), 3);
  console.log(`${'key'.padEnd(keyWidth)}  ${'shape'.padEnd(20)} ${'dtype'.padEnd(8)} ${'min'.padStart(12)} ${'max'.padStart(12)} ${'mean'.padStart(12)}`);
  for (const t of tensors) {
    const stats = [t.min, t.max, t.mean].map((v) => (v === null ? '-' : formatNumber(v)).padStart(12)).join(' ');
    console.log(`${t.key.padEnd(keyWidth)}  ${`[${t.shape.join(', ')}]`.padEnd(20)} ${t.dtype.padEnd(8)} ${stats}`);
  }
  const elements = [...checkpoint.tensors.values()].reduce((n, t) => n + t.data.length, 0);
  console.log(`${checkpoint.format} checkpoint: ${tensors.length} tensors, ${elements} values`);
  return 0;
}

/** Command-line paths as Blobs backed by the disk (read, streaming, only when needed). */
export async function openCheckpointFiles(paths: readonly string[]): Promise<NamedCheckpointFile[]> {
  return Promise.all(paths.map(async (p) => ({ name: path.basename(p), file: await openAsBlob(p) })));
}

export function summarise(key: string, tensor: RawTensor): TensorSummary {
  const values = tensor.dtype === 'float16' ? toFloat32(tensor) : tensor.data;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const raw of values) {
    const v = Number(raw);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const empty = values.length === 0;
  return { key, shape: tensor.shape, dtype: tensor.dtype, min: empty ? null : min, max: empty ? null : max, mean: empty ? null : sum / values.length };
}

function formatNumber(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e12 ? String(v) : v.toPrecision(5);
}
