import CRC32 from 'crc-32';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { applyOrientation, decodeImage, encodePng, ImageDecodeError } from './image-io';

const PNG_BYTES = new Uint8Array(readFileSync('training/fixtures/test-image.png'));

describe('decodeImage', () => {
  it('decodes the fixture PNG', async () => {
    const image = await decodeImage(PNG_BYTES, 'test-image.png');
    expect([image.width, image.height, image.channels]).toEqual([150, 96, 4]);
  });

  it('rejects an empty file', async () => {
    await expect(decodeImage(new Uint8Array(), 'empty.png')).rejects.toThrow(new ImageDecodeError('empty.png is empty (0 bytes)'));
  });

  it('rejects a file that is not an image', async () => {
    await expect(decodeImage(new TextEncoder().encode('hello, world'), 'notes.txt')).rejects.toThrow(/notes.txt is not a PNG or JPEG image/);
  });

  it('rejects a truncated PNG', async () => {
    await expect(decodeImage(PNG_BYTES.subarray(0, 200), 'cut.png')).rejects.toThrow(/cut.png is a broken PNG/);
  });

  it('checks the size a PNG header declares against the data present before decoding (a fuzz case)', async () => {
    const withSize = (width: number, height: number) => {
      const bytes = PNG_BYTES.slice();
      const view = new DataView(bytes.buffer);
      view.setUint32(16, width);
      view.setUint32(20, height);
      view.setUint32(29, CRC32.buf(bytes.subarray(12, 29)) >>> 0);
      return bytes;
    };
    // 9000 x 9000 behind a valid CRC: before, pngjs and zlib allocated for it (4 GB RSS) before failing.
    await expect(decodeImage(withSize(9000, 9000), 'big.png')).rejects.toThrow(
      /big.png is a broken PNG: its header declares 9000x9000 pixels, but it holds only \d+ bytes of image data/,
    );
    await expect(decodeImage(withSize(20000, 20000), 'huge.png')).rejects.toThrow(/huge.png is 20000x20000 \(400 MP\); the limit is 100 MP/);
  });

  it('a decoder crash inside a damaged JPEG reads as damage, not as a JavaScript error (a fuzz case)', async () => {
    const bytes = new Uint8Array(readFileSync('e2e/fixtures/exif-orientation-6.jpg'));
    bytes.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 647);
    await expect(decodeImage(bytes, 'bad.jpg')).rejects.toThrow(new ImageDecodeError('bad.jpg is a broken JPEG: its data is damaged or truncated'));
  });

  it('checks the frame a JPEG declares against its bytes before decoding (a fuzz case)', async () => {
    const encoded = new Uint8Array(jpeg.encode({ data: new Uint8Array(64 * 64 * 4).fill(90), width: 64, height: 64 }, 90).data);
    const sof = encoded.findIndex((b, i) => b === 0xff && encoded[i + 1] === 0xc0);
    const withSize = (width: number, height: number) => {
      const bytes = encoded.slice();
      const view = new DataView(bytes.buffer);
      view.setUint16(sof + 5, height);
      view.setUint16(sof + 7, width);
      return bytes;
    };
    // Before, jpeg-js allocated the declared frame and took seconds to find the scans missing.
    await expect(decodeImage(withSize(4000, 3000), 'big.jpg')).rejects.toThrow(
      new ImageDecodeError(`big.jpg is a broken JPEG: its header declares 4000x3000 pixels, more than its ${encoded.byteLength} bytes can hold (truncated or damaged?)`),
    );
    expect((await decodeImage(withSize(64, 64), 'same.jpg')).width).toBe(64);
  });

  it('rejects a broken JPEG', async () => {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(decodeImage(bytes, 'bad.jpg')).rejects.toThrow(/bad.jpg is a broken JPEG/);
  });

  it('decodes a JPEG', async () => {
    const data = new Uint8Array(8 * 4 * 4).fill(200);
    const encoded = jpeg.encode({ data, width: 8, height: 4 }, 95);
    const image = await decodeImage(new Uint8Array(encoded.data), 'x.jpg');
    expect([image.width, image.height]).toEqual([8, 4]);
    expect(Math.abs(image.data[0] - 200)).toBeLessThanOrEqual(2);
  });

  it('round-trips through encodePng', async () => {
    const image = await decodeImage(PNG_BYTES, 'a.png');
    const again = await decodeImage(encodePng(image), 'b.png');
    expect(Buffer.from(again.data).equals(Buffer.from(image.data))).toBe(true);
  });
});

describe('applyOrientation', () => {
  // 3 wide x 2 high, one channel value per pixel: 0 1 2 / 3 4 5.
  const image = { width: 3, height: 2, channels: 3 as const, data: Uint8Array.from([0, 1, 2, 3, 4, 5].flatMap((v) => [v, v, v])) };
  const firstChannel = (o: number) => Array.from(applyOrientation(image, o).data.filter((_, i) => i % 3 === 0));

  it('rotates 90 degrees clockwise for orientation 6', () => {
    const out = applyOrientation(image, 6);
    expect([out.width, out.height]).toEqual([2, 3]);
    expect(firstChannel(6)).toEqual([3, 0, 4, 1, 5, 2]);
  });

  it('rotates 180 degrees for orientation 3 and counter-clockwise for 8', () => {
    expect(firstChannel(3)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(firstChannel(8)).toEqual([2, 5, 1, 4, 0, 3]);
  });

  it('mirrors for orientation 2', () => {
    expect(firstChannel(2)).toEqual([2, 1, 0, 5, 4, 3]);
  });
});
