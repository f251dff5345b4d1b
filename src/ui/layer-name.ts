/** "Layer 3", or "Final" for the prediction after the last of `count` kMaX layers. */
export const layerName = (layer: number, count: number): string => (layer >= count ? 'Final' : `Layer ${layer + 1}`);
