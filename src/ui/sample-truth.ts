import { groundTruthImages, panopticMap, type CocoPanopticJson } from '../eval/coco-panoptic';
import { assignmentCovering, type AssignmentGrid, type GroundTruthMap } from '../eval/layer-covering';
import type { Segment } from '../eval/panoptic-quality';

/** Where a shipped sample's ground truth lies: COCO panoptic `panoptic.json` and `panoptic/<png>` next to the picture, as models/<id>/samples/ ships them. */
export function truthIndexUrl(sampleUrl: string): string {
  return `${sampleUrl.slice(0, sampleUrl.lastIndexOf('/') + 1)}panoptic.json`;
}

/** The annotation of the picture `sampleUrl` in its folder's panoptic.json: its PNG's URL, size and segments; null when the file does not annotate it. */
export function truthEntry(sampleUrl: string, json: CocoPanopticJson): { pngUrl: string; width: number; height: number; segments: readonly Segment[] } | null {
  const folder = sampleUrl.slice(0, sampleUrl.lastIndexOf('/') + 1);
  const file = sampleUrl.slice(folder.length);
  const entry = groundTruthImages(json).find((gt) => gt.imageFile === file);
  return entry === undefined ? null : { pngUrl: `${folder}panoptic/${entry.panopticFile}`, width: entry.width, height: entry.height, segments: entry.segments };
}

/** The ground truth from its decoded PNG (RGBA, id = R + 256·G + 256²·B); null when the PNG's size is not the annotation's. */
export function truthFromPixels(entry: { width: number; height: number; segments: readonly Segment[] }, pixels: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): GroundTruthMap | null {
  if (pixels.width !== entry.width || pixels.height !== entry.height) return null;
  return { ...panopticMap(new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength), 4, entry.segments), width: entry.width, height: entry.height };
}

/** Each layer's covering of the ground truth, as `kmax eval` reports it; null when the truth is not of this picture's size. */
export function layerCoverings(layers: readonly AssignmentGrid[], truth: GroundTruthMap, picture: { width: number; height: number }): number[] | null {
  if (truth.width !== picture.width || truth.height !== picture.height) return null;
  return layers.map((grid) => assignmentCovering(grid, truth));
}

/**
 * Fetches and decodes the ground truth a shipped sample comes with; undefined
 * when it has none (no panoptic.json, or no entry for this picture). Decoded
 * without colour conversion: the PNG's bytes are ids, not colours.
 */
export async function loadSampleTruth(sampleUrl: string): Promise<GroundTruthMap | undefined> {
  const index = await fetch(truthIndexUrl(sampleUrl));
  if (!index.ok) return undefined;
  const entry = truthEntry(sampleUrl, (await index.json()) as CocoPanopticJson);
  if (entry === null) return undefined;
  const png = await fetch(entry.pngUrl);
  if (!png.ok) return undefined;
  const bitmap = await createImageBitmap(await png.blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (ctx === null) return undefined;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return truthFromPixels(entry, ctx.getImageData(0, 0, canvas.width, canvas.height)) ?? undefined;
}
