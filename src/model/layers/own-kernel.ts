import * as tf from '@tensorflow/tfjs-core';

/** Whether the active backend registered kernel `name` (src/backend/ does, for WebGPU and wasm). */
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

/**
 * Runs the per-row kernel `name` on `x` seen as rows of its last axis ([rows, C]), its output
 * shaped like `x`; undefined where the backend has none. `others` are its further inputs.
 */
export function runOwnRowKernel(name: string, x: tf.Tensor, others: tf.NamedTensorMap = {}, attrs: Record<string, number> = {}): tf.Tensor | undefined {
  if (!hasOwnKernel(name)) return undefined;
  const rows = tf.reshape(x, [-1, x.shape[x.rank - 1]]);
  return tf.reshape(tf.engine().runKernel(name, { x: rows, ...others }, attrs) as tf.Tensor, x.shape);
}
