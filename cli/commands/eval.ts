import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { groundTruthImages, panopticMap, type CocoPanopticJson } from '../../src/eval/coco-panoptic';
import { EvalPartial, inShard, parseShard, PartialFormatError, type EvalShard } from '../../src/eval/eval-partial';
import { assignmentCovering } from '../../src/eval/layer-covering';
import { matchSegments, type PanopticQuality } from '../../src/eval/panoptic-quality';
import { decodeImage } from '../image-io';
import { parseNumber, requireValue, UsageError } from '../usage';
import { attentionFor, openSegmenter, parseAttention } from './segment';

export const EVAL_USAGE =
  'kmax eval --model DIR --images DIR --panoptic-json FILE [--panoptic-dir DIR] [--attention kmeans|softmax|masked|cluster-softmax (default: as the model was trained)] ' +
  '[--backend wasm|cpu] [--threads T] [--size N] [--limit N] [--min-pq X] [--json] [--shard K/N --partial OUT.json]\n' +
  '       kmax eval --merge PART.json... [--min-pq X] [--json]';

/**
 * `kmax eval`: PQ, SQ, RQ (all, things, stuff, per class) of a model on a COCO panoptic
 * dataset, computed as the COCO panoptic evaluation defines them, on the TypeScript engine;
 * and how well each kMaX layer's clusters cover the ground-truth segments (src/eval/layer-covering).
 * `--shard K/N --partial OUT.json` evaluates images K, K+N, K+2N... and writes their
 * sufficient statistics; `--merge` combines the N parts into exactly one run's numbers.
 */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      images: { type: 'string' },
      'panoptic-json': { type: 'string' },
      'panoptic-dir': { type: 'string' },
      attention: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      size: { type: 'string' },
      limit: { type: 'string' },
      threads: { type: 'string' },
      'min-pq': { type: 'string' },
      json: { type: 'boolean', default: false },
      shard: { type: 'string' },
      partial: { type: 'string' },
      merge: { type: 'boolean', default: false },
    },
  });
  const minPq = parseNumber(values['min-pq'], '--min-pq');
  let partial: EvalPartial;
  if (values.merge) {
    if (positionals.length === 0) throw new UsageError(`--merge needs the partial files of every shard\nusage: ${EVAL_USAGE}`);
    partial = EvalPartial.merge(await Promise.all(positionals.map(async (file) => ({ source: file, partial: await readPartial(file) }))));
  } else {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (partial files go after --merge)\nusage: ${EVAL_USAGE}`);
    if (values.shard !== undefined && values.partial === undefined) throw new UsageError(`--shard needs --partial OUT.json to write its statistics to\nusage: ${EVAL_USAGE}`);
    let shard: EvalShard = { index: 0, count: 1 };
    if (values.shard !== undefined) {
      try {
        shard = parseShard(values.shard);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    partial = await evaluate(values, shard);
    if (values.partial !== undefined) {
      await writeFile(values.partial, JSON.stringify(partial.toJSON()));
      if (values.shard !== undefined) {
        console.log(`shard ${shard.index}/${shard.count}: ${partial.imageIds.length} of ${partial.run.images} images in ${partial.seconds.toFixed(1)} s -> ${values.partial}`);
        return 0;
      }
    }
  }
  const { images, quality, layerCovering } = partial.result();
  const { attention } = partial.run;
  if (values.json) {
    console.log(JSON.stringify({ images, attention, seconds: partial.seconds, ...serialise(quality), layerCovering }, null, 1));
  } else {
    console.log(report(quality, partial.categories, images, attention, partial.seconds, layerCovering));
  }
  if (minPq !== undefined && quality.all.pq < minPq) {
    console.error(`kmax eval: PQ ${quality.all.pq.toFixed(4)} is below --min-pq ${minPq}`);
    return 1;
  }
  return 0;
}

interface EvalValues {
  readonly model?: string;
  readonly images?: string;
  readonly 'panoptic-json'?: string;
  readonly 'panoptic-dir'?: string;
  readonly attention?: string;
  readonly backend: string;
  readonly size?: string;
  readonly limit?: string;
  readonly threads?: string;
}

/** Runs the model on the shard's images and gathers their statistics. */
async function evaluate(values: EvalValues, shard: EvalShard): Promise<EvalPartial> {
  const jsonFile = requireValue(values['panoptic-json'], '--panoptic-json', EVAL_USAGE);
  const imagesDir = requireValue(values.images, '--images', EVAL_USAGE);
  const modelDir = requireValue(values.model, '--model', EVAL_USAGE);
  const panopticDir = values['panoptic-dir'] ?? path.join(path.dirname(jsonFile), 'panoptic');
  const datasetBytes = await readFile(jsonFile);
  const dataset = JSON.parse(datasetBytes.toString('utf8')) as CocoPanopticJson;
  const images = groundTruthImages(dataset).slice(0, parseNumber(values.limit, '--limit'));
  if (values.attention !== undefined) parseAttention(values.attention);
  const inputSize = parseNumber(values.size, '--size');
  const modelSha256 = bytesToHex(sha256(await readFile(path.join(modelDir, 'model.json'))));
  const segmenter = await openSegmenter(modelDir, values.backend, parseNumber(values.threads, '--threads'));
  try {
    const attention = attentionFor(segmenter, values.attention);
    const partial = new EvalPartial(
      { modelSha256, attention, inputSize: inputSize ?? null, datasetSha256: bytesToHex(sha256(datasetBytes)), images: images.length },
      [shard],
      dataset.categories.map((c) => ({ id: c.id, name: c.name, isThing: Boolean(c.isthing) })),
    );
    const started = performance.now();
    for (const [i, gt] of images.entries()) {
      if (!inShard(i, shard)) continue;
      const image = await decodeImage(new Uint8Array(await readFile(path.join(imagesDir, gt.imageFile))), gt.imageFile);
      const result = await segmenter.segment(image, { inputSize, attention, stages: true });
      const truthImage = await decodeImage(new Uint8Array(await readFile(path.join(panopticDir, gt.panopticFile))), gt.panopticFile);
      const truth = { ...panopticMap(new Uint8Array(truthImage.data), truthImage.channels, gt.segments), width: truthImage.width, height: truthImage.height };
      const prediction = { ids: result.panoptic.ids, segments: result.panoptic.segments.map((s) => ({ id: s.id, categoryId: s.categoryId })) };
      partial.addImage(gt.imageFile, matchSegments(truth, prediction), (result.layers ?? []).map((record) => assignmentCovering(record, truth)));
    }
    partial.seconds = (performance.now() - started) / 1000;
    return partial;
  } finally {
    segmenter.dispose();
  }
}

async function readPartial(file: string): Promise<EvalPartial> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new PartialFormatError(`cannot read the partial result ${file}: ${(error as Error).message}`);
  }
  return EvalPartial.parse(json, file);
}

function serialise(q: PanopticQuality) {
  return { all: q.all, things: q.things, stuff: q.stuff, perCategory: Object.fromEntries(q.perCategory) };
}

function report(
  q: PanopticQuality,
  categories: readonly { readonly id: number; readonly name: string }[],
  images: number,
  attention: string,
  seconds: number,
  layerCovering: readonly number[],
): string {
  const pct = (v: number) => (100 * v).toFixed(1);
  const row = (name: string, r: { pq: number; sq: number; rq: number }, n = '') => `| ${name} | ${pct(r.pq)} | ${pct(r.sq)} | ${pct(r.rq)} | ${n} |`;
  const names = new Map(categories.map((c) => [c.id, c.name]));
  return [
    `${images} images, ${attention} attention, ${seconds.toFixed(1)} s`,
    '',
    '| | PQ | SQ | RQ | categories |',
    '|---|---:|---:|---:|---:|',
    row('all', q.all, String(q.all.n)),
    row('things', q.things, String(q.things.n)),
    row('stuff', q.stuff, String(q.stuff.n)),
    ...[...q.perCategory].map(([id, r]) => row(names.get(id) ?? String(id), r)),
    '',
    'Covering of the ground-truth segments by each layer\'s argmax clusters (kMaX layers 1..n, then the final masks):',
    layerCovering.map((c) => (100 * c).toFixed(1)).join(' '),
  ].join('\n');
}
