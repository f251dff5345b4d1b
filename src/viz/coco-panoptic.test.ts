import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { PanopticResult } from '../segmenter/types';
import { idsToRgb, panopticAnnotation, panopticPng, rgbToIds } from './coco-panoptic';
import { encodePng } from './png';

const panoptic: PanopticResult = {
  width: 4,
  height: 3,
  ids: new Int32Array([0, 1, 1, 0, 2, 2, 1, 0, 70000, 70000, 300, 300]),
  segments: [
    { id: 1, classId: 0, categoryId: 1, name: 'person', isThing: true, score: 0.9, area: 3, cluster: 5 },
    { id: 2, classId: 80, categoryId: 92, name: 'banner', isThing: false, score: 0.8, area: 2, cluster: 7 },
    { id: 300, classId: 2, categoryId: 3, name: 'car', isThing: true, score: 0.7, area: 2, cluster: 9 },
    { id: 70000, classId: 2, categoryId: 3, name: 'car', isThing: true, score: 0.7, area: 2, cluster: 9 },
  ],
};

describe('COCO panoptic export', () => {
  it('encodes id = R + 256 G + 256^2 B', () => {
    const rgb = idsToRgb(new Int32Array([0, 1, 256, 70000]));
    expect([...rgb]).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 112, 17, 1]);
    expect([...rgbToIds(rgb)]).toEqual([0, 1, 256, 70000]);
  });

  it('writes a PNG that decodes (pngjs) to the same ids the annotation lists', () => {
    const png = PNG.sync.read(Buffer.from(panopticPng(panoptic)));
    expect([png.width, png.height]).toEqual([4, 3]);
    const ids = rgbToIds(png.data, 4);
    expect([...ids]).toEqual([...panoptic.ids]);
    const annotation = panopticAnnotation(panoptic, 'x.png');
    expect(new Set(annotation.segments_info.map((s) => s.id))).toEqual(new Set([...ids].filter((i) => i !== 0)));
    expect(annotation.segments_info[0]).toEqual({ id: 1, category_id: 1, iscrowd: 0, bbox: [1, 0, 2, 2], area: 3, name: 'person', isthing: true, score: 0.9, cluster: 5 });
    expect(annotation.segments_info[2].bbox).toEqual([2, 2, 2, 1]);
  });

  it('encodes RGBA too and rejects a wrong byte count', () => {
    const rgba = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const png = PNG.sync.read(Buffer.from(encodePng(2, 1, rgba, 4)));
    expect([...png.data]).toEqual([...rgba]);
    expect(() => encodePng(2, 2, rgba, 4)).toThrow(RangeError);
  });
});
