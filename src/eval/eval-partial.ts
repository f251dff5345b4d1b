/**
 * The sufficient statistics of a panoptic evaluation: per category TP, FP, FN and the
 * IoU sum, and per kMaX layer the sum of the images' coverings. A shard of the images
 * (`kmax eval --shard K/N --partial OUT.json`) writes one; merging the parts of all N
 * shards gives exactly the numbers of one run over every image, because counts are
 * integers and the sums are exact (ExactSum), so no addition order can change a bit.
 */
import { ExactSum } from './exact-sum';
import { panopticQuality, type CategoryCounts, type EvalCategory, type PanopticCounts, type PanopticQuality } from './panoptic-quality';

export const PARTIAL_FORMAT = 'kmax-eval-partial/1';

/** What must agree between the shards of one evaluation. */
export interface EvalRun {
  /** SHA-256 of the model's model.json. */
  readonly modelSha256: string;
  readonly attention: string;
  readonly inputSize: number | null;
  /** SHA-256 of the panoptic JSON, and how many of its images the evaluation covers. */
  readonly datasetSha256: string;
  readonly images: number;
}

export interface EvalShard {
  readonly index: number;
  readonly count: number;
}

interface CategorySums {
  tp: number;
  fp: number;
  fn: number;
  readonly iou: ExactSum;
}

/** One shard's statistics, or the merge of several. */
export class EvalPartial {
  private readonly counts = new Map<number, CategorySums>();
  private covering: ExactSum[] | null = null;
  readonly imageIds: (string | number)[] = [];
  seconds = 0;

  constructor(
    readonly run: EvalRun,
    readonly shards: EvalShard[],
    readonly categories: readonly (EvalCategory & { readonly name: string })[],
  ) {}

  /** Adds one image: its per-category counts and each layer's covering (layers 1..n, then the final masks). */
  addImage(id: string | number, counts: PanopticCounts, covering: readonly number[]): void {
    this.imageIds.push(id);
    for (const [category, c] of counts) this.category(category, c);
    this.addCovering(covering.map((v) => ExactSum.zero().add(v)));
  }

  /** PQ/SQ/RQ and the mean covering per layer. */
  result(): { images: number; quality: PanopticQuality; layerCovering: number[] } {
    const counts = new Map<number, CategoryCounts>([...this.counts].map(([id, c]) => [id, { tp: c.tp, fp: c.fp, fn: c.fn, iou: c.iou.value() }]));
    const n = this.imageIds.length;
    return {
      images: n,
      quality: panopticQuality(counts, this.categories),
      layerCovering: (this.covering ?? []).map((s) => s.value() / n),
    };
  }

  toJSON(): PartialJson {
    return {
      format: PARTIAL_FORMAT,
      run: this.run,
      shards: this.shards,
      categories: this.categories,
      imageIds: this.imageIds,
      counts: Object.fromEntries([...this.counts].map(([id, c]) => [id, { tp: c.tp, fp: c.fp, fn: c.fn, iouSum: c.iou.toJSON() }])),
      coveringSums: (this.covering ?? []).map((s) => s.toJSON()),
      seconds: this.seconds,
    };
  }

  /** Reads a part written by `toJSON`; `source` names it in errors. */
  static parse(json: unknown, source: string): EvalPartial {
    const p = json as Partial<PartialJson> | null;
    if (typeof p !== 'object' || p === null || p.format !== PARTIAL_FORMAT) {
      throw new PartialFormatError(`${source} is not a kmax eval partial (expected "format": "${PARTIAL_FORMAT}")`);
    }
    try {
      const partial = new EvalPartial(p.run as EvalRun, [...(p.shards as EvalShard[])], p.categories as PartialJson['categories']);
      partial.imageIds.push(...(p.imageIds as (string | number)[]));
      for (const [id, c] of Object.entries(p.counts as PartialJson['counts'])) {
        partial.counts.set(Number(id), { tp: c.tp, fp: c.fp, fn: c.fn, iou: ExactSum.parse(c.iouSum) });
      }
      if ((p.coveringSums as string[]).length > 0) partial.addCovering((p.coveringSums as string[]).map(ExactSum.parse));
      partial.seconds = Number(p.seconds ?? 0);
      return partial;
    } catch (error) {
      throw new PartialFormatError(`${source} is damaged: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Combines the parts of one evaluation. Every part must describe the same run, and
   * together they must be the shards 0..N-1 of one split, each exactly once.
   */
  static merge(parts: readonly { readonly partial: EvalPartial; readonly source: string }[]): EvalPartial {
    if (parts.length === 0) throw new PartialFormatError('no partial results to merge');
    const [first] = parts;
    const run = JSON.stringify(first.partial.run);
    const seen = new Map<string, string>();
    for (const { partial, source } of parts) {
      if (JSON.stringify(partial.run) !== run) {
        throw new PartialFormatError(`${source} comes from another evaluation than ${first.source} (model, attention, size or dataset differ)`);
      }
      for (const shard of partial.shards) {
        const key = `${shard.index}/${shard.count}`;
        const other = seen.get(key);
        if (other !== undefined) throw new PartialFormatError(`shard ${key} is in both ${other} and ${source}`);
        seen.set(key, source);
      }
    }
    const counts = new Set([...parts.flatMap((p) => p.partial.shards.map((s) => s.count))]);
    const [count] = counts;
    if (counts.size !== 1 || seen.size !== count) {
      const missing = count === undefined ? [] : Array.from({ length: count }, (_, i) => `${i}/${count}`).filter((k) => !seen.has(k));
      throw new PartialFormatError(
        counts.size !== 1 ? `the parts split the images differently (${[...counts].join(' and ')} shards)` : `shards ${missing.join(', ')} are missing`,
      );
    }
    const merged = new EvalPartial(first.partial.run, [...seen.keys()].map((k) => ({ index: Number(k.split('/')[0]), count })), first.partial.categories);
    for (const { partial } of parts) {
      merged.imageIds.push(...partial.imageIds);
      for (const [id, c] of partial.counts) merged.category(id, { tp: c.tp, fp: c.fp, fn: c.fn, iou: 0 }).iou.merge(c.iou);
      if (partial.covering !== null) merged.addCovering(partial.covering);
      merged.seconds += partial.seconds;
    }
    if (merged.imageIds.length !== first.partial.run.images) {
      throw new PartialFormatError(`the parts hold ${merged.imageIds.length} images, but the evaluation covers ${first.partial.run.images}`);
    }
    return merged;
  }

  private category(id: number, c: CategoryCounts): CategorySums {
    let sums = this.counts.get(id);
    if (sums === undefined) this.counts.set(id, (sums = { tp: 0, fp: 0, fn: 0, iou: ExactSum.zero() }));
    sums.tp += c.tp;
    sums.fp += c.fp;
    sums.fn += c.fn;
    if (c.iou !== 0) sums.iou.add(c.iou);
    return sums;
  }

  private addCovering(sums: readonly ExactSum[]): void {
    if (this.covering === null) this.covering = sums.map(() => ExactSum.zero());
    if (sums.length !== this.covering.length) throw new PartialFormatError(`covering of ${sums.length} layers where ${this.covering.length} were expected`);
    sums.forEach((s, l) => (this.covering as ExactSum[])[l].merge(s));
  }
}

export interface PartialJson {
  readonly format: typeof PARTIAL_FORMAT;
  readonly run: EvalRun;
  readonly shards: readonly EvalShard[];
  readonly categories: readonly (EvalCategory & { readonly name: string })[];
  readonly imageIds: readonly (string | number)[];
  /** Per category id; iouSum is an ExactSum (hex count of 2^-1074). */
  readonly counts: Readonly<Record<string, { tp: number; fp: number; fn: number; iouSum: string }>>;
  /** Per layer (kMaX layers, then the final masks): the sum over images of the covering, exact. */
  readonly coveringSums: readonly string[];
  readonly seconds: number;
}

/** A partial result that cannot be read or does not fit the others. */
export class PartialFormatError extends Error {
  override readonly name = 'PartialFormatError';
}

/** Whether image `i` (in dataset order) belongs to `shard`: every N-th image, starting at K. */
export function inShard(i: number, shard: EvalShard): boolean {
  return i % shard.count === shard.index;
}

/** Parses "K/N" (0 <= K < N). */
export function parseShard(text: string): EvalShard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index >= count) throw new RangeError(`--shard must be K/N with 0 <= K < N (e.g. 0/3), got "${text}"`);
  return { index, count };
}
