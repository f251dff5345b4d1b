import { describe, expect, it } from 'vitest';
import type { ClassInfo } from '../model/config';
import { HIDDEN_REGION, hideRegions, instanceView, legendRegions, numberSameClass, pictureShare, panopticView, semanticView } from './segment-views';

const classes: ClassInfo[] = [
  { id: 0, datasetId: 1, name: 'person', isThing: true, color: [220, 20, 60] },
  { id: 1, datasetId: 2, name: 'sky', isThing: false, color: [70, 130, 180] },
];

describe('semanticView', () => {
  it('makes one region per class present, largest first, in the class colour', () => {
    const view = semanticView(new Int32Array([1, 1, 1, 0]), 2, 2, classes);
    expect([...view.ids]).toEqual([2, 2, 2, 1]);
    expect(view.regions.map((r) => [r.id, r.name, r.area])).toEqual([
      [2, 'sky', 3],
      [1, 'person', 1],
    ]);
    expect([...view.colours.subarray(6, 9)]).toEqual([70, 130, 180]);
  });
});

describe('instanceView', () => {
  const mask = (bits: number[]) => Uint8Array.from(bits);
  it('paints the most confident instance on top, keeps one class per cluster, drops low scores and covered instances', () => {
    const instances = [
      { classId: 0, score: 0.5, cluster: 3, mask: mask([1, 1, 0, 0]) },
      { classId: 0, score: 0.9, cluster: 7, mask: mask([0, 1, 1, 0]) },
      { classId: 1, score: 0.2, cluster: 7, mask: mask([0, 1, 1, 0]) }, // same cluster, lower: not drawn
      { classId: 0, score: 0.05, cluster: 9, mask: mask([0, 0, 0, 1]) }, // under the threshold
      { classId: 0, score: 0.4, cluster: 4, mask: mask([0, 1, 0, 0]) }, // fully covered by a better one
    ];
    const view = instanceView(instances, 2, 2, classes, 0.1);
    expect([...view.ids]).toEqual([2, 1, 1, 0]);
    expect(view.regions.map((r) => [r.id, r.cluster, r.score, r.area])).toEqual([
      [1, 7, 0.9, 2],
      [2, 3, 0.5, 1],
    ]);
    expect(view.regions.map((r) => r.name)).toEqual(['person 1', 'person 2']);
    // Two instances of one class get different (jittered) colours.
    expect([...view.colours.subarray(3, 6)]).not.toEqual([...view.colours.subarray(6, 9)]);
  });
});

describe('hideRegions', () => {
  it('turns hidden ids to HIDDEN_REGION (not void) and returns the map itself when nothing is hidden', () => {
    const ids = new Int32Array([1, 2, 3, 2]);
    expect([...hideRegions(ids, new Set([2]))]).toEqual([1, HIDDEN_REGION, 3, HIDDEN_REGION]);
    expect(hideRegions(ids, new Set())).toBe(ids);
  });
});

describe('numberSameClass', () => {
  it('numbers regions of a repeated class in id order and leaves single ones alone', () => {
    const panoptic = {
      width: 2,
      height: 2,
      ids: new Int32Array([1, 2, 3, 3]),
      segments: [
        { id: 3, classId: 0, categoryId: 1, name: 'person', isThing: true, score: 0.9, area: 2, cluster: 1 },
        { id: 1, classId: 0, categoryId: 1, name: 'person', isThing: true, score: 0.8, area: 1, cluster: 2 },
        { id: 2, classId: 1, categoryId: 2, name: 'sky', isThing: false, score: 0.7, area: 1, cluster: 3 },
      ],
    };
    expect(panopticView(panoptic, classes).regions.map((r) => r.name)).toEqual(['person 2', 'person 1', 'sky']);
    expect(numberSameClass([])).toEqual([]);
  });
});

describe('legendRegions', () => {
  const region = (id: number, area: number) => ({ id, classId: 1, name: `r${id}`, isThing: false, score: null, area, cluster: null });

  it('leaves out regions whose printed share is 0.0%, keeps those that print 0.1%', () => {
    // 10000 pixels: 4 px = 0.04% prints 0.0, 5 px = 0.05% prints 0.1, 1 px = 0.01%.
    const regions = [region(1, 9990), region(2, 4), region(3, 5), region(4, 1)];
    expect(legendRegions(regions, 10000).map((r) => r.id)).toEqual([1, 3]);
    expect(regions.map((r) => pictureShare(r.area, 10000))).toEqual(['99.9', '0.0', '0.1', '0.0']);
  });

  it('keeps every region of a small picture (one pixel is a visible share)', () => {
    expect(legendRegions([region(1, 3), region(2, 1)], 4).map((r) => r.id)).toEqual([1, 2]);
  });
});
