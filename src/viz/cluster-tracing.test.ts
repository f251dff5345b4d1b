import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../cli/image-io';
import { readModelDir } from '../../cli/model-dir';
import { loadSegmenter } from '../segmenter';
import { planResize } from '../segmenter/preprocess/resize-plan';
import type { PanopticResult } from '../segmenter/types';
import { slotHistory, slotsOfSegment, traceClusters, type TraceGrid } from './cluster-tracing';

/** A 4x4 grid at `stride` over a 4x4 input... built from rows of cluster ids. */
function grid(rows: number[][], stride: number, k: number): TraceGrid {
  const assignment = Int32Array.from(rows.flat());
  const clusterSizes = new Int32Array(k);
  for (const c of assignment) clusterSizes[c]++;
  return { assignment, width: rows[0].length, stride, validWidth: rows[0].length, validHeight: rows.length, clusterSizes };
}

describe('traceClusters', () => {
  // Left half = object A (segment 1), right half = object B (segment 2); the slots swap between layers.
  const final = grid([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]], 1, 3);
  const panoptic: PanopticResult = { width: 4, height: 4, ids: Int32Array.from([1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2]), segments: [] };
  const resized = { resizedWidth: 4, resizedHeight: 4 };

  it('follows objects, not slots, through slot swaps and strides', () => {
    const swapped = grid([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]], 1, 3);
    // Stride 2 over the 4-pixel input: cells sit on input pixels 0 and 2 (and 4, outside the valid area).
    const coarse = grid([[2, 0], [2, 0]], 2, 3);
    const trace = traceClusters([coarse, swapped, final], panoptic, resized);
    expect([...trace.segments[2]]).toEqual([1, 2, 0]);
    expect([...trace.segments[1]]).toEqual([2, 1, 0]);
    expect([...trace.segments[0]]).toEqual([2, 0, 1]);
    expect(slotHistory(trace, 0)).toEqual([
      { segment: 2, from: 0, to: 1 },
      { segment: 1, from: 2, to: 2 },
    ]);
    expect(slotsOfSegment(trace, 1)).toEqual([[2], [1], [0]]);
  });

  it('gives no segment to a cluster that overlaps nothing it could become', () => {
    // Slot 2 holds one column that both final clusters cover only partly (IoU 0.5 with the left half at most)...
    const early = grid([[2, 2, 2, 2], [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]], 1, 3);
    const trace = traceClusters([early, final], panoptic, resized, 0.4);
    // Rows do not match halves well: every IoU is at most 1/3, under the 0.4 required.
    expect([...trace.segments[0]]).toEqual([0, 0, 0]);
  });

  it('anchors a final cluster only at a segment covering at least half of it', () => {
    const mostlyVoid: PanopticResult = { ...panoptic, ids: Int32Array.from([1, 0, 2, 2, 0, 0, 2, 2, 1, 0, 2, 2, 0, 1, 2, 2]) };
    const trace = traceClusters([final], mostlyVoid, resized);
    expect([...trace.segments[0]]).toEqual([0, 2, 0]);
  });
});

describe('traceClusters on the shipped demo model and its first sample', () => {
  it('traces the brick wall to one final segment in every layer, while its slot changes (8, 10, 8, 6, 6, 6)', async () => {
    await tf.setBackend('cpu');
    const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
    const segmenter = await loadSegmenter({ kind: 'files', files: await readModelDir(repo('models/demo')) });
    const image = await decodeImage(readFileSync(repo('models/demo/samples/synthetic-1.png')), 'synthetic-1.png');
    const result = await segmenter.segment(image, { stages: true });
    segmenter.dispose();
    const brick = result.panoptic.segments.filter((s) => s.name === 'brick');
    expect(brick).toHaveLength(1);
    const geometry = planResize(image.height, image.width, segmenter.config.inputSize, segmenter.config.processing);
    const trace = traceClusters(result.layers ?? [], result.panoptic, geometry);
    const slots = slotsOfSegment(trace, brick[0].id);
    // One slot per kMaX layer, and the final clusters that form the wall.
    expect(slots.slice(0, 6).map((s) => s.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(slots.slice(0, 6).map((s) => s[0])).toEqual([8, 10, 8, 6, 6, 6]);
    expect(slots[6]).toContain(brick[0].cluster);
    // The slot the wall ends in was something else (or nothing) earlier: following a slot is not following the wall.
    expect(slotHistory(trace, 6).length).toBeGreaterThan(1);
  }, 60_000);
});
