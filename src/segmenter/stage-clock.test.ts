import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StageClock } from './stage-clock';

describe('StageClock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('ends a stage by reading one value of its output, and records it', async () => {
    await tf.setBackend('cpu');
    const output = tf.ones([4, 4]);
    const read = vi.spyOn(tf.Tensor.prototype, 'data');
    const clock = new StageClock();
    const before = tf.memory().numTensors;
    await clock.lap('backbone', output);
    await clock.lap('postprocess');
    expect(read).toHaveBeenCalledTimes(1);
    expect(read.mock.contexts[0]).not.toBe(output);
    expect((read.mock.contexts[0] as tf.Tensor).size).toBe(1);
    expect(clock.timings.map((t) => t.stage)).toEqual(['backbone', 'postprocess']);
    expect(tf.memory().numTensors).toBe(before);
    output.dispose();
  });

  it('frees the value it reads when the read fails (a GPU device lost mid-run)', async () => {
    await tf.setBackend('cpu');
    const output = tf.ones([4, 4]);
    const before = tf.memory().numTensors;
    vi.spyOn(tf.Tensor.prototype, 'data').mockRejectedValueOnce(new Error('Device was destroyed'));
    await expect(new StageClock().lap('backbone', output)).rejects.toThrow('Device was destroyed');
    expect(tf.memory().numTensors).toBe(before);
    output.dispose();
  });
});
