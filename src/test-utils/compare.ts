/** Comparisons of engine outputs with golden tensors, shared by the Node and browser parity tests. */

/** max |got - want| / max |want|. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    error = Math.max(error, Math.abs(got[i] - want[i]));
  }
  return error / scale;
}

/** argmax over the last axis (lowest index on ties), e.g. the k-means assignment of an [h, w, K] map. */
export function argmaxRows(data: ArrayLike<number>, k: number): Int32Array {
  const out = new Int32Array(data.length / k);
  for (let p = 0; p < out.length; p++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (data[p * k + j] > data[p * k + best]) best = j;
    out[p] = best;
  }
  return out;
}

/**
 * Masked attention's foreground of an [h, w, K] map of mask logits: 1 where a cluster's
 * softmax over the last axis is at least 0.5 (the max-subtracted softmax, in float64).
 */
export function foregroundRows(data: ArrayLike<number>, k: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let p = 0; p < data.length / k; p++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, data[p * k + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(data[p * k + j] - max);
    for (let j = 0; j < k; j++) out[p * k + j] = Math.exp(data[p * k + j] - max) / sum >= 0.5 ? 1 : 0;
  }
  return out;
}
