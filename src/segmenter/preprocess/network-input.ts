import * as tf from '@tensorflow/tfjs-core';
import type { ProcessingStyle } from '../../model/config';
import type { RgbImage } from '../types';
import { pillowBilinearResize } from './pillow-resize';
import { planResize, type ResizePlan } from './resize-plan';

/** The network input and the sizes needed to map its outputs back. */
export interface NetworkInput {
  /** [1, paddedHeight, paddedWidth, 3], normalised RGB, zeros in the padding. */
  readonly tensor: tf.Tensor4D;
  readonly geometry: ResizePlan;
}

/**
 * Resize, normalise to `x / 127.5 - 1` and pad bottom/right with zeros (spec 2, T27).
 * PT: Pillow bilinear on uint8 (spec 2.1). TF: float bilinear with align_corners=True
 * (spec 2.2); its 127.5 padding before normalising is the same zeros after.
 */
export function networkInput(image: RgbImage, inputSize: readonly [number, number], processing: ProcessingStyle): NetworkInput {
  const geometry = planResize(image.height, image.width, inputSize, processing);
  const tensor = processing === 'pytorch' ? ptInput(image, geometry) : tfInput(image, geometry);
  return { tensor, geometry };
}

/** detectron2 normalises `(x - 127.5) / 127.5` and pads the normalised tensor with 0. */
function ptInput(image: RgbImage, g: ResizePlan): tf.Tensor4D {
  const rgb = pillowBilinearResize(image, g.resizedHeight, g.resizedWidth);
  const out = new Float32Array(g.paddedHeight * g.paddedWidth * 3);
  const rowValues = g.resizedWidth * 3;
  for (let y = 0; y < g.resizedHeight; y++) {
    const src = y * rowValues;
    const dst = y * g.paddedWidth * 3;
    for (let i = 0; i < rowValues; i++) out[dst + i] = (rgb[src + i] - 127.5) / 127.5;
  }
  return tf.tensor4d(out, [1, g.paddedHeight, g.paddedWidth, 3]);
}

/** deeplab2: float resize (align_corners=True, no rounding), then `x / 127.5 - 1`. */
function tfInput(image: RgbImage, g: ResizePlan): tf.Tensor4D {
  return tf.tidy(() => {
    const pixels = tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, image.channels], 'int32');
    const rgb = tf.cast(image.channels === 3 ? pixels : tf.slice(pixels, [0, 0, 0], [-1, -1, 3]), 'float32');
    const resized =
      g.resizedHeight === image.height && g.resizedWidth === image.width
        ? rgb
        : tf.image.resizeBilinear(rgb as tf.Tensor3D, [g.resizedHeight, g.resizedWidth], true, false);
    const normalised = tf.sub(tf.div(resized, 127.5), 1);
    const padding: [number, number][] = [
      [0, g.paddedHeight - g.resizedHeight],
      [0, g.paddedWidth - g.resizedWidth],
      [0, 0],
    ];
    return tf.expandDims(tf.pad(normalised, padding, 0), 0) as tf.Tensor4D;
  });
}
