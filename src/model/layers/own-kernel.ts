import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs kernel `name` where the active backend registered one (src/backend/ does for
 * WebGPU), else returns undefined and the caller computes the same with tfjs's own ops.
 * The model names the kernels it can use; only a backend module imports tfjs-backend code.
 */
export function runOwnKernel(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}): tf.Tensor | undefined {
  if (tf.getKernel(name, tf.getBackend()) === undefined) return undefined;
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}
