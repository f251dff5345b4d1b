import type { AttentionMode } from '../segmenter/types';
import type { AttentionPlan } from './result-slice';
import { ATTENTION_CHOICES } from './view-slice';

export const attentionLabel = (mode: AttentionMode): string => ATTENTION_CHOICES.find((c) => c.mode === mode)?.label ?? mode;

/**
 * The per-layer attention of a run: argmax (as trained) before `fromLayer`,
 * `mode` from it on. Switching from a later layer keeps the early clustering
 * and shows what the alternative does to the refinement only (spec 6, caveat iii).
 */
export function attentionPlan(mode: AttentionMode, fromLayer: number, numLayers: number): AttentionPlan {
  const from = mode === 'kmeans' ? 0 : Math.min(numLayers - 1, Math.max(0, fromLayer));
  const schedule = Array.from({ length: numLayers }, (_, i): AttentionMode => (i < from ? 'kmeans' : mode));
  return { schedule, label: from === 0 ? attentionLabel(mode) : `${attentionLabel(mode)} from layer ${from + 1}` };
}

/** Compare mode's two runs: argmax everywhere against the chosen plan (softmax from the chosen layer when argmax is chosen). */
export function comparisonPlans(mode: AttentionMode, fromLayer: number, numLayers: number): readonly [AttentionPlan, AttentionPlan] {
  return [attentionPlan('kmeans', 0, numLayers), attentionPlan(mode === 'kmeans' ? 'softmax' : mode, fromLayer, numLayers)];
}

export function samePlan(a: AttentionPlan | null, b: AttentionPlan): boolean {
  return a !== null && a.schedule.length === b.schedule.length && a.schedule.every((m, i) => m === b.schedule[i]);
}
