/** What the first bytes of a file say it is (magic numbers), independent of its name or declared type. */
export type SniffedFormat = 'PNG' | 'JPEG' | 'GIF' | 'WebP' | 'BMP' | 'AVIF' | 'HEIC' | 'TIFF' | 'SVG' | 'PDF' | 'ICO' | 'unknown';

/** Formats browsers decode with createImageBitmap (SVG is rasterised separately). */
export const DECODABLE: readonly SniffedFormat[] = ['PNG', 'JPEG', 'GIF', 'WebP', 'BMP', 'AVIF', 'ICO'];

/** Files larger than this are refused before they are read. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Decoded pictures over this many pixels cannot be held in the page (4 bytes each, under 2 GB). */
export const MAX_DECODED_PIXELS = 500_000_000;

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

export function sniffFormat(head: Uint8Array): SniffedFormat {
  if (head.length >= 8 && head[0] === 0x89 && ascii(head, 1, 4) === 'PNG') return 'PNG';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'JPEG';
  if (ascii(head, 0, 4) === 'GIF8') return 'GIF';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'WebP';
  if (ascii(head, 0, 2) === 'BM') return 'BMP';
  if (ascii(head, 4, 8) === 'ftyp') {
    const brand = ascii(head, 8, 12);
    if (/^avi[fs]$/.test(brand)) return 'AVIF';
    if (/^(heic|heix|hevc|hevx|heim|heis|mif1|msf1)$/.test(brand)) return 'HEIC';
  }
  if ((head[0] === 0x49 && head[1] === 0x49 && head[2] === 0x2a) || (head[0] === 0x4d && head[1] === 0x4d && head[3] === 0x2a)) return 'TIFF';
  if (ascii(head, 0, 5) === '%PDF-') return 'PDF';
  if (head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0) return 'ICO';
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('<') && /<svg[\s>]/i.test(text)) return 'SVG';
  return 'unknown';
}

/** Bytes read from the start of a file to sniff it and find its declared size (a JPEG's frame header may follow 64 KB of EXIF). */
export const HEAD_BYTES = 128 * 1024;

/**
 * Width and height as the file's header declares them (PNG IHDR, GIF screen, BMP info header,
 * WebP VP8/VP8L/VP8X, JPEG start-of-frame), or null where the head does not say.
 */
export function declaredSize(head: Uint8Array): [number, number] | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const has = (end: number) => head.length >= end;
  switch (sniffFormat(head)) {
    case 'PNG':
      return has(24) && ascii(head, 12, 16) === 'IHDR' ? [view.getUint32(16), view.getUint32(20)] : null;
    case 'GIF':
      return has(10) ? [view.getUint16(6, true), view.getUint16(8, true)] : null;
    case 'BMP':
      // A negative height is a top-down bitmap.
      return has(26) ? [Math.abs(view.getInt32(18, true)), Math.abs(view.getInt32(22, true))] : null;
    case 'WebP':
      return webpSize(head, view);
    case 'JPEG':
      return jpegSize(head, view);
    default:
      return null;
  }
}

function webpSize(head: Uint8Array, view: DataView): [number, number] | null {
  if (head.length < 30) return null;
  const chunk = ascii(head, 12, 16);
  if (chunk === 'VP8 ') return [view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff];
  if (chunk === 'VP8L') {
    const bits = view.getUint32(21, true);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (chunk === 'VP8X') return [1 + (head[24] | (head[25] << 8) | (head[26] << 16)), 1 + (head[27] | (head[28] << 8) | (head[29] << 16))];
  return null;
}

/** Walks the JPEG's marker segments to its start-of-frame (SOF0..SOF15 but DHT, JPG and DAC). */
function jpegSize(head: Uint8Array, view: DataView): [number, number] | null {
  let at = 2;
  while (at + 9 <= head.length && head[at] === 0xff) {
    const marker = head[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return [view.getUint16(at + 7), view.getUint16(at + 5)];
    at += 2 + view.getUint16(at + 2);
  }
  return null;
}

/** Whether the file's last bytes end the image as its format requires (PNG: an IEND chunk; JPEG: the EOI marker). */
export function endsComplete(format: SniffedFormat, tail: Uint8Array): boolean {
  if (format === 'PNG') return tail.length >= 12 && ascii(tail, tail.length - 8, tail.length - 4) === 'IEND';
  if (format === 'JPEG') {
    // Some cameras pad after the EOI marker: look for it in the last bytes.
    for (let i = tail.length - 2; i >= Math.max(0, tail.length - 64); i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
    return false;
  }
  return true;
}

/**
 * Why a file cannot be opened as a picture, before or after the browser tried:
 * empty, too large, a format browsers do not decode (named), or cut short.
 * Null when nothing specific is known.
 */
export function diagnose(name: string, size: number, head: Uint8Array, tail: Uint8Array): string | null {
  if (size === 0) return `"${name}" is empty (0 bytes)`;
  if (size > MAX_FILE_BYTES) return `"${name}" is too large: ${Math.round(size / 2 ** 20)} MB, over the ${MAX_FILE_BYTES / 2 ** 20} MB limit for a picture`;
  const format = sniffFormat(head);
  const dims = declaredSize(head);
  if (dims !== null && dims[0] * dims[1] > MAX_DECODED_PIXELS) {
    return `"${name}" is too large to decode: ${dims[0]}×${dims[1]} pixels (${Math.round((dims[0] * dims[1]) / 1e6)} MP), over the ${MAX_DECODED_PIXELS / 1e6} MP limit`;
  }
  if (format === 'HEIC' || format === 'TIFF' || format === 'PDF') return `"${name}" is a ${format} file, which this browser cannot decode; save it as JPEG, PNG or WebP`;
  if (format === 'unknown') return `"${name}" is not an image this app knows (its first bytes match no PNG, JPEG, GIF, WebP, BMP, AVIF or SVG header)`;
  if (!endsComplete(format, tail)) return `"${name}" is a truncated ${format}: the file ends before the image does (an interrupted download or copy?)`;
  return null;
}
