/**
 * BatchNorm calibration: while active, every BatchNorm replaces its running
 * statistics by the moments of the activations it actually sees. Random models
 * (`kmax init`) need this so activations stay O(1) and the k-means argmax is not
 * chaotic. Inference never turns it on.
 */
let active = false;

export function isCalibrating(): boolean {
  return active;
}

export async function withCalibration<T>(run: () => Promise<T> | T): Promise<T> {
  active = true;
  try {
    return await run();
  } finally {
    active = false;
  }
}
