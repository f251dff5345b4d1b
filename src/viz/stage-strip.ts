import { assignmentToImage, type AssignmentGrid } from './assignment-map';
import { encodePng } from './png';
import type { ColourTable, RgbaImage } from './raster';
import { rgbaImage } from './raster';

const GAP = 4;

/**
 * Every layer's assignment side by side, each scaled with nearest neighbour
 * to `height` rows (aspect kept), separated by white gaps: one picture of how
 * the clustering evolves.
 */
export function stageStrip(grids: readonly AssignmentGrid[], colours: ColourTable, height: number): RgbaImage {
  const tiles = grids.map((g) => scaleNearest(assignmentToImage(g, colours), Math.max(1, Math.round((g.validWidth * height) / g.validHeight)), height));
  const width = tiles.reduce((w, t) => w + t.width, 0) + GAP * Math.max(0, tiles.length - 1);
  const out = rgbaImage(width, height);
  out.data.fill(255);
  let x0 = 0;
  for (const tile of tiles) {
    for (let y = 0; y < height; y++) out.data.set(tile.data.subarray(y * tile.width * 4, (y + 1) * tile.width * 4), (y * width + x0) * 4);
    x0 += tile.width + GAP;
  }
  return out;
}

export function stageStripPng(grids: readonly AssignmentGrid[], colours: ColourTable, height: number): Uint8Array {
  const strip = stageStrip(grids, colours, height);
  return encodePng(strip.width, strip.height, strip.data, 4);
}

/** Nearest-neighbour resize (pixel centres mapped back), as a label map must be scaled. */
export function scaleNearest(image: RgbaImage, width: number, height: number): RgbaImage {
  const out = rgbaImage(width, height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width));
      out.data.set(image.data.subarray((sy * image.width + sx) * 4, (sy * image.width + sx) * 4 + 4), (y * width + x) * 4);
    }
  }
  return out;
}
