/**
 * Ground truth in the COCO panoptic format, as the evaluator consumes it: a JSON file with
 * `categories`, `images` and `annotations[].segments_info`, and one PNG per image whose
 * pixel id is R + 256·G + 256²·B (0 = unlabelled). Pure parsing; reading files is the caller's.
 */
import { rgbToIds } from '../viz/coco-panoptic';
import type { PanopticMap, Segment } from './panoptic-quality';

export interface CocoCategory {
  readonly id: number;
  readonly name: string;
  readonly isthing: number | boolean;
  readonly color?: readonly number[];
}

export interface CocoSegmentInfo {
  readonly id: number;
  readonly category_id: number;
  readonly area?: number;
  readonly bbox?: readonly number[];
  readonly iscrowd?: number;
}

export interface CocoPanopticJson {
  readonly categories: readonly CocoCategory[];
  readonly images: readonly { readonly id: number; readonly file_name: string; readonly width: number; readonly height: number }[];
  readonly annotations: readonly { readonly image_id: number; readonly file_name: string; readonly segments_info: readonly CocoSegmentInfo[] }[];
}

export interface GroundTruthImage {
  readonly imageFile: string;
  readonly panopticFile: string;
  readonly width: number;
  readonly height: number;
  /** Category ids as in the JSON (dataset ids). */
  readonly segments: readonly Segment[];
}

/** One entry per annotation, joined with its image record. */
export function groundTruthImages(json: CocoPanopticJson): GroundTruthImage[] {
  const images = new Map(json.images.map((im) => [im.id, im]));
  return json.annotations.map((a) => {
    const image = images.get(a.image_id);
    if (image === undefined) throw new Error(`annotation ${a.file_name} names image ${a.image_id}, which is not in "images"`);
    return {
      imageFile: image.file_name,
      panopticFile: a.file_name,
      width: image.width,
      height: image.height,
      segments: a.segments_info.map((s) => ({ id: s.id, categoryId: s.category_id, isCrowd: s.iscrowd === 1 })),
    };
  });
}

export function panopticMap(pixels: Uint8Array, channels: 3 | 4, segments: readonly Segment[]): PanopticMap {
  return { ids: rgbToIds(pixels, channels), segments };
}
