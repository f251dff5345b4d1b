import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { groundTruthImages, panopticMap, type CocoPanopticJson } from '../../src/eval/coco-panoptic';
import { assignmentCovering } from '../../src/eval/layer-covering';
import { matchSegments, panopticQuality, sumCounts, type PanopticCounts, type PanopticQuality } from '../../src/eval/panoptic-quality';
import { decodeImage } from '../image-io';
import { parseNumber, requireValue } from '../usage';
import { openSegmenter, parseAttention } from './segment';

export const EVAL_USAGE =
  'kmax eval --model DIR --images DIR --panoptic-json FILE [--panoptic-dir DIR] [--attention kmeans|softmax|masked|cluster-softmax] ' +
  '[--backend wasm|cpu] [--threads T] [--size N] [--limit N] [--min-pq X] [--json]';

/**
 * `kmax eval`: PQ, SQ, RQ (all, things, stuff, per class) of a model on a COCO panoptic
 * dataset, computed as the COCO panoptic evaluation defines them, on the TypeScript engine;
 * and how well each kMaX layer's clusters cover the ground-truth segments (src/eval/layer-covering).
 */
export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      images: { type: 'string' },
      'panoptic-json': { type: 'string' },
      'panoptic-dir': { type: 'string' },
      attention: { type: 'string', default: 'kmeans' },
      backend: { type: 'string', default: 'wasm' },
      size: { type: 'string' },
      limit: { type: 'string' },
      threads: { type: 'string' },
      'min-pq': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const minPq = parseNumber(values['min-pq'], '--min-pq');
  const jsonFile = requireValue(values['panoptic-json'], '--panoptic-json', EVAL_USAGE);
  const imagesDir = requireValue(values.images, '--images', EVAL_USAGE);
  const panopticDir = values['panoptic-dir'] ?? path.join(path.dirname(jsonFile), 'panoptic');
  const dataset = JSON.parse(await readFile(jsonFile, 'utf8')) as CocoPanopticJson;
  const images = groundTruthImages(dataset).slice(0, parseNumber(values.limit, '--limit'));
  const attention = parseAttention(values.attention);
  const segmenter = await openSegmenter(requireValue(values.model, '--model', EVAL_USAGE), values.backend, parseNumber(values.threads, '--threads'));
  const started = performance.now();
  const counts: PanopticCounts[] = [];
  const covering: number[][] = [];
  try {
    for (const gt of images) {
      const image = await decodeImage(new Uint8Array(await readFile(path.join(imagesDir, gt.imageFile))), gt.imageFile);
      const result = await segmenter.segment(image, { inputSize: parseNumber(values.size, '--size'), attention, stages: true });
      const truthImage = await decodeImage(new Uint8Array(await readFile(path.join(panopticDir, gt.panopticFile))), gt.panopticFile);
      const truth = { ...panopticMap(new Uint8Array(truthImage.data), truthImage.channels, gt.segments), width: truthImage.width, height: truthImage.height };
      const prediction = { ids: result.panoptic.ids, segments: result.panoptic.segments.map((s) => ({ id: s.id, categoryId: s.categoryId })) };
      counts.push(matchSegments(truth, prediction));
      covering.push((result.layers ?? []).map((record) => assignmentCovering(record, truth)));
    }
  } finally {
    segmenter.dispose();
  }
  const quality = panopticQuality(sumCounts(counts), dataset.categories.map((c) => ({ id: c.id, isThing: Boolean(c.isthing) })));
  const layerCovering = meanOverImages(covering);
  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    console.log(JSON.stringify({ images: images.length, attention, seconds, ...serialise(quality), layerCovering }, null, 1));
  } else {
    console.log(report(quality, dataset, images.length, attention, seconds, layerCovering));
  }
  if (minPq !== undefined && quality.all.pq < minPq) {
    console.error(`kmax eval: PQ ${quality.all.pq.toFixed(4)} is below --min-pq ${minPq}`);
    return 1;
  }
  return 0;
}

/** Per layer (the kMaX layers, then the final prediction), the mean over images. */
function meanOverImages(perImage: readonly number[][]): number[] {
  const layers = perImage[0]?.length ?? 0;
  return Array.from({ length: layers }, (_, l) => perImage.reduce((sum, image) => sum + image[l], 0) / perImage.length);
}

function serialise(q: PanopticQuality) {
  return { all: q.all, things: q.things, stuff: q.stuff, perCategory: Object.fromEntries(q.perCategory) };
}

function report(q: PanopticQuality, dataset: CocoPanopticJson, images: number, attention: string, seconds: number, layerCovering: readonly number[]): string {
  const pct = (v: number) => (100 * v).toFixed(1);
  const row = (name: string, r: { pq: number; sq: number; rq: number }, n = '') => `| ${name} | ${pct(r.pq)} | ${pct(r.sq)} | ${pct(r.rq)} | ${n} |`;
  const names = new Map(dataset.categories.map((c) => [c.id, c.name]));
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
