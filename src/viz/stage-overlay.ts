import type { LayerRecord } from '../segmenter/types';
import type { ColourTable, Pixels, RgbaImage } from './raster';
import { nearestSampling, rgbaImage } from './raster';

/** The fields of a layer record that placing its cells over the photo needs. */
export type StageGrid = Pick<LayerRecord, 'assignment' | 'width' | 'stride' | 'validWidth' | 'validHeight'>;

/** The photo's size inside the network input (the resize plan's resized image). */
export interface ResizedSize {
  readonly resizedWidth: number;
  readonly resizedHeight: number;
}

export interface StageOverlayOptions {
  /** 0 shows the photo, 1 only the cluster colours. */
  readonly opacity: number;
  /** Clusters shown at full strength; every other one fades to the photo. */
  readonly highlight?: ReadonlySet<number>;
  /** Longest side of the drawn image (the photo is sampled down to it, never up). */
  readonly maxSide: number;
}

/** An assignment drawn over the photo, and which grid cell each drawn pixel shows. */
export interface StageOverlay {
  readonly image: RgbaImage;
  /** Index into the layer's assignment (row-major, its own width) of drawn pixel (x, y). */
  cellAt(x: number, y: number): number;
}

/**
 * The drawn picture's size (longest side at most maxSide) and, per drawn column and row, the
 * photo pixel it shows and the layer's feature cell nearest to it.
 */
export function photoSampling(photo: Pixels, grid: Pick<StageGrid, 'stride' | 'validWidth' | 'validHeight'>, resized: ResizedSize, maxSide: number) {
  const scale = Math.min(1, maxSide / Math.max(photo.width, photo.height));
  const width = Math.max(1, Math.round(photo.width * scale));
  const height = Math.max(1, Math.round(photo.height * scale));
  const sourceX = nearestSampling(width, photo.width);
  const sourceY = nearestSampling(height, photo.height);
  const cellX = sourceX.map((x) => nearestCell(x, photo.width, resized.resizedWidth, grid.stride, grid.validWidth));
  const cellY = sourceY.map((y) => nearestCell(y, photo.height, resized.resizedHeight, grid.stride, grid.validHeight));
  return { width, height, sourceX, sourceY, cellX, cellY };
}

/**
 * Lays a layer's cluster assignment over the photo at the layer's stride.
 * Feature cell j of a stride-s map sits on network-input pixel j·s (the
 * network's resizes align corners), so each photo pixel takes the cell nearest
 * to where it lands in the resized input.
 */
export function stageOverlay(photo: Pixels, grid: StageGrid, resized: ResizedSize, colours: ColourTable, options: StageOverlayOptions): StageOverlay {
  const { width, height, sourceX, sourceY, cellX, cellY } = photoSampling(photo, grid, resized, options.maxSide);
  const a = Math.min(1, Math.max(0, options.opacity));
  const image = rgbaImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = grid.assignment[cellY[y] * grid.width + cellX[x]];
      const weight = options.highlight === undefined || options.highlight.has(k) ? a : a * 0.15;
      const src = (sourceY[y] * photo.width + sourceX[x]) * photo.channels;
      const dst = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) image.data[dst + c] = Math.round(photo.data[src + c] * (1 - weight) + colours[k * 3 + c] * weight);
      image.data[dst + 3] = 255;
    }
  }
  return { image, cellAt: (x, y) => cellY[clamp(y, height)] * grid.width + cellX[clamp(x, width)] };
}

/** The cell of a stride-`stride` map nearest to photo pixel `p` (of `size`), clamped to the valid cells. */
export function nearestCell(p: number, size: number, resized: number, stride: number, valid: number): number {
  const input = ((p + 0.5) * resized) / size - 0.5;
  return Math.min(valid - 1, Math.max(0, Math.round(input / stride)));
}

function clamp(v: number, n: number): number {
  return Math.min(n - 1, Math.max(0, Math.floor(v)));
}
