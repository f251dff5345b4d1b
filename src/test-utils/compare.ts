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
