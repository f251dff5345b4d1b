import { useMemo } from 'react';
import type { KMaXConfig } from '../model/config';
import { planResize } from '../segmenter/preprocess/resize-plan';
import type { LoadedImage } from '../state/result-slice';
import type { ResizedSize } from '../viz';

/** Where the photo sits in the network input (the engine's own resize plan), for placing a layer's cells over it. */
export function useResizedSize(image: LoadedImage | null, config: KMaXConfig | null): ResizedSize | null {
  return useMemo(() => (image === null || config === null ? null : planResize(image.pixels.height, image.pixels.width, config.inputSize, config.processing)), [image, config]);
}
