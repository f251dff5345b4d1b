import type { LoadedImage } from '../state/result-slice';
import { bitmapPixels, fileEnds, ImageDecodeError } from './decode-image-raster';
import { diagnose, sniffFormat } from './image-format';

export { ImageDecodeError } from './decode-image-raster';

/** A picture for the decode Worker (src/ui/decode-image.worker.ts). */
export interface DecodeRequest {
  readonly id: number;
  readonly blob: Blob;
  readonly name: string;
}

/** The decode Worker's answers: any number of statuses, then the image or an error. */
export type DecodeReply =
  | { readonly id: number; readonly kind: 'status'; readonly status: string }
  | { readonly id: number; readonly kind: 'image'; readonly image: LoadedImage }
  | { readonly id: number; readonly kind: 'error'; readonly typed: boolean; readonly message: string };

/**
 * Decodes a picture in this browser (never uploaded) to RGBA pixels, at most 50 MP, EXIF
 * orientation applied. Raster formats are decoded in a Worker; `onStatus` hears what is going on
 * ("decoding "photo.jpg" (6000×4000)…"). Bad files throw ImageDecodeError with a specific message.
 */
export async function decodeImage(blob: Blob, name: string, onStatus: (status: string) => void = () => {}): Promise<LoadedImage> {
  const { head, tail } = await fileEnds(blob);
  if (sniffFormat(head) !== 'SVG') return decoder().decode(blob, name, onStatus);
  const problem = diagnose(name, blob.size, head, tail);
  if (problem !== null) throw new ImageDecodeError(problem);
  onStatus(`rendering the drawing "${name}"…`);
  const bitmap = await rasteriseSvg(blob, name);
  try {
    return { name, pixels: bitmapPixels(bitmap) };
  } finally {
    bitmap.close();
  }
}

/** The decode Worker, started on the first picture, and the requests it has not answered yet. */
class DecodeWorker {
  private readonly worker = new Worker(new URL('./decode-image.worker.ts', import.meta.url), { type: 'module', name: 'kmax-decode' });
  private readonly pending = new Map<number, { name: string; resolve: (image: LoadedImage) => void; reject: (error: Error) => void; onStatus: (status: string) => void }>();
  private nextId = 0;

  constructor() {
    this.worker.onmessage = ({ data: reply }: MessageEvent<DecodeReply>) => {
      const request = this.pending.get(reply.id);
      if (request === undefined) return;
      if (reply.kind === 'status') return request.onStatus(reply.status);
      this.pending.delete(reply.id);
      if (reply.kind === 'image') request.resolve(reply.image);
      else request.reject(reply.typed ? new ImageDecodeError(reply.message) : new Error(`the picture decoder failed: ${reply.message}`));
    };
    // A Worker that cannot start or dies fails what was asked; the next picture gets a fresh one.
    this.worker.onerror = (event) => {
      current = null;
      this.worker.terminate();
      const why = event.message ? ` (${event.message})` : '';
      for (const { reject, name } of this.pending.values()) reject(new ImageDecodeError(`"${name}" could not be decoded: the picture decoder stopped${why}; try again, or a smaller picture`));
      this.pending.clear();
    };
  }

  decode(blob: Blob, name: string, onStatus: (status: string) => void): Promise<LoadedImage> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { name, resolve, reject, onStatus });
      this.worker.postMessage({ id, blob, name } satisfies DecodeRequest);
    });
  }
}

let current: DecodeWorker | null = null;
const decoder = () => (current ??= new DecodeWorker());

/** Side of an SVG drawing that states no size of its own. */
const SVG_DEFAULT_SIDE = 1024;

/**
 * Rasterises an SVG drawing at its own size (or 1024 px when it has none) through an <img>,
 * which renders it without running its scripts. This stays on the page's thread: Chromium's
 * createImageBitmap refuses an SVG Blob, in a Worker as in the page ("The source image could not
 * be decoded"), and a Worker has no <img>, so an SVG cannot be decoded off the main thread.
 */
async function rasteriseSvg(blob: Blob, name: string): Promise<ImageBitmap> {
  const url = URL.createObjectURL(new Blob([blob], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    try {
      await img.decode();
    } catch {
      throw new ImageDecodeError(`"${name}" is an SVG drawing the browser could not render (is it well-formed XML?)`);
    }
    const width = img.naturalWidth || SVG_DEFAULT_SIDE;
    const height = img.naturalHeight || Math.round((SVG_DEFAULT_SIDE * (img.naturalHeight || 3)) / (img.naturalWidth || 4));
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new ImageDecodeError('this browser cannot draw to a 2D canvas');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(img, 0, 0, width, height);
    return canvas.transferToImageBitmap();
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A frame of a playing video (the webcam still). */
export function videoFrame(video: HTMLVideoElement, name: string): LoadedImage {
  if (video.videoWidth === 0) throw new ImageDecodeError('the camera has not delivered a frame yet; try again');
  const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new ImageDecodeError('this browser cannot draw to a 2D canvas');
  ctx.drawImage(video, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { name, pixels: { width: canvas.width, height: canvas.height, channels: 4, data } };
}
