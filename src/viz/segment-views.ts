import type { ClassInfo } from '../model/config';
import type { Instance, PanopticResult } from '../segmenter/types';
import { segmentPalette } from './palette';
import type { ColourTable } from './raster';

/** One labelled region of a view: a panoptic segment, a semantic class or an instance. */
export interface Region {
  /** Value in the view's id map (1..n; 0 = nothing). */
  readonly id: number;
  readonly classId: number;
  readonly name: string;
  readonly isThing: boolean;
  /** Confidence, where the view has one (panoptic and instance views). */
  readonly score: number | null;
  /** Pixels of the region in the id map. */
  readonly area: number;
  /** The cluster that produced it (the semantic view mixes clusters). */
  readonly cluster: number | null;
}

/** What the overlay, the legend and the hover read: an id per pixel, the regions and their colours. */
export interface LabelledView {
  readonly width: number;
  readonly height: number;
  readonly ids: Int32Array;
  readonly regions: readonly Region[];
  /** Colour per id (entry 3·id), things jittered per id. */
  readonly colours: ColourTable;
}

/** The panoptic result as it is: segments and their ids; same-class segments numbered ("square 2"). */
export function panopticView(panoptic: PanopticResult, classes: readonly ClassInfo[]): LabelledView {
  const regions = numberSameClass(panoptic.segments.map((s): Region => ({ id: s.id, classId: s.classId, name: s.name, isThing: s.isThing, score: s.score, area: s.area, cluster: s.cluster })));
  return { width: panoptic.width, height: panoptic.height, ids: panoptic.ids, regions, colours: segmentPalette(regions, classes) };
}

/**
 * The semantic label map (spec 5.2, class id per pixel) as regions: one per
 * class present, id = class id + 1, every class in its own dataset colour.
 */
export function semanticView(semantic: Int32Array, width: number, height: number, classes: readonly ClassInfo[]): LabelledView {
  if (semantic.length !== width * height) throw new RangeError(`semantic map has ${semantic.length} pixels, expected ${width}x${height}`);
  const ids = new Int32Array(semantic.length);
  const areas = new Map<number, number>();
  for (let p = 0; p < semantic.length; p++) {
    ids[p] = semantic[p] + 1;
    areas.set(semantic[p], (areas.get(semantic[p]) ?? 0) + 1);
  }
  const regions = [...areas]
    .sort((a, b) => b[1] - a[1])
    .map(([classId, area]): Region => ({ id: classId + 1, classId, name: classes[classId]?.name ?? `class ${classId}`, isThing: false, score: null, area, cluster: null }));
  return { width, height, ids, regions, colours: segmentPalette(regions, classes) };
}

/**
 * Thing instances (spec 5.3) above `minScore`, painted lowest score first so
 * that a more confident instance covers a less confident one. Instances of one
 * cluster share its mask, so only the best-scoring class of each cluster is
 * drawn; instances left with no visible pixel are dropped.
 */
export function instanceView(instances: readonly Instance[], width: number, height: number, classes: readonly ClassInfo[], minScore: number): LabelledView {
  const best = new Map<number, Instance>();
  for (const instance of instances) {
    if (instance.score <= minScore) continue;
    const current = best.get(instance.cluster);
    if (current === undefined || instance.score > current.score) best.set(instance.cluster, instance);
  }
  const ranked = [...best.values()].sort((a, b) => b.score - a.score);
  const ids = new Int32Array(width * height);
  // Painting in reverse rank order leaves the most confident instance on top.
  for (let r = ranked.length - 1; r >= 0; r--) {
    const mask = ranked[r].mask;
    for (let p = 0; p < ids.length; p++) if (mask[p] === 1) ids[p] = r + 1;
  }
  const areas = new Int32Array(ranked.length + 1);
  for (const id of ids) areas[id]++;
  const regions = numberSameClass(ranked
    .map((instance, r): Region => ({ id: r + 1, classId: instance.classId, name: classes[instance.classId]?.name ?? `class ${instance.classId}`, isThing: true, score: instance.score, area: areas[r + 1], cluster: instance.cluster }))
    .filter((region) => region.area > 0));
  return { width, height, ids, regions, colours: segmentPalette(regions, classes) };
}

/** Regions of a class that occurs more than once get a number in id order ("square 1", "square 2"), so the legend tells them apart. */
export function numberSameClass(regions: readonly Region[]): Region[] {
  const counts = new Map<number, number>();
  for (const r of regions) counts.set(r.classId, (counts.get(r.classId) ?? 0) + 1);
  const order = [...regions].sort((a, b) => a.id - b.id);
  const numbers = new Map<number, number>();
  const seen = new Map<number, number>();
  for (const r of order) {
    const n = (seen.get(r.classId) ?? 0) + 1;
    seen.set(r.classId, n);
    numbers.set(r.id, n);
  }
  return regions.map((r) => ((counts.get(r.classId) ?? 0) > 1 ? { ...r, name: `${r.name} ${numbers.get(r.id) ?? 0}` } : r));
}

/** A region's share of the picture as the legend prints it, in percent with one decimal. */
export function pictureShare(area: number, totalPixels: number): string {
  return ((100 * area) / totalPixels).toFixed(1);
}

/** The regions the legend lists: those whose printed share is not "0.0" (a few stray pixels would only be noise there). */
export function legendRegions(regions: readonly Region[], totalPixels: number): Region[] {
  return regions.filter((r) => pictureShare(r.area, totalPixels) !== '0.0');
}

/** Id of the pixels of regions the user hid: the overlay shows the photo there (void, id 0, stays marked). */
export const HIDDEN_REGION = -1;

/** The id map with hidden regions turned to HIDDEN_REGION (the input itself when nothing is hidden). */
export function hideRegions(ids: Int32Array, hidden: ReadonlySet<number>): Int32Array {
  if (hidden.size === 0) return ids;
  return ids.map((id) => (hidden.has(id) ? HIDDEN_REGION : id));
}
