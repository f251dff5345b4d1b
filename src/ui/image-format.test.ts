import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredSize, diagnose, endsComplete, sniffFormat } from './image-format';

const bytes = (...parts: (number[] | string)[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const PNG_HEAD = (w: number, h: number) => bytes([0x89], 'PNG\r\n', [0x1a, 0x0a, 0, 0, 0, 13], 'IHDR', [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255, h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255]);
const PNG_TAIL = bytes([0, 0, 0, 0], 'IEND', [0xae, 0x42, 0x60, 0x82]);

describe('sniffFormat', () => {
  it('names formats by their magic bytes', () => {
    expect(sniffFormat(PNG_HEAD(4, 4))).toBe('PNG');
    expect(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('JPEG');
    expect(sniffFormat(bytes([0, 0, 0, 24], 'ftypheic', [0, 0, 0, 0]))).toBe('HEIC');
    expect(sniffFormat(bytes([0, 0, 0, 24], 'ftypavif'))).toBe('AVIF');
    expect(sniffFormat(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBe('WebP');
    expect(sniffFormat(bytes([0xef, 0xbb, 0xbf], '  <?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'))).toBe('SVG');
    expect(sniffFormat(bytes('hello'))).toBe('unknown');
  });
  it('reads a PNG size and checks how files end', () => {
    expect(declaredSize(PNG_HEAD(40000, 30000))).toEqual([40000, 30000]);
    expect(endsComplete('PNG', PNG_TAIL)).toBe(true);
    expect(endsComplete('PNG', PNG_HEAD(4, 4))).toBe(false);
    expect(endsComplete('JPEG', bytes([1, 2, 0xff, 0xd9, 0, 0]))).toBe(true);
    expect(endsComplete('JPEG', bytes([1, 2, 3, 4]))).toBe(false);
  });
});

describe('declaredSize', () => {
  // Files written by PIL (e2e/fixtures/decode-seeds), all 61×37; the JPEG carries EXIF before its frame header.
  const seed = (file: string) => new Uint8Array(readFileSync(path.join(import.meta.dirname, '..', '..', 'e2e', 'fixtures', 'decode-seeds', file)));
  it.each(['seed.png', 'seed.jpg', 'seed.gif', 'seed.webp', 'seed-lossless.webp', 'seed.bmp'])('reads the size %s declares', (file) => {
    expect(declaredSize(seed(file))).toEqual([61, 37]);
  });
  it('gives null where the head stops before the size', () => {
    expect(declaredSize(seed('seed.jpg').subarray(0, 40))).toBeNull();
    expect(declaredSize(seed('seed.png').subarray(0, 20))).toBeNull();
    expect(declaredSize(bytes('hello'))).toBeNull();
  });
});

describe('diagnose', () => {
  it('says what is wrong, specific to the cause', () => {
    expect(diagnose('a.png', 0, new Uint8Array(), new Uint8Array())).toBe('"a.png" is empty (0 bytes)');
    expect(diagnose('a.png', 300 * 2 ** 20, PNG_HEAD(4, 4), PNG_TAIL)).toMatch(/is too large: 300 MB/);
    expect(diagnose('big.png', 1000, PNG_HEAD(40000, 30000), PNG_TAIL)).toMatch(/too large to decode: 40000×30000 pixels \(1200 MP\)/);
    expect(diagnose('p.heic', 1000, bytes([0, 0, 0, 24], 'ftypheic'), new Uint8Array(8))).toMatch(/is a HEIC file, which this browser cannot decode/);
    expect(diagnose('cut.png', 1000, PNG_HEAD(4, 4), PNG_HEAD(4, 4))).toMatch(/is a truncated PNG/);
    expect(diagnose('x.txt', 5, bytes('hello'), bytes('hello'))).toMatch(/is not an image this app knows/);
    expect(diagnose('ok.png', 1000, PNG_HEAD(4, 4), PNG_TAIL)).toBeNull();
    // A GIF's logical screen of 65535×65535 is refused before any decoding.
    expect(diagnose('big.gif', 1000, bytes('GIF89a', [0xff, 0xff, 0xff, 0xff]), bytes([0x3b]))).toMatch(/"big\.gif" is too large to decode: 65535×65535 pixels \(4295 MP\)/);
  });
});
