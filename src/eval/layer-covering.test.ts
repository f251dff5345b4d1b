import { describe, expect, it } from 'vitest';
import { assignmentCovering, type AssignmentGrid, type GroundTruthMap } from './layer-covering';

/** A 4x4 ground truth: segment 1 (left half), 2 (right half); `overrides` puts other ids at cells. */
function truth(overrides: Record<number, number> = {}, segments: GroundTruthMap['segments'] = [{ id: 1, categoryId: 5 }, { id: 2, categoryId: 6 }]): GroundTruthMap {
  const ids = Int32Array.from({ length: 16 }, (_, p) => overrides[p] ?? (p % 4 < 2 ? 1 : 2));
  return { ids, width: 4, height: 4, segments };
}

const grid = (assignment: number[], width = 4, validHeight = 4, validWidth = 4): AssignmentGrid => ({ assignment: Int32Array.from(assignment), width, validHeight, validWidth });

describe('assignmentCovering', () => {
  it('is 1 when the clusters are the segments, whatever their numbers', () => {
    expect(assignmentCovering(grid(Array.from({ length: 16 }, (_, p) => (p % 4 < 2 ? 7 : 3))), truth())).toBe(1);
  });

  it('halves when one cluster covers two equal segments (IoU 1/2 each)', () => {
    expect(assignmentCovering(grid(new Array(16).fill(0)), truth())).toBeCloseTo(0.5, 12);
  });

  it('scores a split segment by its best part', () => {
    // Segment 1 split in two clusters of 4 cells (IoU 4/8), segment 2 exact.
    const split = Array.from({ length: 16 }, (_, p) => (p % 4 >= 2 ? 2 : p < 8 ? 0 : 1));
    expect(assignmentCovering(grid(split), truth())).toBeCloseTo((8 * 0.5 + 8 * 1) / 16, 12);
  });

  it('leaves void and crowd pixels out of both the segments and the clusters', () => {
    // Cells 0 and 1 are void (id 0), cell 2 is a crowd segment; they are all in cluster 9.
    const gt = truth({ 0: 0, 1: 0, 2: 3 }, [{ id: 1, categoryId: 5 }, { id: 2, categoryId: 6 }, { id: 3, categoryId: 6, isCrowd: true }]);
    const assignment = Array.from({ length: 16 }, (_, p) => (p < 3 ? 9 : p % 4 < 2 ? 0 : 1));
    expect(assignmentCovering(grid(assignment), gt)).toBe(1);
  });

  it('gives every pixel the cluster of its nearest cell of a coarse grid, and ignores padding', () => {
    // A 2x2 valid area of a 3-wide padded grid over the 4x4 image: each cell covers a 2x2 quadrant.
    const coarse = grid([0, 1, 5, 0, 1, 5, 5, 5, 5], 3, 2, 2);
    expect(assignmentCovering(coarse, truth())).toBe(1);
    expect(assignmentCovering(grid([0, 0, 5, 1, 1, 5, 5, 5, 5], 3, 2, 2), truth())).toBeCloseTo(1 / 3, 12);
  });
});
