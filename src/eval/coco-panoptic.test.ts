import { describe, expect, it } from 'vitest';
import { rgbToIds } from '../viz/coco-panoptic';
import { groundTruthImages } from './coco-panoptic';

describe('COCO panoptic ground truth', () => {
  it('decodes ids as R + 256 G + 256² B from RGBA pixels', () => {
    const rgba = Uint8Array.from([0, 0, 0, 255, 7, 0, 0, 255, 1, 2, 3, 255]);
    expect(Array.from(rgbToIds(rgba, 4))).toEqual([0, 7, 1 + 2 * 256 + 3 * 65536]);
  });

  it('joins annotations with their images and reads iscrowd', () => {
    const images = groundTruthImages({
      categories: [{ id: 5, name: 'sky', isthing: 0 }],
      images: [{ id: 3, file_name: 'a.png', width: 4, height: 2 }],
      annotations: [{ image_id: 3, file_name: 'a_pan.png', segments_info: [{ id: 9, category_id: 5, iscrowd: 1 }, { id: 10, category_id: 5 }] }],
    });
    expect(images).toEqual([
      {
        imageFile: 'a.png',
        panopticFile: 'a_pan.png',
        width: 4,
        height: 2,
        segments: [
          { id: 9, categoryId: 5, isCrowd: true },
          { id: 10, categoryId: 5, isCrowd: false },
        ],
      },
    ]);
  });

  it('rejects an annotation without its image', () => {
    expect(() =>
      groundTruthImages({ categories: [], images: [], annotations: [{ image_id: 1, file_name: 'x.png', segments_info: [] }] }),
    ).toThrow(/not in "images"/);
  });
});
