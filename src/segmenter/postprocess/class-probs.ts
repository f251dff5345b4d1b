/**
 * Per-cluster class probabilities (spec 5.1 step 1): softmax over all C+1 logits
 * (void last), then the void column dropped without renormalising (T28).
 */
export interface ClassProbs {
  readonly numClusters: number;
  /** Non-void classes C. */
  readonly numClasses: number;
  /** K x C, row-major. */
  readonly probs: Float32Array;
  /** max_c per cluster: the class confidence. */
  readonly score: Float32Array;
  /** argmax_c per cluster (first on ties). */
  readonly label: Int32Array;
}

/** `classLogits` is K x (C+1), row-major. */
export function classProbs(classLogits: Float32Array, numClusters: number): ClassProbs {
  const withVoid = classLogits.length / numClusters;
  const numClasses = withVoid - 1;
  const probs = new Float32Array(numClusters * numClasses);
  const score = new Float32Array(numClusters);
  const label = new Int32Array(numClusters);
  for (let k = 0; k < numClusters; k++) {
    const row = classLogits.subarray(k * withVoid, (k + 1) * withVoid);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v); // T34
    let total = 0;
    for (const v of row) total += Math.exp(v - max);
    let best = 0;
    for (let c = 0; c < numClasses; c++) {
      probs[k * numClasses + c] = Math.exp(row[c] - max) / total;
      if (probs[k * numClasses + c] > probs[k * numClasses + best]) best = c;
    }
    score[k] = probs[k * numClasses + best];
    label[k] = best;
  }
  return { numClusters, numClasses, probs, score, label };
}
