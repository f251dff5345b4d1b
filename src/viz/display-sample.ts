import { nearestSampling, type Pixels } from './raster';

/**
 * The photo and its id map sampled down (nearest neighbour) so that the
 * longer side is at most `maxSide`: the page redraws the overlay on every
 * opacity step and hover, which must stay quick on a 50 MP photo. A photo
 * that already fits is returned as it is, so small pictures are drawn exactly.
 */
export function sampleForDisplay(photo: Pixels, ids: Int32Array, maxSide: number): { photo: Pixels; ids: Int32Array } {
  if (ids.length !== photo.width * photo.height) throw new RangeError(`id map has ${ids.length} pixels, photo ${photo.width}x${photo.height}`);
  const scale = maxSide / Math.max(photo.width, photo.height);
  if (scale >= 1) return { photo, ids };
  const width = Math.max(1, Math.round(photo.width * scale));
  const height = Math.max(1, Math.round(photo.height * scale));
  const xs = nearestSampling(width, photo.width);
  const ys = nearestSampling(height, photo.height);
  const data = new Uint8Array(width * height * photo.channels);
  const sampled = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = ys[y] * photo.width + xs[x];
      const dst = y * width + x;
      sampled[dst] = ids[src];
      data.set(photo.data.subarray(src * photo.channels, (src + 1) * photo.channels), dst * photo.channels);
    }
  }
  return { photo: { width, height, channels: photo.channels, data }, ids: sampled };
}
