import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { composedTaps, type AxisTaps } from './logit-resize';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function applyTaps(taps: AxisTaps, input: Float32Array): Float32Array {
  const n = taps.index[0].length;
  return Float32Array.from({ length: n }, (_, o) => taps.index.reduce((sum, idx, t) => sum + taps.weight[t][o] * input[idx[o]], 0));
}

/** The two PT steps on a 1-D signal, with tfjs's align-corners resize as the reference. */
async function twoSteps(input: Float32Array, padded: number, crop: number, out: number): Promise<Float32Array> {
  const x = tf.tensor4d(input, [1, 1, input.length, 1]);
  const up = tf.image.resizeBilinear(x, [1, padded], true);
  const cropped = tf.slice(up, [0, 0, 0, 0], [1, 1, crop, 1]);
  const down = tf.image.resizeBilinear(cropped, [1, out], true);
  const values = (await down.data()) as Float32Array;
  tf.dispose([x, up, cropped, down]);
  return values;
}

describe('composedTaps', () => {
  it.each([
    [9, 33, 33, 25], // enlarge after the upsampling
    [17, 65, 65, 97],
    [11, 41, 40, 60], // crop one row short of the padded size
    [321, 1281, 961, 480], // 640x480 COCO height: shrink
  ])('low %i -> padded %i -> crop %i -> %i equals the two bilinear steps', async (low, padded, crop, out) => {
    const input = Float32Array.from({ length: low }, (_, i) => Math.sin(i * 1.7) * 5 + i * 0.1);
    const taps = composedTaps(low, padded, crop, out, true);
    expect(taps.index.length).toBeLessThanOrEqual(4);
    const expected = await twoSteps(input, padded, crop, out);
    const actual = applyTaps(taps, input);
    // tfjs computes source positions in float64, PyTorch (and the taps) in float32:
    // ~1e-4 px apart at the far end of a 480-pixel axis.
    for (let i = 0; i < out; i++) expect(actual[i]).toBeCloseTo(expected[i], 3);
  });

  it('weights of every output sum to 1 and a single step is recovered when nothing is cropped or resized back', () => {
    const taps = composedTaps(8, 32, 32, 32, false);
    for (let o = 0; o < 32; o++) expect(taps.weight.reduce((s, w) => s + w[o], 0)).toBeCloseTo(1, 6);
    // PyTorch align_corners=False, x4: output 0 clamps to input 0; output 6 sits at 1.125 -> 0.875/0.125.
    const at = (o: number) => {
      const weights = new Map<number, number>();
      taps.index.forEach((idx, t) => weights.set(idx[o], (weights.get(idx[o]) ?? 0) + taps.weight[t][o]));
      return weights;
    };
    expect(at(0).get(0)).toBeCloseTo(1, 6);
    expect(at(6).get(1)).toBeCloseTo(0.875, 6);
    expect(at(6).get(2)).toBeCloseTo(0.125, 6);
  });
});
