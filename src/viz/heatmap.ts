import type { RgbaImage } from './raster';
import { rgbaImage } from './raster';

/** Dark-to-bright stops (black, purple, orange, pale yellow), like "inferno". */
export const HEAT_STOPS: readonly (readonly [number, number, number])[] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

/**
 * One cluster's soft attention (softmax over pixels, cluster-major K*h*w) as a
 * heat map cropped to the valid area, scaled so that its largest value there is brightest.
 */
export function attentionHeatmap(
  maps: Float32Array,
  cluster: number,
  grid: { width: number; height: number; validWidth: number; validHeight: number },
): RgbaImage {
  const size = grid.width * grid.height;
  const values = maps.subarray(cluster * size, (cluster + 1) * size);
  let max = 0;
  for (let y = 0; y < grid.validHeight; y++) for (let x = 0; x < grid.validWidth; x++) max = Math.max(max, values[y * grid.width + x]);
  const out = rgbaImage(grid.validWidth, grid.validHeight);
  for (let y = 0; y < grid.validHeight; y++) {
    for (let x = 0; x < grid.validWidth; x++) {
      const colour = rampColour(max > 0 ? values[y * grid.width + x] / max : 0);
      out.data.set([...colour, 255], (y * grid.validWidth + x) * 4);
    }
  }
  return out;
}

/** The heat colour of `t` in 0..1 (clamped). */
export function rampColour(t: number): [number, number, number] {
  const s = Math.min(1, Math.max(0, t)) * (HEAT_STOPS.length - 1);
  const i = Math.min(HEAT_STOPS.length - 2, Math.floor(s));
  const f = s - i;
  const a = HEAT_STOPS[i];
  const b = HEAT_STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}
