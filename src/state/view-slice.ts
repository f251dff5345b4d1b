import type { StateCreator } from 'zustand';
import type { AttentionMode } from '../segmenter/types';

/** The attention options as the UI names them, with the engine's mode for each. */
export const ATTENTION_CHOICES = [
  { label: 'argmax', mode: 'kmeans' },
  { label: 'softmax', mode: 'softmax' },
  { label: 'masked softmax', mode: 'masked' },
  { label: 'cluster softmax', mode: 'cluster-softmax' },
] as const satisfies readonly { label: string; mode: AttentionMode }[];

export type ColourBy = 'cluster' | 'class';

/** What the overlay shows: the panoptic segments, the semantic classes, or thing instances only. */
export type ViewMode = 'panoptic' | 'semantic' | 'instances';

export const VIEW_MODES = [
  { mode: 'panoptic', label: 'panoptic' },
  { mode: 'semantic', label: 'semantic only' },
  { mode: 'instances', label: 'instances only' },
] as const satisfies readonly { mode: ViewMode; label: string }[];

/** How results are shown; persisted between visits (except the transient selection). */
export interface ViewSlice {
  attention: AttentionMode;
  /** First kMaX layer (0..5) that uses `attention`; earlier layers keep argmax, as trained. */
  fromLayer: number;
  viewMode: ViewMode;
  opacity: number;
  contours: boolean;
  labels: boolean;
  colourBy: ColourBy;
  /** Stage explorer layer, 0..5 for the kMaX layers, 6 = final. */
  layer: number;
  selectedCluster: number | null;
  playing: boolean;
  /** Region ids of the current view switched off in the legend. */
  hiddenRegions: readonly number[];
  /** Region under the pointer (overlay or legend). */
  hoveredRegion: number | null;
}

export const createViewSlice: StateCreator<ViewSlice, [], [], ViewSlice> = () => ({
  attention: 'kmeans',
  fromLayer: 0,
  viewMode: 'panoptic',
  opacity: 0.6,
  contours: true,
  labels: true,
  colourBy: 'cluster',
  layer: 6,
  selectedCluster: null,
  playing: false,
  hiddenRegions: [],
  hoveredRegion: null,
});
