import { useAppStore } from './store';
import type { KMaXConfig } from '../model/config';
import type { ColourBy, FollowMode } from './view-slice';

// What the view controls change: plain UI state, no engine call.
const set = useAppStore.setState;
const get = useAppStore.getState;

/** Number of kMaX layers of a model (6 for every official one, and before any is loaded); the final head is layer `layerCount`. */
export function layerCount(config: KMaXConfig | null): number {
  return config === null ? 6 : config.transformerDecoder.layersPerStage.reduce((n, l) => n + l, 0);
}

export const numLayers = () => layerCount(get().config);

export const setOpacity = (opacity: number) => set({ opacity });
export const setContours = (contours: boolean) => set({ contours });
export const setLabels = (labels: boolean) => set({ labels });
export const setColourBy = (colourBy: ColourBy) => set({ colourBy });
export const setLayer = (layer: number) => set({ layer: Math.min(numLayers(), Math.max(0, layer)) });
/** Selects a cluster slot as seen at `atLayer` (default: the layer on show), or clears the selection. */
export const selectCluster = (selectedCluster: number | null, atLayer?: number) => set({ selectedCluster, selectedLayer: atLayer ?? get().layer });
export const setFollow = (follow: FollowMode) => set({ follow });
export const setPlaying = (playing: boolean) => set({ playing });
export const hoverRegion = (hoveredRegion: number | null) => set({ hoveredRegion });

/** Shows or hides one region of the current view (the legend's toggles). */
export function toggleRegion(id: number): void {
  const hidden = get().hiddenRegions;
  set({ hiddenRegions: hidden.includes(id) ? hidden.filter((h) => h !== id) : [...hidden, id] });
}

/** Moves the stage explorer one layer on, wrapping after the final one (the play loop). */
export function stepLayer(delta: 1 | -1): void {
  const count = numLayers() + 1;
  set({ layer: (get().layer + delta + count) % count });
}
