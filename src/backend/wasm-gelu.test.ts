import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import './wasm-gelu';
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { geluBytesModule } from '../../scripts/build-wasm-kernels';
import { gelu, GELU_KERNEL } from '../model/layers/activations';
import { hasOwnKernel } from '../model/layers/own-kernel';
import { mulberry32 } from '../model/random-weights';

/**
 * GELU in float64, erf by its Taylor series: within 1e-9 for |x / sqrt 2| <= 4 (cancellation costs
 * about six of float64's digits there); beyond, the tail it drops is under 2e-8 x, far below the tolerance.
 */
function geluExact(x: number): number {
  const a = x / Math.SQRT2;
  if (Math.abs(a) > 4) return a > 0 ? x : 0;
  let term = a;
  let sum = a;
  for (let n = 1; n < 200; n++) {
    term *= (-a * a) / n;
    sum += term / (2 * n + 1);
  }
  return 0.5 * x * (1 + (2 / Math.sqrt(Math.PI)) * sum);
}

describe('the wasm GELU kernel', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });

  it('is registered for wasm, and the bytes shipped are what its text assembles to', async () => {
    expect(hasOwnKernel(GELU_KERNEL)).toBe(true);
    expect(await readFile(new URL('./wasm-gelu.bytes.ts', import.meta.url), 'utf8')).toBe(await geluBytesModule());
  });

  it('matches exact GELU to float32 noise, at lengths around the loop turn and far out in both tails', () => {
    const r = mulberry32(3);
    // 16 elements a loop turn (four vectors of four lanes), the rest one by one.
    for (const length of [1, 3, 15, 16, 17, 31, 32, 33, 4099]) {
      const values = Float32Array.from({ length }, (_, i) => (i % 7 === 0 ? 40 * r() - 20 : 8 * r() - 4));
      const got = tf.tidy(() => gelu(tf.tensor1d(values)).dataSync());
      for (let i = 0; i < length; i++) {
        const want = geluExact(values[i]);
        // Abramowitz-Stegun's erf (tfjs's, 1.5e-7) plus float32 rounding: ~3e-7 of max(1, |x|).
        expect(Math.abs(got[i] - want), `gelu(${values[i]}) at ${i} of ${length}`).toBeLessThanOrEqual(3e-7 * Math.max(1, Math.abs(values[i])));
      }
    }
    // The tanh form would give 0.841192 here: 1.5e-4 away.
    expect(tf.tidy(() => gelu(tf.scalar(1)).dataSync()[0])).toBeCloseTo(0.8413447, 6);
  });

  it('keeps the shape, reads a slice of another tensor, and returns an empty tensor for an empty one', () => {
    const whole = tf.tensor2d([-3, -1, 0, 1, 3, 5], [2, 3]);
    const row = tf.slice(whole, [1, 0], [1, 3]);
    const out = gelu(row);
    expect(out.shape).toEqual([1, 3]);
    expect([...out.dataSync()].map((v) => +v.toFixed(5))).toEqual([0.84134, 2.99595, 5]);
    const empty = tf.zeros([0, 4]);
    const none = gelu(empty);
    expect(none.shape).toEqual([0, 4]);
    tf.dispose([whole, row, out, empty, none]);
  });

  it('agrees with tfjs composite on the cpu backend within float32 noise', async () => {
    const r = mulberry32(11);
    const values = Float32Array.from({ length: 1000 }, () => 12 * r() - 6);
    const ours = tf.tidy(() => gelu(tf.tensor1d(values)).dataSync());
    await tf.setBackend('cpu');
    const composite = tf.tidy(() => gelu(tf.tensor1d(values)).dataSync());
    await tf.setBackend('wasm');
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(ours[i] - composite[i]));
    expect(worst).toBeLessThan(1e-6);
  });

  it('makes its output and nothing else', () => {
    const x = tf.ones([17]);
    const before = tf.memory();
    const y = gelu(x);
    expect(tf.memory().numTensors).toBe(before.numTensors + 1);
    expect(tf.memory().numBytes).toBe(before.numBytes + 17 * 4);
    tf.dispose([x, y]);
  });
});
