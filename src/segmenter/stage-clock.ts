import * as tf from '@tensorflow/tfjs-core';
import type { StageTiming } from './types';

/**
 * Times each stage of a run. GPU backends queue work asynchronously, so a stage
 * ends only when one element of its output has been read back: reading a single
 * value forces completion without paying for a full download.
 */
export class StageClock {
  readonly timings: StageTiming[] = [];
  private started = performance.now();

  async lap(stage: string, output?: tf.Tensor): Promise<void> {
    if (output !== undefined) await readOneValue(output);
    const now = performance.now();
    this.timings.push({ stage, ms: now - this.started });
    this.started = now;
  }
}

async function readOneValue(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), 0, 1));
  try {
    await one.data();
  } finally {
    // A read fails when the GPU device is lost mid-run; the value must not outlive it.
    one.dispose();
  }
}
