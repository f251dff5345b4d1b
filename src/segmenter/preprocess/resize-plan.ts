import type { ProcessingStyle } from '../../model/config';

/**
 * Every size involved in feeding an image to the network and mapping the outputs
 * back (spec 2.1 / 2.2). Pure arithmetic, no pixels.
 */
export interface ResizePlan {
  readonly processing: ProcessingStyle;
  /** The original image. */
  readonly height: number;
  readonly width: number;
  /** The resized image, placed at the top-left of the network input. */
  readonly resizedHeight: number;
  readonly resizedWidth: number;
  /** The network input (resized image + bottom/right padding). */
  readonly paddedHeight: number;
  readonly paddedWidth: number;
  /**
   * The region of the padded-resolution outputs that is mapped back to the original
   * size: PT's `round(h * s)` crop (T25), TF's resized-image area.
   */
  readonly cropHeight: number;
  readonly cropWidth: number;
}

/** Python 3 `round` on a float: half to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const frac = x - floor;
  if (frac !== 0.5) return frac < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * detectron2 `ResizeShortestEdge.get_output_shape` (spec 2.1 step 2): shorter side to
 * `short`, shrink to `max` if the longer side exceeds it, then `int(x + 0.5)`. Doubles
 * throughout, as in Python.
 */
export function ptResizeSize(height: number, width: number, short: number, max: number): [number, number] {
  const scale = short / Math.min(height, width);
  let h = height < width ? short : scale * height;
  let w = height < width ? scale * width : short;
  if (Math.max(h, w) > max) {
    const shrink = max / Math.max(h, w);
    h *= shrink;
    w *= shrink;
  }
  return [Math.trunc(h + 0.5), Math.trunc(w + 0.5)];
}

/** Sizes of deeplab2's `resize_to_range` (spec 2.2 step 2); absent bounds are not applied. */
export interface ResizeRange {
  readonly min?: readonly [number, number];
  readonly max?: readonly [number, number];
}

/** deeplab2 `_scale_dim`: floor of the float32 product of size and float32 factor. */
function scaleDim(size: number, factor: number): number {
  return Math.floor(Math.fround(Math.fround(size) * Math.fround(factor)));
}

/**
 * deeplab2 `resize_to_range_helper` without `factor` (the kMaX configs set none):
 * scale up/down so both sides reach the minimum, then scale down (never up) so both
 * fit the maximum. Ratios are float64 divisions cast to float32, products float32.
 */
export function tfResizeSize(height: number, width: number, range: ResizeRange): [number, number] {
  let h = height;
  let w = width;
  if (range.min !== undefined) {
    const factor = Math.max(range.min[0] / h, range.min[1] / w);
    [h, w] = [scaleDim(h, factor), scaleDim(w, factor)];
  }
  if (range.max !== undefined) {
    const factor = Math.min(Math.fround(Math.min(range.max[0] / h, range.max[1] / w)), 1);
    [h, w] = [scaleDim(h, factor), scaleDim(w, factor)];
  }
  return [h, w];
}

/**
 * The resize range deeplab2 evaluates with: square crops (COCO, ADE20K) set
 * `min_resize_value = max_resize_value = crop`; the Cityscapes configs set none, so an
 * image is only shrunk when it does not fit the crop (a 1024x2048 frame is padded, not
 * resized). The config records no resize range, so the crop's shape decides.
 */
export function tfResizeRange(inputSize: readonly [number, number]): ResizeRange {
  const crop = [inputSize[0], inputSize[1]] as const;
  return inputSize[0] === inputSize[1] ? { min: crop, max: crop } : { max: crop };
}

/** The smallest 32k+1 size that holds n (spec 1.3: the network only runs at 32k+1 sizes). */
function fit32kPlus1(n: number): number {
  return Math.ceil((n - 1) / 32) * 32 + 1;
}

/**
 * The full plan for one image. The network input is `inputSize`, grown to the next
 * 32k+1 size on a side the resized image would not fit (a portrait image with a
 * landscape Cityscapes input size); official square inputs never grow.
 */
export function planResize(
  height: number,
  width: number,
  inputSize: readonly [number, number],
  processing: ProcessingStyle,
): ResizePlan {
  const [resizedHeight, resizedWidth] =
    processing === 'pytorch'
      ? ptResizeSize(height, width, Math.min(...inputSize), Math.max(...inputSize))
      : tfResizeSize(height, width, tfResizeRange(inputSize));
  const paddedHeight = Math.max(inputSize[0], fit32kPlus1(resizedHeight));
  const paddedWidth = Math.max(inputSize[1], fit32kPlus1(resizedWidth));
  const [cropHeight, cropWidth] =
    processing === 'pytorch'
      ? ptCropSize(height, width, paddedHeight, paddedWidth)
      : [resizedHeight, resizedWidth];
  return { processing, height, width, resizedHeight, resizedWidth, paddedHeight, paddedWidth, cropHeight, cropWidth };
}

/**
 * PT `kMaXDeepLab.forward` crop-back: `s = max(padded) / max(h, w)`,
 * `round(h * s)` x `round(w * s)` (Python round, T25), clamped as slicing clamps.
 */
function ptCropSize(height: number, width: number, paddedHeight: number, paddedWidth: number): [number, number] {
  const s = Math.max(paddedHeight, paddedWidth) / Math.max(height, width);
  return [
    Math.min(roundHalfEven(height * s), paddedHeight),
    Math.min(roundHalfEven(width * s), paddedWidth),
  ];
}
