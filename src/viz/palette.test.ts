import { describe, expect, it } from 'vitest';
import datasets from '../datasets/kmax-datasets.json';
import type { ClassInfo } from '../model/config';
import type { Segment } from '../segmenter/types';
import { classPalette, clusterPalette, jitterColour, neutralShade, segmentPalette, tracedClusterColours } from './palette';

const coco: ClassInfo[] = datasets.coco_panoptic.classes.map((c) => ({ id: c.id, datasetId: c.dataset_id, name: c.name, isThing: c.isthing, color: c.color as [number, number, number] }));

describe('palettes', () => {
  it('covers every COCO class plus void with the dataset colours', () => {
    const table = classPalette(coco);
    expect(table.length).toBe(134 * 3);
    expect([...table.subarray(0, 3)]).toEqual([220, 20, 60]); // person
    expect([...table.subarray(133 * 3)]).toEqual([128, 128, 128]);
  });

  it('has 256 cluster colours that are all distinct and far apart', () => {
    const table = clusterPalette(256);
    const colours = Array.from({ length: 256 }, (_, i) => [...table.subarray(i * 3, i * 3 + 3)]);
    expect(new Set(colours.map((c) => c.join())).size).toBe(256);
    let minDistance = Infinity;
    for (let i = 0; i < 256; i++) for (let j = i + 1; j < 256; j++) minDistance = Math.min(minDistance, Math.hypot(...colours[i].map((v, c) => v - colours[j][c])));
    expect(minDistance).toBeGreaterThanOrEqual(42);
    // Consecutive cluster ids must not look alike.
    for (let i = 1; i < 256; i++) expect(Math.hypot(...colours[i].map((v, c) => v - colours[i - 1][c]))).toBeGreaterThan(60);
  });

  it('jitters things deterministically by segment id and leaves stuff in its class colour', () => {
    const person = coco[0];
    const segments: Segment[] = [
      { id: 1, classId: 0, categoryId: 1, name: 'person', isThing: true, score: 0.9, area: 10, cluster: 3 },
      { id: 2, classId: 0, categoryId: 1, name: 'person', isThing: true, score: 0.9, area: 10, cluster: 4 },
      { id: 3, classId: 80, categoryId: 92, name: coco[80].name, isThing: false, score: 0.9, area: 10, cluster: 5 },
    ];
    const table = segmentPalette(segments, coco);
    const one = [...table.subarray(3, 6)];
    const two = [...table.subarray(6, 9)];
    expect(one).not.toEqual(two);
    expect(one).toEqual([...jitterColour(person.color, 1)]);
    expect([...table.subarray(9, 12)]).toEqual([...coco[80].color]);
    // The jitter moves each channel up (non-negative vector of length 0.5), clipped at 255.
    one.forEach((v, c) => expect(v).toBeGreaterThanOrEqual(person.color[c]));
    const moved = Math.hypot(...one.map((v, c) => Math.min(255, v) - person.color[c]));
    expect(moved).toBeGreaterThan(30);
  });
});

describe('tracedClusterColours', () => {
  it('gives each slot its traced segment colour, and a neutral grey to slots traced to nothing', () => {
    const segmentColours = new Uint8Array([0, 0, 0, 200, 10, 10, 10, 200, 10]);
    const table = tracedClusterColours(Int32Array.from([2, 0, 1, 2]), segmentColours);
    expect([...table]).toEqual([10, 200, 10, ...neutralShade(1), 200, 10, 10, 10, 200, 10]);
    const [r, g, b] = neutralShade(1);
    expect(r === g && g === b).toBe(true);
    expect(neutralShade(1)).not.toEqual(neutralShade(2));
  });
});
