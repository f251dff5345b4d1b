import { describe, expect, it } from 'vitest';
import { ATTENTION_MODES, type AttentionMode } from '../segmenter/types';
import { belowFloor, matrixDepartures, matrixMarkdown, type AttentionMatrix, type MatrixCell } from './attention-matrix';

const cell = (pq: number): MatrixCell => ({ pq, pqThings: pq - 0.1, pqStuff: pq + 0.1, layerCovering: [0.5, 0.6, 0.7] });
const row = (trainedWith: AttentionMode, pq: (mode: AttentionMode) => number) => ({
  trainedWith,
  runs: Object.fromEntries(ATTENTION_MODES.map((m) => [m, cell(pq(m))])) as Record<AttentionMode, MatrixCell>,
});
const heldOut = { seed: 7, images: 200, size: 129 };
const published: AttentionMatrix = { heldOut, models: { demo: row('kmeans', (m) => (m === 'kmeans' ? 0.8 : 0.3)), 'demo-softmax': row('softmax', () => 0.7) } };

describe('the attention matrix check', () => {
  it('accepts a fresh matrix within the tolerance and names every cell beyond it', () => {
    const close: AttentionMatrix = { heldOut, models: { demo: row('kmeans', (m) => (m === 'kmeans' ? 0.804 : 0.296)), 'demo-softmax': row('softmax', () => 0.7) } };
    expect(matrixDepartures(published, close, 0.005)).toEqual([]);
    const off: AttentionMatrix = { heldOut, models: { demo: row('kmeans', (m) => (m === 'masked' ? 0.306 : m === 'kmeans' ? 0.8 : 0.3)), 'demo-softmax': row('softmax', () => 0.7) } };
    const problems = matrixDepartures(published, off, 0.005);
    // pq, things and stuff of the one changed cell.
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('demo run with masked: pq 30.6 against 30.0 published (off by 0.6, more than 0.5)');
  });

  it('a model or cell missing from the fresh run is a departure, NaN too', () => {
    expect(matrixDepartures(published, { heldOut, models: { demo: published.models.demo } }, 0.005)).toEqual(ATTENTION_MODES.map((m) => `demo-softmax run with ${m}: not evaluated`));
    const nan: AttentionMatrix = { heldOut, models: { ...published.models, demo: row('kmeans', (m) => (m === 'softmax' ? Number.NaN : published.models.demo.runs[m].pq)) } };
    expect(matrixDepartures(published, nan, 0.005)).toHaveLength(3);
  });

  it('floors apply to each model with the attention it was trained with', () => {
    const entries = [
      { id: 'demo', attention: 'kmeans', floor: 0.79 },
      { id: 'demo-softmax', attention: 'softmax', floor: 0.75 },
    ] as const;
    expect(belowFloor(published, entries)).toEqual(['demo-softmax (trained with softmax): PQ 70.0 with its own attention, under its floor 75.0']);
    expect(belowFloor(published, [{ id: 'demo-masked', attention: 'masked', floor: 0.5 }])).toEqual(['demo-masked (trained with masked): PQ not evaluated with its own attention, under its floor 50.0']);
  });

  it('the Markdown table has a row per model, a column per attention, the diagonal in bold', () => {
    const lines = matrixMarkdown(published).split('\n');
    expect(lines[0]).toBe('| trained with \\ run with | kmeans | softmax | masked | cluster-softmax |');
    expect(lines[2]).toBe('| kmeans (`models/demo`) | **80.0 (70.0 / 90.0)** | 30.0 (20.0 / 40.0) | 30.0 (20.0 / 40.0) | 30.0 (20.0 / 40.0) |');
    expect(lines[3]).toContain('| **70.0 (60.0 / 80.0)** |');
  });
});
