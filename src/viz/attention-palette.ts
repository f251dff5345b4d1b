import type { AttentionMode } from '../segmenter/types';

/**
 * One colour per attention mode, the same in every view that tells modes apart
 * (training curves, model swatches in Compare): colour-blind-safe Okabe-Ito hues.
 */
export const ATTENTION_COLOURS: Readonly<Record<AttentionMode, string>> = {
  kmeans: '#0072b2',
  softmax: '#d55e00',
  masked: '#009e73',
  'cluster-softmax': '#cc79a7',
};

/** Models that record no training attention. */
export const UNKNOWN_ATTENTION_COLOUR = '#7f7f7f';

export function attentionColour(mode: AttentionMode | null | undefined): string {
  return mode === null || mode === undefined ? UNKNOWN_ATTENTION_COLOUR : ATTENTION_COLOURS[mode];
}
