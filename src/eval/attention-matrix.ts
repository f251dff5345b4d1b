/**
 * The trained-with x run-with matrix of the demo models: every model evaluated on the same
 * held-out scenes under every cross-attention, and how a fresh evaluation is checked against
 * the published one (within a PQ tolerance) and against each model's floor.
 */
import { ATTENTION_MODES, type AttentionMode } from '../segmenter/types';

/** One evaluation's numbers (PQ in 0..1; covering per kMaX layer, then the final masks). */
export interface MatrixCell {
  readonly pq: number;
  readonly pqThings: number;
  readonly pqStuff: number;
  readonly layerCovering: readonly number[];
}

export interface MatrixRow {
  readonly trainedWith: AttentionMode;
  readonly runs: Readonly<Record<AttentionMode, MatrixCell>>;
}

export interface AttentionMatrix {
  readonly heldOut: { readonly seed: number; readonly images: number; readonly size: number };
  /** Rows by model id, in the order of the model table. */
  readonly models: Readonly<Record<string, MatrixRow>>;
}

export interface DemoModelEntry {
  readonly id: string;
  readonly attention: AttentionMode;
  /** PQ (0..1) the model must reach on the held-out scenes with its own attention. */
  readonly floor: number;
}

/** Every way `fresh` departs from `published` by more than `tolerance` in PQ (all, things, stuff), or lacks a cell. */
export function matrixDepartures(published: AttentionMatrix, fresh: AttentionMatrix, tolerance: number): string[] {
  const problems: string[] = [];
  for (const [id, row] of Object.entries(published.models)) {
    for (const mode of ATTENTION_MODES) {
      const want = row.runs[mode];
      const got = fresh.models[id]?.runs[mode];
      if (got === undefined) {
        problems.push(`${id} run with ${mode}: not evaluated`);
        continue;
      }
      for (const key of ['pq', 'pqThings', 'pqStuff'] as const) {
        const gap = Math.abs(got[key] - want[key]);
        if (!(gap <= tolerance)) problems.push(`${id} run with ${mode}: ${key} ${pct(got[key])} against ${pct(want[key])} published (off by ${pct(gap)}, more than ${pct(tolerance)})`);
      }
    }
  }
  return problems;
}

/** The models whose PQ with their own attention is under their floor. */
export function belowFloor(fresh: AttentionMatrix, entries: readonly DemoModelEntry[]): string[] {
  return entries.flatMap(({ id, attention, floor }) => {
    const pq = fresh.models[id]?.runs[attention]?.pq;
    return pq !== undefined && pq >= floor ? [] : [`${id} (trained with ${attention}): PQ ${pq === undefined ? 'not evaluated' : pct(pq)} with its own attention, under its floor ${pct(floor)}`];
  });
}

/** The matrix as a Markdown table: rows trained with, columns run with, PQ (things / stuff). */
export function matrixMarkdown(matrix: AttentionMatrix): string {
  const head = `| trained with \\ run with | ${ATTENTION_MODES.join(' | ')} |`;
  const rule = `|---|${ATTENTION_MODES.map(() => '---:').join('|')}|`;
  const rows = Object.entries(matrix.models).map(([id, row]) => {
    const cells = ATTENTION_MODES.map((mode) => {
      const c = row.runs[mode];
      const text = `${pct(c.pq)} (${pct(c.pqThings)} / ${pct(c.pqStuff)})`;
      return mode === row.trainedWith ? `**${text}**` : text;
    });
    return `| ${row.trainedWith} (\`models/${id}\`) | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}

const pct = (x: number) => (100 * x).toFixed(1);
