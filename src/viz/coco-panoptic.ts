import type { PanopticResult } from '../segmenter/types';
import { encodePng } from './png';

/** COCO panoptic format: segment id = R + 256·G + 256²·B, 0 = void. */
export function idsToRgb(ids: Int32Array): Uint8Array {
  const rgb = new Uint8Array(ids.length * 3);
  for (let p = 0; p < ids.length; p++) {
    const id = ids[p];
    rgb[p * 3] = id & 0xff;
    rgb[p * 3 + 1] = (id >>> 8) & 0xff;
    rgb[p * 3 + 2] = (id >>> 16) & 0xff;
  }
  return rgb;
}

export function rgbToIds(rgb: Uint8Array | Uint8ClampedArray, channels: 3 | 4 = 3): Int32Array {
  const ids = new Int32Array(rgb.length / channels);
  for (let p = 0; p < ids.length; p++) ids[p] = rgb[p * channels] + 256 * rgb[p * channels + 1] + 65536 * rgb[p * channels + 2];
  return ids;
}

/** The panoptic map as a COCO panoptic PNG. */
export function panopticPng(panoptic: PanopticResult): Uint8Array {
  return encodePng(panoptic.width, panoptic.height, idsToRgb(panoptic.ids), 3);
}

export interface CocoSegmentInfo {
  readonly id: number;
  readonly category_id: number;
  readonly iscrowd: 0;
  /** [x, y, width, height] of the segment's pixels. */
  readonly bbox: readonly [number, number, number, number];
  readonly area: number;
  /** Extra fields kept for the app: class name, score, producing cluster. */
  readonly name: string;
  readonly isthing: boolean;
  readonly score: number;
  readonly cluster: number;
}

/** One COCO panoptic annotation (`annotations[i]` of a predictions file) for the PNG `fileName`. */
export function panopticAnnotation(panoptic: PanopticResult, fileName: string): { file_name: string; width: number; height: number; segments_info: CocoSegmentInfo[] } {
  const boxes = new Map<number, { x0: number; y0: number; x1: number; y1: number; area: number }>();
  for (let p = 0; p < panoptic.ids.length; p++) {
    const id = panoptic.ids[p];
    if (id === 0) continue;
    const x = p % panoptic.width;
    const y = Math.floor(p / panoptic.width);
    const b = boxes.get(id);
    if (b === undefined) boxes.set(id, { x0: x, y0: y, x1: x, y1: y, area: 1 });
    else {
      b.x0 = Math.min(b.x0, x);
      b.x1 = Math.max(b.x1, x);
      b.y1 = y;
      b.area++;
    }
  }
  const segments_info = panoptic.segments.map((s): CocoSegmentInfo => {
    const b = boxes.get(s.id);
    return {
      id: s.id,
      category_id: s.categoryId,
      iscrowd: 0,
      bbox: b === undefined ? [0, 0, 0, 0] : [b.x0, b.y0, b.x1 - b.x0 + 1, b.y1 - b.y0 + 1],
      area: b?.area ?? 0,
      name: s.name,
      isthing: s.isThing,
      score: s.score,
      cluster: s.cluster,
    };
  });
  return { file_name: fileName, width: panoptic.width, height: panoptic.height, segments_info };
}
