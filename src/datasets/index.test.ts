import { describe, expect, it } from 'vitest';
import { datasetClasses, datasetNames } from '.';

describe('datasets', () => {
  it('lists the official datasets and the synthetic one', () => {
    expect(datasetNames()).toEqual(expect.arrayContaining(['coco_panoptic', 'cityscapes_panoptic', 'ade20k_panoptic', 'synthetic_panoptic']));
  });

  it.each([
    ['coco_panoptic', 133, 80],
    ['cityscapes_panoptic', 19, 8],
    ['ade20k_panoptic', 150, 100],
    ['synthetic_panoptic', 7, 4],
  ])('%s has %i classes in class-head order, %i of them things, each with a colour', (name, count, things) => {
    const classes = datasetClasses(name);
    expect(classes.map((c) => c.id)).toEqual([...Array(count).keys()]);
    expect(classes.filter((c) => c.isThing)).toHaveLength(things);
    for (const c of classes) expect(c.color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
  });

  it('names the known datasets when asked for an unknown one', () => {
    expect(() => datasetClasses('mapillary')).toThrow(/Unknown dataset "mapillary". Known: coco_panoptic/);
  });
});
