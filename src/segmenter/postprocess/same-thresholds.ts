import type { PostProcessConfig } from '../../model/config';

/** Whether two post-processing configurations give the same result for the same outputs. */
export function sameThresholds(a: PostProcessConfig, b: PostProcessConfig): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof PostProcessConfig)[]);
  return [...keys].every((key) => a[key] === b[key]);
}
