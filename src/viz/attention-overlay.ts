import { MASKED_FOREGROUND } from '../model/transformer-decoder/attention-mode';
import type { AttentionMode, LayerRecord } from '../segmenter/types';
import { rampColour } from './heatmap';
import { rgbaImage, type Pixels, type RgbaImage } from './raster';
import { photoSampling, type ResizedSize } from './stage-overlay';

/** The soft modes, whose cluster-to-pixel weights are not one-hot. */
export function isSoftAttention(mode: AttentionMode | 'final'): mode is 'softmax' | 'masked' | 'cluster-softmax' {
  return mode === 'softmax' || mode === 'masked' || mode === 'cluster-softmax';
}

type SoftRecord = Pick<LayerRecord, 'width' | 'height' | 'softAssignment' | 'spatialAttention'>;

/**
 * The weights cluster `k` gives each cell of the map in this layer's cross-attention
 * (its row of A; the layer's recorded mask logits are the ones its attention reads):
 * softmax: the spatial softmax over all cells; masked: that softmax over the cluster's
 * foreground only (softmax over clusters >= 0.5; every cell when empty), renormalised;
 * cluster-softmax: the pixel's softmax over clusters. Null when the soft maps were not recorded.
 */
export function attentionWeights(record: SoftRecord, k: number, mode: 'softmax' | 'masked' | 'cluster-softmax'): Float32Array | null {
  const cells = record.width * record.height;
  const { spatialAttention: spatial, softAssignment: soft } = record;
  if (spatial === undefined || soft === undefined) return null;
  const clusters = soft.length / cells;
  if (mode === 'cluster-softmax') return Float32Array.from({ length: cells }, (_, p) => soft[p * clusters + k]);
  const row = spatial.subarray(k * cells, (k + 1) * cells);
  if (mode === 'softmax') return row.slice();
  let sum = 0;
  for (let p = 0; p < cells; p++) if (soft[p * clusters + k] >= MASKED_FOREGROUND) sum += row[p];
  if (sum === 0) return row.slice();
  return Float32Array.from(row, (v, p) => (soft[p * clusters + k] >= MASKED_FOREGROUND ? v / sum : 0));
}

export interface AttentionOverlay {
  readonly image: RgbaImage;
  /** Smallest and largest weight over the valid cells: the ends of the colour scale. */
  readonly min: number;
  readonly max: number;
}

/**
 * Attention weights over the photo: each photo pixel takes its nearest cell (as
 * stageOverlay places cells), coloured on the heat scale from the smallest (dark) to
 * the largest (bright) weight of the valid cells, blended over the photo by `opacity`.
 */
export function attentionOverlay(
  photo: Pixels,
  weights: Float32Array,
  grid: { width: number; stride: number; validWidth: number; validHeight: number },
  resized: ResizedSize,
  options: { opacity: number; maxSide: number },
): AttentionOverlay {
  let min = Infinity;
  let max = -Infinity;
  for (let y = 0; y < grid.validHeight; y++) {
    for (let x = 0; x < grid.validWidth; x++) {
      const v = weights[y * grid.width + x];
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  const { width, height, sourceX, sourceY, cellX, cellY } = photoSampling(photo, grid, resized, options.maxSide);
  const a = Math.min(1, Math.max(0, options.opacity));
  const span = max - min;
  const image = rgbaImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = weights[cellY[y] * grid.width + cellX[x]];
      const colour = rampColour(span > 0 ? (v - min) / span : 0);
      const src = (sourceY[y] * photo.width + sourceX[x]) * photo.channels;
      const dst = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) image.data[dst + c] = Math.round(photo.data[src + c] * (1 - a) + colour[c] * a);
      image.data[dst + 3] = 255;
    }
  }
  return { image, min, max };
}
