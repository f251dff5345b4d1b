import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { networkInput } from './network-input';
import { pillowBilinearResize } from './pillow-resize';

/** 10 high x 20 wide, channel c of pixel (y, x) = (7y + 3x + 50c) mod 256. */
function testImage(channels: 3 | 4) {
  const data = new Uint8Array(10 * 20 * channels);
  for (let y = 0; y < 10; y++)
    for (let x = 0; x < 20; x++)
      for (let c = 0; c < channels; c++) data[(y * 20 + x) * channels + c] = (7 * y + 3 * x + 50 * c) % 256;
  return { width: 20, height: 10, channels, data };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('networkInput', () => {
  it('PT: Pillow-resized, (x - 127.5) / 127.5, zero padding bottom/right', async () => {
    const before = tf.memory().numTensors;
    const { tensor, geometry } = networkInput(testImage(3), [33, 33], 'pytorch');
    expect(tensor.shape).toEqual([1, 33, 33, 3]);
    // 10x20 -> shorter side 33 gives 33x66, shrunk to fit 33: 16.5 -> int(17.0) x 33.
    expect([geometry.resizedHeight, geometry.resizedWidth]).toEqual([17, 33]);
    const values = await tensor.data();
    const rgb = pillowBilinearResize(testImage(3), 17, 33);
    for (const [y, x, c] of [[0, 0, 0], [5, 17, 1], [16, 32, 2]]) {
      expect(values[(y * 33 + x) * 3 + c]).toBeCloseTo((rgb[(y * 33 + x) * 3 + c] - 127.5) / 127.5, 6);
    }
    for (let y = 17; y < 33; y++) for (let i = 0; i < 33 * 3; i++) expect(values[y * 99 + i]).toBe(0);
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('PT: an RGBA image gives the same input as its RGB pixels', async () => {
    const rgba = networkInput(testImage(4), [33, 33], 'pytorch').tensor;
    const rgb = networkInput({ ...testImage(4), channels: 3, data: stripAlpha(testImage(4).data) }, [33, 33], 'pytorch').tensor;
    expect(Array.from(await rgba.data())).toEqual(Array.from(await rgb.data()));
    tf.dispose([rgba, rgb]);
  });

  it('TF: floor sizes, align-corners float resize (corners keep their values), zeros in the padding', async () => {
    const before = tf.memory().numTensors;
    const { tensor, geometry } = networkInput(testImage(4), [33, 33], 'tf');
    // floor(10 * 3.3) x floor(20 * 3.3) = 33 x 66, then x 0.5 -> floor(16.5) = 16 x 33.
    expect([geometry.resizedHeight, geometry.resizedWidth]).toEqual([16, 33]);
    const v = await tensor.data();
    const at = (y: number, x: number, c: number) => v[(y * 33 + x) * 3 + c];
    expect(at(0, 0, 1)).toBeCloseTo(50 / 127.5 - 1, 6);
    expect(at(15, 32, 2)).toBeCloseTo(((7 * 9 + 3 * 19 + 100) % 256) / 127.5 - 1, 5);
    // Not rounded to uint8: row 1 of 16 samples source row 9/15 = 0.6.
    expect(at(1, 0, 0)).toBeCloseTo((0.6 * 7) / 127.5 - 1, 5);
    expect(at(16, 0, 0)).toBe(0);
    expect(at(32, 32, 2)).toBe(0);
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

function stripAlpha(rgba: Uint8Array): Uint8Array {
  return rgba.filter((_, i) => i % 4 !== 3);
}
