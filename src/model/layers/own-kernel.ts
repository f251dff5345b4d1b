import * as tf from '@tensorflow/tfjs-core';

/** Whether the active backend registered kernel `name` (src/backend/ does for WebGPU). */
export function hasOwnKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * Runs kernel `name` where the active backend registered one, else returns undefined and
 * the caller computes the same with tfjs's own ops. The model names the kernels it can
 * use; only a backend module imports tfjs-backend code.
 */
export function runOwnKernel(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}): tf.Tensor | undefined {
  return hasOwnKernel(name) ? (tf.engine().runKernel(name, inputs, attrs) as tf.Tensor) : undefined;
}
