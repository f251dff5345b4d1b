/**
 * Panoptic quality (Kirillov et al. 2019) exactly as the COCO panoptic evaluation
 * (panopticapi `pq_compute`) counts it:
 *  - a prediction matches a ground-truth segment of the same category when IoU > 0.5
 *    (unique by construction, so no assignment problem);
 *  - pixels of the prediction that lie on void ground truth (id 0 or an id without a
 *    segment) are left out of the union;
 *  - crowd ground truth never matches and is no false negative; an unmatched prediction is
 *    no false positive when more than half of it lies on void or on a crowd region of its
 *    category;
 *  - PQ = ΣIoU / (TP + FP/2 + FN/2), SQ = ΣIoU / TP, RQ = TP / (TP + FP/2 + FN/2), averaged
 *    over the categories that occur (TP + FP + FN > 0), overall and for things and stuff.
 * Everything is a pure function of id maps and segment lists.
 */

export interface Segment {
  /** Value of the segment's pixels in the id map; 0 is void. */
  readonly id: number;
  readonly categoryId: number;
  /** Ground truth only. */
  readonly isCrowd?: boolean;
}

export interface PanopticMap {
  /** Row-major segment ids, one per pixel. */
  readonly ids: Int32Array;
  readonly segments: readonly Segment[];
}

export interface CategoryCounts {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  /** Sum of the IoUs of the true positives. */
  readonly iou: number;
}

/** Counts per category id. */
export type PanopticCounts = ReadonlyMap<number, CategoryCounts>;

export interface Quality {
  readonly pq: number;
  readonly sq: number;
  readonly rq: number;
}

export interface QualitySummary extends Quality {
  /** Number of categories averaged. */
  readonly n: number;
}

export interface PanopticQuality {
  readonly all: QualitySummary;
  readonly things: QualitySummary;
  readonly stuff: QualitySummary;
  readonly perCategory: ReadonlyMap<number, Quality>;
}

export interface EvalCategory {
  readonly id: number;
  readonly isThing: boolean;
}

const VOID = 0;
/** Pair key = gt * 2^24 + pred; COCO ids are 24-bit (R + 256 G + 256² B), so keys stay exact. */
const PAIR = 2 ** 24;

/** Pixel counts of every (ground truth id, prediction id) pair, ids not in a segment list become void. */
function overlaps(gt: PanopticMap, pred: PanopticMap): Map<number, number> {
  if (gt.ids.length !== pred.ids.length) {
    throw new Error(`id maps differ in size: ${gt.ids.length} vs ${pred.ids.length} pixels`);
  }
  const gtKnown = new Set(gt.segments.map((s) => s.id));
  const predKnown = new Set(pred.segments.map((s) => s.id));
  const counts = new Map<number, number>();
  for (let i = 0; i < gt.ids.length; i++) {
    const g = gtKnown.has(gt.ids[i]) ? gt.ids[i] : VOID;
    const p = predKnown.has(pred.ids[i]) ? pred.ids[i] : VOID;
    const key = g * PAIR + p;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function add(counts: Map<number, CategoryCounts>, category: number, delta: Partial<CategoryCounts>): void {
  const c = counts.get(category) ?? { tp: 0, fp: 0, fn: 0, iou: 0 };
  counts.set(category, {
    tp: c.tp + (delta.tp ?? 0),
    fp: c.fp + (delta.fp ?? 0),
    fn: c.fn + (delta.fn ?? 0),
    iou: c.iou + (delta.iou ?? 0),
  });
}

/** TP/FP/FN and summed IoU per category for one image. */
export function matchSegments(gt: PanopticMap, pred: PanopticMap): PanopticCounts {
  const pairs = overlaps(gt, pred);
  const gtArea = new Map<number, number>();
  const predArea = new Map<number, number>();
  for (const [key, n] of pairs) {
    const g = Math.floor(key / PAIR);
    const p = key % PAIR;
    gtArea.set(g, (gtArea.get(g) ?? 0) + n);
    predArea.set(p, (predArea.get(p) ?? 0) + n);
  }
  const gtById = new Map(gt.segments.map((s) => [s.id, s]));
  const predById = new Map(pred.segments.map((s) => [s.id, s]));
  const counts = new Map<number, CategoryCounts>();
  const matchedGt = new Set<number>();
  const matchedPred = new Set<number>();

  for (const [key, intersection] of pairs) {
    const g = gtById.get(Math.floor(key / PAIR));
    const p = predById.get(key % PAIR);
    if (g === undefined || p === undefined || g.isCrowd || g.categoryId !== p.categoryId) continue;
    const onVoid = pairs.get(VOID * PAIR + p.id) ?? 0;
    const union = (predArea.get(p.id) ?? 0) + (gtArea.get(g.id) ?? 0) - intersection - onVoid;
    const iou = intersection / union;
    if (iou > 0.5) {
      add(counts, g.categoryId, { tp: 1, iou });
      matchedGt.add(g.id);
      matchedPred.add(p.id);
    }
  }

  const crowdOf = new Map<number, number>();
  for (const g of gt.segments) {
    if (g.isCrowd) crowdOf.set(g.categoryId, g.id);
    else if (!matchedGt.has(g.id)) add(counts, g.categoryId, { fn: 1 });
  }

  for (const p of pred.segments) {
    const area = predArea.get(p.id) ?? 0;
    if (matchedPred.has(p.id) || area === 0) continue;
    const crowd = crowdOf.get(p.categoryId);
    const ignored = (pairs.get(VOID * PAIR + p.id) ?? 0) + (crowd === undefined ? 0 : pairs.get(crowd * PAIR + p.id) ?? 0);
    if (ignored / area > 0.5) continue;
    add(counts, p.categoryId, { fp: 1 });
  }
  return counts;
}

/** Sum of per-image counts (a dataset is the sum of its images). */
export function sumCounts(images: Iterable<PanopticCounts>): PanopticCounts {
  const total = new Map<number, CategoryCounts>();
  for (const image of images) for (const [category, c] of image) add(total, category, c);
  return total;
}

function categoryQuality(c: CategoryCounts): Quality {
  const denominator = c.tp + 0.5 * c.fp + 0.5 * c.fn;
  return { pq: c.iou / denominator, sq: c.tp > 0 ? c.iou / c.tp : 0, rq: c.tp / denominator };
}

function average(qualities: readonly Quality[]): QualitySummary {
  const n = qualities.length;
  const mean = (pick: (q: Quality) => number): number => (n === 0 ? 0 : qualities.reduce((s, q) => s + pick(q), 0) / n);
  return { pq: mean((q) => q.pq), sq: mean((q) => q.sq), rq: mean((q) => q.rq), n };
}

/** PQ/SQ/RQ per category and averaged over the categories that occur. */
export function panopticQuality(counts: PanopticCounts, categories: readonly EvalCategory[]): PanopticQuality {
  const perCategory = new Map<number, Quality>();
  for (const category of categories) {
    const c = counts.get(category.id);
    if (c !== undefined && c.tp + c.fp + c.fn > 0) perCategory.set(category.id, categoryQuality(c));
  }
  const over = (keep: (c: EvalCategory) => boolean): QualitySummary =>
    average(categories.filter((c) => keep(c) && perCategory.has(c.id)).map((c) => perCategory.get(c.id) as Quality));
  return {
    all: over(() => true),
    things: over((c) => c.isThing),
    stuff: over((c) => !c.isThing),
    perCategory,
  };
}
