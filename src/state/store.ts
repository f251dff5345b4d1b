import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createModelSlice, type ModelSlice } from './model-slice';
import { createResultSlice, type ResultSlice } from './result-slice';
import { createViewSlice, type ViewSlice } from './view-slice';

export type AppState = ModelSlice & ViewSlice & ResultSlice;

/** One store from three slices; model choice and view options survive a reload. */
export const useAppStore = create<AppState>()(
  persist(
    (...a) => ({
      ...createModelSlice(...a),
      ...createViewSlice(...a),
      ...createResultSlice(...a),
    }),
    {
      name: 'kmax-lens',
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({
        modelId: s.modelId,
        attention: s.attention,
        fromLayer: s.fromLayer,
        viewMode: s.viewMode,
        opacity: s.opacity,
        contours: s.contours,
        labels: s.labels,
        colourBy: s.colourBy,
        follow: s.follow,
        layer: s.layer,
      }),
    },
  ),
);

/** Back to the initial state (tests call it in beforeEach). */
export function resetStore(): void {
  useAppStore.setState(useAppStore.getInitialState(), true);
}
