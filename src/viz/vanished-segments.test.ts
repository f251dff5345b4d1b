import { describe, expect, it } from 'vitest';
import type { ClusterVerdict, PanopticResult, Segment } from '../segmenter/types';
import { vanishedSegments, type ExplainedRun } from './vanished-segments';

const segment = (id: number, cluster: number, name: string): Segment => ({ id, classId: 0, categoryId: 1, name, isThing: true, score: 0.9, area: 1, cluster });
const verdict = (outcome: ClusterVerdict['outcome'], score = 0.9): ClusterVerdict => ({ classId: 0, score, isThing: true, pixels: 4, outcome });

/** A 4 x 2 picture whose network input is the same size; the final layer has stride 1, so each pixel is its own cell. */
function run(ids: number[], segments: Segment[], assignment: number[], clusters: ClusterVerdict[]): ExplainedRun {
  const panoptic: PanopticResult = { width: 4, height: 2, ids: new Int32Array(ids), segments, clusters };
  return { panoptic, final: { assignment: new Int32Array(assignment), width: 4, stride: 1, validWidth: 4, validHeight: 2 }, resized: { resizedWidth: 4, resizedHeight: 2 } };
}

describe('vanished segments', () => {
  it('lists segments without a one-to-one counterpart, with the verdict on the other run cluster holding most of their pixels', () => {
    // A: disc (1) left, square (2) right. B: only the disc (renumbered 7); the square's pixels are void
    // in B, where cluster 3 holds 3 of its 4 pixels and was dropped by its class score.
    const a = run([1, 1, 2, 2, 1, 1, 2, 2], [segment(1, 0, 'disc'), segment(2, 1, 'square')], [0, 0, 1, 1, 0, 0, 1, 1], [verdict({ kind: 'kept', segmentId: 1 }), verdict({ kind: 'kept', segmentId: 2 })]);
    const dropped = verdict({ kind: 'class-score', threshold: 0.5, rule: '>' }, 0.42);
    const b = run([7, 7, 0, 0, 7, 7, 0, 0], [segment(7, 5, 'disc')], [5, 5, 3, 3, 5, 5, 3, 2], [verdict({ kind: 'kept', segmentId: 1 }), verdict({ kind: 'kept', segmentId: 1 }), verdict({ kind: 'empty-mask', pixelThreshold: 0.4 }), dropped, verdict({ kind: 'kept', segmentId: 1 }), verdict({ kind: 'kept', segmentId: 7 })]);
    const vanished = vanishedSegments(a, b);
    expect(vanished).toHaveLength(1);
    expect(vanished[0]).toMatchObject({ run: 0, segment: { id: 2, name: 'square' }, other: { cluster: 3, share: 0.75 } });
    expect(vanished[0].other?.verdict).toBe(dropped);
    // Seen from B, nothing vanished from A's side but the square is B's loss; swapping the runs swaps the side.
    expect(vanishedSegments(b, a).map((v) => [v.run, v.segment.id])).toEqual([[1, 2]]);
  });

  it('a segment merged into a bigger one has no pair either, and the verdict names the segment that took it', () => {
    const a = run([1, 1, 2, 2, 1, 1, 1, 1], [segment(1, 0, 'sky'), segment(2, 1, 'disc')], [0, 0, 1, 1, 0, 0, 0, 0], []);
    const b = run([3, 3, 3, 3, 3, 3, 3, 3], [segment(3, 0, 'sky')], [0, 0, 0, 1, 0, 0, 0, 0], [verdict({ kind: 'kept', segmentId: 3 }), verdict({ kind: 'overlap', free: 1, pixels: 2, overlapThreshold: 0.8 })]);
    const [v] = vanishedSegments(a, b);
    expect(v).toMatchObject({ run: 0, segment: { id: 2 }, other: { share: 0.5 } });
    // A tie (one cell each for clusters 0 and 1) goes to the lower cluster id.
    expect(v.other?.cluster).toBe(0);
    expect(v.other?.verdict?.outcome).toEqual({ kind: 'kept', segmentId: 3 });
  });

  it('has no cluster to name when the other run recorded no final layer', () => {
    const a = run([1, 1, 1, 1, 1, 1, 1, 1], [segment(1, 0, 'sky')], new Array(8).fill(0), []);
    const b: ExplainedRun = { panoptic: { width: 4, height: 2, ids: new Int32Array(8), segments: [] }, resized: { resizedWidth: 4, resizedHeight: 2 } };
    expect(vanishedSegments(a, b)).toEqual([{ run: 0, segment: a.panoptic.segments[0], other: null }]);
  });
});
