import type { ClassInfo } from '../model/config';
import type { Segment } from '../segmenter/types';
import type { ColourTable, Rgb } from './raster';
import { mulberry32 } from '../model/random';

/** Class colours indexed by contiguous class id (datasets.json colours), void last in grey. */
export function classPalette(classes: readonly ClassInfo[]): ColourTable {
  const table = new Uint8Array((classes.length + 1) * 3);
  for (const c of classes) table.set(c.color, c.id * 3);
  table.set(VOID_GREY, classes.length * 3);
  return table;
}

const VOID_GREY: Rgb = [128, 128, 128];

/**
 * A thing instance's colour: its class colour moved by a vector of length
 * 0.5 (in 0..1 units) with non-negative components, as detectron2's visualiser
 * jitters instance colours, but seeded by the segment id so that the same
 * segment keeps its colour across redraws and exports.
 */
export function jitterColour(colour: Rgb, seed: number): Rgb {
  const random = mulberry32(seed);
  const v = [random(), random(), random()];
  const norm = Math.hypot(v[0], v[1], v[2]) || 1;
  const out = colour.map((c, i) => Math.round(Math.min(1, Math.max(0, c / 255 + (v[i] / norm) * 0.5)) * 255));
  return [out[0], out[1], out[2]];
}

/** Colour per segment id (index = id, 0 = void, black): stuff in its class colour, things jittered. */
export function segmentPalette(segments: readonly Pick<Segment, 'id' | 'classId' | 'isThing'>[], classes: readonly ClassInfo[]): ColourTable {
  const maxId = segments.reduce((m, s) => Math.max(m, s.id), 0);
  const table = new Uint8Array((maxId + 1) * 3);
  for (const s of segments) {
    const base = classes[s.classId]?.color ?? VOID_GREY;
    table.set(s.isThing ? jitterColour(base, s.id) : base, s.id * 3);
  }
  return table;
}

/**
 * At least `count` (>= 256 by default) clearly different colours for cluster
 * ids: a 7-level RGB grid without its darkest and lightest corners, visited
 * with a stride coprime to its size so that consecutive ids contrast.
 */
export function clusterPalette(count = 256): ColourTable {
  const levels = [0, 42, 85, 128, 170, 213, 255];
  const grid: Rgb[] = [];
  for (const r of levels) for (const g of levels) for (const b of levels) if (r + g + b >= 128 && r + g + b <= 680) grid.push([r, g, b]);
  const stride = coprimeStride(grid.length);
  const table = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) table.set(grid[(i * stride) % grid.length], i * 3);
  return table;
}

function coprimeStride(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let s = Math.round(n * 0.381966); // golden-ratio step spreads neighbours far apart
  while (gcd(s, n) !== 1) s++;
  return s;
}

/** A grey for cluster slot `k` that leads to no final segment: neutral, yet neighbouring slots stay apart. */
export function neutralShade(k: number): Rgb {
  const v = 96 + ((k * 53) % 112);
  return [v, v, v];
}

/**
 * Colour per cluster slot of one layer when colouring by traced segment:
 * the colour of the final segment the slot is traced to (`segmentOfSlot[k]`,
 * 0 = none: a neutral grey), so one colour means one object in every layer.
 */
export function tracedClusterColours(segmentOfSlot: Int32Array, segmentColours: ColourTable): ColourTable {
  const table = new Uint8Array(segmentOfSlot.length * 3);
  segmentOfSlot.forEach((id, k) => table.set(id > 0 && id * 3 + 2 < segmentColours.length ? segmentColours.subarray(id * 3, id * 3 + 3) : neutralShade(k), k * 3));
  return table;
}
