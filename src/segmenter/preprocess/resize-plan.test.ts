import { describe, expect, it } from 'vitest';
import { planResize, ptResizeSize, roundHalfEven, tfResizeRange, tfResizeSize } from './resize-plan';

describe('roundHalfEven', () => {
  it('rounds halves to the even neighbour like Python 3 round', () => {
    expect([0.5, 1.5, 2.5, 1024.5, 1025.5, 2.4999, 2.5001, 7].map(roundHalfEven)).toEqual([0, 2, 2, 1024, 1026, 2, 3, 7]);
  });
});

describe('ptResizeSize (detectron2 ResizeShortestEdge)', () => {
  it('puts the longer side at 1281 and rounds the other half-up (spec 2.1)', () => {
    expect(ptResizeSize(480, 640, 1281, 1281)).toEqual([961, 1281]);
    expect(ptResizeSize(640, 480, 1281, 1281)).toEqual([1281, 961]);
    // 427 * 1281 / 640 = 854.66 -> 855; 500x375 (COCO-typical) -> 1281 x 960.75 -> 961.
    expect(ptResizeSize(427, 640, 1281, 1281)).toEqual([855, 1281]);
    expect(ptResizeSize(375, 500, 1281, 1281)).toEqual([961, 1281]);
  });

  it('up-scales Cityscapes 1024x2048 to 1025x2049', () => {
    expect(ptResizeSize(1024, 2048, 1025, 2049)).toEqual([1025, 2049]);
  });

  it('enlarges small images too', () => {
    expect(ptResizeSize(100, 50, 1281, 1281)).toEqual([1281, 641]);
  });
});

describe('tfResizeSize (deeplab2 resize_to_range)', () => {
  it('floors float32 products: 640x480 becomes 1281 wide x 960 high (spec 2.2)', () => {
    expect(tfResizeSize(480, 640, tfResizeRange([1281, 1281]))).toEqual([960, 1281]);
    expect(tfResizeSize(640, 480, tfResizeRange([1281, 1281]))).toEqual([1281, 960]);
  });

  it('does not resize a Cityscapes frame that fits its 1025x2049 crop', () => {
    expect(tfResizeRange([1025, 2049])).toEqual({ max: [1025, 2049] });
    expect(tfResizeSize(1024, 2048, tfResizeRange([1025, 2049]))).toEqual([1024, 2048]);
    // 2048x4096 shrinks by 2049/4096: floor(1024.5) x 2049.
    expect(tfResizeSize(2048, 4096, tfResizeRange([1025, 2049]))).toEqual([1024, 2049]);
  });
});

describe('planResize', () => {
  it('PT 640x480: resized 961x1281, padded 1281x1281, crop-back 961x1281', () => {
    expect(planResize(480, 640, [1281, 1281], 'pytorch')).toEqual({
      processing: 'pytorch',
      height: 480,
      width: 640,
      resizedHeight: 961,
      resizedWidth: 1281,
      paddedHeight: 1281,
      paddedWidth: 1281,
      cropHeight: 961, // round(480 * 1281/640 = 960.75)
      cropWidth: 1281,
    });
  });

  it('PT Cityscapes: crop-back rounds 1024.5 half-to-even to 1024 although 1025 rows were resized (T25)', () => {
    const plan = planResize(1024, 2048, [1025, 2049], 'pytorch');
    expect([plan.resizedHeight, plan.resizedWidth, plan.paddedHeight, plan.paddedWidth]).toEqual([1025, 2049, 1025, 2049]);
    expect([plan.cropHeight, plan.cropWidth]).toEqual([1024, 2049]);
  });

  it('TF crops back to the resized area', () => {
    const plan = planResize(480, 640, [1281, 1281], 'tf');
    expect([plan.resizedHeight, plan.resizedWidth, plan.cropHeight, plan.cropWidth]).toEqual([960, 1281, 960, 1281]);
    const city = planResize(1024, 2048, [1025, 2049], 'tf');
    expect([city.resizedHeight, city.paddedHeight, city.cropHeight, city.cropWidth]).toEqual([1024, 1025, 1024, 2048]);
  });

  it('grows the padded size to the next 32k+1 only on a side the image does not fit', () => {
    const plan = planResize(2048, 1024, [1025, 2049], 'pytorch');
    expect([plan.resizedHeight, plan.resizedWidth]).toEqual([2049, 1025]);
    expect([plan.paddedHeight, plan.paddedWidth]).toEqual([2049, 2049]);
  });
});
