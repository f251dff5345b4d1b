import type { ClassInfo } from '../model/config';
import type { PanopticResult, RgbImage } from '../segmenter/types';
import { idsToRgb } from './coco-panoptic';
import { segmentPalette } from './palette';
import { panopticOverlay, type OverlayOptions } from './panoptic-overlay';

/** The panoptic map as COCO panoptic pixels (id = R + 256·G + 256²·B), for any PNG encoder. */
export function encodeCocoPanopticPng(panoptic: PanopticResult): RgbImage {
  return { width: panoptic.width, height: panoptic.height, channels: 3, data: idsToRgb(panoptic.ids) };
}

/** The overlay the app shows, as an RGBA image (for the CLI's overlay.png). */
export function renderOverlay(image: RgbImage, panoptic: PanopticResult, classes: readonly ClassInfo[], options: OverlayOptions = { opacity: 0.6, contours: true }): RgbImage {
  const overlay = panopticOverlay(image, panoptic.ids, segmentPalette(panoptic.segments, classes), options);
  return { width: overlay.width, height: overlay.height, channels: 4, data: overlay.data };
}
