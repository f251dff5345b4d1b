import { describe, expect, it } from 'vitest';
import { diagnose, endsComplete, pngSize, sniffFormat } from './image-format';

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
    expect(pngSize(PNG_HEAD(40000, 30000))).toEqual([40000, 30000]);
    expect(endsComplete('PNG', PNG_TAIL)).toBe(true);
    expect(endsComplete('PNG', PNG_HEAD(4, 4))).toBe(false);
    expect(endsComplete('JPEG', bytes([1, 2, 0xff, 0xd9, 0, 0]))).toBe(true);
    expect(endsComplete('JPEG', bytes([1, 2, 3, 4]))).toBe(false);
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
  });
});
