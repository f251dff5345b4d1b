import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeNpy } from '../../src/checkpoints/numpy/npy';
import { loadSegmenter } from '../../src/segmenter';
import { ATTENTION_MODES, type AttentionMode, type SegmentResult, type Segmenter } from '../../src/segmenter/types';
import { encodeCocoPanopticPng, renderOverlay } from '../../src/viz/export';
import { decodeImage, encodePng } from '../image-io';
import { readModelDir } from '../model-dir';
import { selectNodeBackend, type NodeBackend } from '../node-backend';
import { parseNumber, requireValue, UsageError } from '../usage';

export const SEGMENT_USAGE =
  'kmax segment IMAGE --model DIR --out DIR [--backend wasm|cpu|webgpu] [--threads T] [--size N] [--attention kmeans|softmax|masked|cluster-softmax (default: as the model was trained)] ' +
  '[--class-threshold-thing X] [--class-threshold-stuff X] [--pixel-threshold X] [--overlap-threshold X] [--dump]';

export const SEGMENT_OPTIONS = {
  model: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string', default: 'wasm' },
  size: { type: 'string' },
  attention: { type: 'string' },
  'class-threshold-thing': { type: 'string' },
  'class-threshold-stuff': { type: 'string' },
  'pixel-threshold': { type: 'string' },
  'overlap-threshold': { type: 'string' },
  threads: { type: 'string' },
  dump: { type: 'boolean', default: false },
} as const;

/** `kmax segment`: panoptic.png (COCO encoding), segments.json, overlay.png, optional tensor dump. */
export async function segmentCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: SEGMENT_OPTIONS, allowPositionals: true });
  const imagePath = requireValue(positionals[0], 'IMAGE', SEGMENT_USAGE);
  const out = requireValue(values.out, '--out', SEGMENT_USAGE);
  const segmenter = await openSegmenter(requireValue(values.model, '--model', SEGMENT_USAGE), values.backend, parseNumber(values.threads, '--threads'));
  try {
    const image = await decodeImage(new Uint8Array(await readFile(imagePath)), imagePath);
    const size = parseNumber(values.size, '--size');
    const result = await segmenter.segment(image, {
      inputSize: size,
      attention: attentionFor(segmenter, values.attention),
      thresholds: thresholdOverrides(values),
      dump: values.dump,
    });
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'panoptic.png'), encodePng(encodeCocoPanopticPng(result.panoptic)));
    await writeFile(path.join(out, 'segments.json'), JSON.stringify(segmentsInfo(result), null, 1));
    await writeFile(path.join(out, 'overlay.png'), encodePng(renderOverlay(image, result.panoptic, segmenter.classes)));
    if (result.tensors !== undefined) await writeDump(path.join(out, 'tensors'), result);
    const total = result.timings.reduce((s, t) => s + t.ms, 0);
    console.log(`${result.panoptic.segments.length} segments at input ${result.inputSize.join('x')} in ${total.toFixed(0)} ms -> ${out}`);
    return 0;
  } finally {
    segmenter.dispose();
  }
}

export async function openSegmenter(modelDir: string, backend: string, threads?: number): Promise<Segmenter> {
  if (backend !== 'wasm' && backend !== 'cpu' && backend !== 'webgpu') throw new UsageError(`--backend must be wasm, cpu or webgpu, got "${backend}"`);
  await selectNodeBackend(backend as NodeBackend, threads);
  return loadSegmenter({ kind: 'files', files: await readModelDir(modelDir) });
}

/** The --attention given, else the one the model was trained with (model.json provenance), else kMaX's argmax. */
export function attentionFor(segmenter: Segmenter, value: string | undefined): AttentionMode {
  return value === undefined ? (segmenter.trainedAttention ?? 'kmeans') : parseAttention(value);
}

export function parseAttention(value: string, flag = '--attention'): AttentionMode {
  const mode = ATTENTION_MODES.find((m) => m === value);
  if (mode === undefined) throw new UsageError(`${flag} must be one of ${ATTENTION_MODES.join(', ')}, got "${value}"`);
  return mode;
}

function thresholdOverrides(values: Record<string, string | boolean | undefined>) {
  const pick = (flag: string) => parseNumber(values[flag] as string | undefined, `--${flag}`);
  const overrides = {
    classThresholdThing: pick('class-threshold-thing'),
    classThresholdStuff: pick('class-threshold-stuff'),
    pixelThreshold: pick('pixel-threshold'),
    overlapThreshold: pick('overlap-threshold'),
  };
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
}

/** COCO panoptic `segments_info`, plus name and score. */
function segmentsInfo(result: SegmentResult) {
  return result.panoptic.segments.map((s) => ({
    id: s.id,
    category_id: s.categoryId,
    isthing: s.isThing ? 1 : 0,
    area: s.area,
    name: s.name,
    score: s.score,
  }));
}

async function writeDump(dir: string, result: SegmentResult): Promise<void> {
  const index: Record<string, { file: string; shape: readonly number[]; layout: string; dtype: string }> = {};
  for (const t of result.tensors ?? []) {
    const file = `${t.name}.npy`;
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    const dtype = t.data instanceof Int32Array ? 'int32' : 'float32';
    await writeFile(path.join(dir, file), writeNpy({ dtype, shape: t.shape, data: t.data }));
    index[t.name] = { file, shape: t.shape, layout: t.layout, dtype };
  }
  await writeFile(path.join(dir, 'index.json'), JSON.stringify(index, null, 1));
}
