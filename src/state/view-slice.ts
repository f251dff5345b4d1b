import type { StateCreator } from 'zustand';
import type { AttentionMode } from '../segmenter/types';

/** The attention options as the UI names them, with the engine's mode for each. */
export const ATTENTION_CHOICES = [
  { label: 'argmax', mode: 'kmeans' },
  { label: 'softmax', mode: 'softmax' },
  { label: 'masked softmax', mode: 'masked' },
  { label: 'cluster softmax', mode: 'cluster-softmax' },
] as const satisfies readonly { label: string; mode: AttentionMode }[];

/** How cluster slots are coloured: by the final segment they are traced to, by slot id, or by their predicted class. */
export type ColourBy = 'traced' | 'cluster' | 'class';

export const COLOUR_CHOICES = [
  { by: 'traced', label: 'traced segment' },
  { by: 'cluster', label: 'cluster slot' },
  { by: 'class', label: 'predicted class' },
] as const satisfies readonly { by: ColourBy; label: string }[];

/** Following a selected cluster: the slot id through the layers, or the object (traced segment) it belongs to. */
export type FollowMode = 'slot' | 'object';

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
  /** Layer at which `selectedCluster` was picked (its object is read there). */
  selectedLayer: number;
  follow: FollowMode;
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
  colourBy: 'traced',
  layer: 6,
  selectedCluster: null,
  selectedLayer: 6,
  follow: 'object',
  playing: false,
  hiddenRegions: [],
  hoveredRegion: null,
});
