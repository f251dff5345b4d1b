/// <reference lib="webworker" />
import { decodeRaster, ImageDecodeError } from './decode-image-raster';
import type { DecodeReply, DecodeRequest } from './decode-image';

// Pictures are decoded here, off the page's thread: drawing a big photo and copying its pixels
// out (getImageData, up to 50 MP = 200 MB) block whichever thread runs them. Its own small
// Worker rather than the segmenter's: that one answers one request at a time, and a picture must
// not wait behind a network run that takes seconds on a software GPU (nor load tfjs to decode).
const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (reply: DecodeReply, transfer: Transferable[] = []) => scope.postMessage(reply, transfer);

scope.onmessage = async ({ data: { id, blob, name } }: MessageEvent<DecodeRequest>) => {
  try {
    const image = await decodeRaster(blob, name, (status) => post({ id, kind: 'status', status }));
    post({ id, kind: 'image', image }, [image.pixels.data.buffer]);
  } catch (error) {
    // Only our own errors are typed; anything else is a bug in the decoder and says so upstream.
    post({ id, kind: 'error', typed: error instanceof ImageDecodeError, message: error instanceof Error ? error.message : String(error) });
  }
};
