import type { StateCreator } from 'zustand';
import type { AttentionMode } from '../segmenter/types';

/** The attention options as the UI names them, with the engine's mode for each. */
export const ATTENTION_CHOICES = [
  { label: 'argmax', mode: 'kmeans' },
  { label: 'softmax', mode: 'softmax' },
  { label: 'cluster softmax', mode: 'cluster-softmax' },
] as const satisfies readonly { label: string; mode: AttentionMode }[];

export type ColourBy = 'cluster' | 'class';

/** How results are shown; persisted between visits (except the transient selection). */
export interface ViewSlice {
  attention: AttentionMode;
  opacity: number;
  contours: boolean;
  labels: boolean;
  colourBy: ColourBy;
  /** Stage explorer layer, 0..5 for the kMaX layers, 6 = final. */
  layer: number;
  selectedCluster: number | null;
  playing: boolean;
}

export const createViewSlice: StateCreator<ViewSlice, [], [], ViewSlice> = () => ({
  attention: 'kmeans',
  opacity: 0.6,
  contours: true,
  labels: true,
  colourBy: 'cluster',
  layer: 6,
  selectedCluster: null,
  playing: false,
});
