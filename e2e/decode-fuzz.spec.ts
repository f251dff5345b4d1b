import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import fc from 'fast-check';
import { FUZZ_CASES, FUZZ_SEED, fuzzTimeout, mutatedFile, type Seed } from '../src/test-utils/fuzz';

// The app's own decode path in the browser (decodeImage: the decode Worker's createImageBitmap and
// OffscreenCanvas, the main thread's SVG rasteriser) fed mutated pictures written by PIL
// (e2e/fixtures/decode-seeds, 61×37 each): every case must end, within a time bound, in pixels or
// in an ImageDecodeError whose message names the file. KMAX_FUZZ_CASES cases, KMAX_FUZZ_SEED seed.

const SEEDS_DIR = path.join(import.meta.dirname, 'fixtures', 'decode-seeds');
/** Per case: generous (the machine is shared), but a hang fails. */
const CASE_MS = 10_000;
const BATCH = 25;

/** Offsets of the size and length fields each format's header holds: "huge" mutations aim there half of the time. */
function seed(file: string): Seed {
  const bytes = new Uint8Array(readFileSync(path.join(SEEDS_DIR, file)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: number[] = [];
  if (file.endsWith('.png')) {
    // Every chunk's length, and IHDR's width and height.
    for (let at = 8; at + 8 <= bytes.length; at += 12 + view.getUint32(at)) fields.push(at);
    fields.push(16, 20);
  } else if (file.endsWith('.jpg')) {
    // Every segment's length up to the scan, and the frame's height and width.
    for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff && bytes[at + 1] !== 0xda; at += 2 + view.getUint16(at + 2)) {
      fields.push(at + 2);
      if (bytes[at + 1] >= 0xc0 && bytes[at + 1] <= 0xc3) fields.push(at + 5, at + 7);
    }
  } else if (file.endsWith('.gif')) {
    fields.push(6, 8);
    const descriptor = bytes.indexOf(0x2c, 13);
    if (descriptor > 0) fields.push(descriptor + 5, descriptor + 7);
  } else if (file.endsWith('.webp')) {
    fields.push(4, 16, 26, 28, 21);
  } else if (file.endsWith('.bmp')) {
    fields.push(2, 10, 14, 18, 22, 34);
  }
  return { name: file, bytes, fields };
}

const SEEDS = ['seed.png', 'seed.jpg', 'seed.gif', 'seed.webp', 'seed-lossless.webp', 'seed.bmp'].map(seed);

type Ending = { kind: 'decoded'; width: number; height: number; consistent: boolean; ms: number } | { kind: 'error'; name: string; message: string; ms: number } | { kind: 'timeout'; ms: number };

/** Runs the app's decodeImage on each file in the page, with the time bound. */
async function decodeInPage(page: Page, files: readonly { name: string; base64: string }[]): Promise<Ending[]> {
  return page.evaluate(
    async ({ files, caseMs }) => {
      const hook = window.kmaxLens;
      if (hook === undefined) throw new Error('no debug hook');
      const endings: Ending[] = [];
      for (const file of files) {
        const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
        const started = performance.now();
        let timer = 0;
        const late = new Promise<'late'>((resolve) => (timer = window.setTimeout(() => resolve('late'), caseMs)));
        try {
          const image = await Promise.race([hook.decodeImage(new Blob([bytes]), file.name), late]);
          const ms = performance.now() - started;
          if (image === 'late') endings.push({ kind: 'timeout', ms });
          else {
            const { width, height, data } = image.pixels;
            endings.push({ kind: 'decoded', width, height, consistent: width > 0 && height > 0 && data.length === width * height * 4, ms });
          }
        } catch (error) {
          const e = error instanceof Error ? error : new Error(String(error));
          endings.push({ kind: 'error', name: e.name, message: e.message, ms: performance.now() - started });
        } finally {
          clearTimeout(timer);
        }
      }
      return endings;
    },
    { files, caseMs: CASE_MS },
  );
}

/** A message's kind for the tally: the file name and details in parentheses taken out. */
const messageKind = (message: string) => message.replace(/^"[^"]*" /, '').replace(/ \(.*$|: .*$|;.*$/, '');

async function openApp(page: Page): Promise<void> {
  await page.goto('/?debug&model=tiny&backend=cpu');
  await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
}

test('mutated PNG, JPEG, GIF, WebP and BMP files end in pixels or a typed, readable error, in time', async ({ page }) => {
  test.setTimeout(fuzzTimeout(FUZZ_CASES, 400));
  await openApp(page);
  const cases = fc.sample(mutatedFile(SEEDS), { numRuns: FUZZ_CASES, seed: FUZZ_SEED });
  const tally = new Map<string, number>();
  const started = Date.now();
  let slowest = 0;
  for (let from = 0; from < cases.length; from += BATCH) {
    const batch = cases.slice(from, from + BATCH);
    const names = batch.map((c, i) => `fuzz-${from + i}${path.extname(c.seed)}`);
    const endings = await decodeInPage(page, batch.map((c, i) => ({ name: names[i], base64: Buffer.from(c.bytes).toString('base64') })));
    endings.forEach((ending, i) => {
      const what = `case ${from + i}: ${String(batch[i])}`;
      slowest = Math.max(slowest, ending.ms);
      expect(ending.kind, `${what} did not end within ${CASE_MS} ms`).not.toBe('timeout');
      if (ending.kind === 'decoded') {
        expect(ending.consistent, `${what} decoded to inconsistent pixels`).toBe(true);
        expect(ending.width * ending.height, what).toBeLessThanOrEqual(50_000_000);
      } else if (ending.kind === 'error') {
        expect(`${ending.name}: ${ending.message}`, `${what} ended in an untyped error`).toMatch(/^ImageDecodeError: /);
        // Readable: names the file, says something, no leaked placeholders.
        expect(ending.message, what).toContain(`"${names[i]}"`);
        expect(ending.message, what).not.toMatch(/\bundefined\b|\[object |NaN/);
      }
      const key = ending.kind === 'error' ? messageKind(ending.message) : ending.kind;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    });
  }
  const parts = [...tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
  console.log(`fuzz app decode path (browser): ${cases.length} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${FUZZ_SEED}, slowest case ${Math.round(slowest)} ms), 0 untyped; ${parts.join(', ')}`);
  // Mutations leave some files decodable and break others: both paths were exercised.
  expect(tally.get('decoded') ?? 0).toBeGreaterThan(0);
  expect(cases.length - (tally.get('decoded') ?? 0)).toBeGreaterThan(0);
});

test('the decode path off the main thread: its statuses, its scaling, and each of its messages', async ({ page }) => {
  await openApp(page);
  const outcome = (files: { name: string; base64: string }[]) => decodeInPage(page, files);
  const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');
  // A 6000×4000 photo (made in the page) reports its size while it decodes, in the decode Worker.
  const big = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(6000, 4000);
    const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
    ctx.fillStyle = '#4682b4';
    ctx.fillRect(0, 0, 6000, 4000);
    const statuses: string[] = [];
    const image = await window.kmaxLens!.decodeImage(await canvas.convertToBlob({ type: 'image/jpeg' }), 'photo.jpg', (s) => statuses.push(s));
    return { statuses, width: image.pixels.width, height: image.pixels.height, centre: [...image.pixels.data.subarray(4 * (2000 * 6000 + 3000), 4 * (2000 * 6000 + 3000) + 3)] };
  });
  expect(big.statuses).toEqual(['decoding "photo.jpg" (6000×4000)…']);
  expect([big.width, big.height]).toEqual([6000, 4000]);
  for (const [got, want] of big.centre.map((v, i) => [v, [0x46, 0x82, 0xb4][i]])) expect(Math.abs(got - want)).toBeLessThanOrEqual(2);
  expect(page.workers().map((w) => w.url())).toContainEqual(expect.stringMatching(/decode-image\.worker.*\.js$/));
  // Over 50 MP: decoded at a size within the budget, and the status says so.
  const scaled = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(10000, 6000);
    (canvas.getContext('2d') as OffscreenCanvasRenderingContext2D).fillRect(0, 0, 10, 10);
    const statuses: string[] = [];
    const image = await window.kmaxLens!.decodeImage(await canvas.convertToBlob({ type: 'image/png' }), 'wide.png', (s) => statuses.push(s));
    return { statuses, size: [image.pixels.width, image.pixels.height], from: image.downscaledFrom };
  });
  expect(scaled).toEqual({ statuses: ['decoding "wide.png" (10000×6000)…', 'scaling "wide.png" down from 10000×6000 to 9128×5477…'], size: [9128, 5477], from: [10000, 6000] });

  const png = new Uint8Array(readFileSync(path.join(SEEDS_DIR, 'seed.png')));
  const damaged = png.slice();
  // Bytes inside the compressed pixels (IDAT) overwritten, the end chunk intact.
  damaged.fill(0x55, 45, 70);
  const gif = readFileSync(path.join(SEEDS_DIR, 'seed.gif'));
  const hugeGif = Buffer.from(gif);
  hugeGif.writeUInt16LE(60000, 6);
  hugeGif.writeUInt16LE(60000, 8);
  const cases: [string, Uint8Array | string, RegExp][] = [
    ['empty.png', new Uint8Array(), /^"empty\.png" is empty \(0 bytes\)$/],
    ['cut.jpg', readFileSync(path.join(SEEDS_DIR, 'seed.jpg')).subarray(0, 600), /^"cut\.jpg" is a truncated JPEG: the file ends before the image does/],
    ['damaged.png', damaged, /^"damaged\.png" is a PNG file the browser could not decode \(.+\); it may be damaged$/],
    ['huge.gif', hugeGif, /^"huge\.gif" is too large to decode: 60000×60000 pixels \(3600 MP\), over the 500 MP limit$/],
    ['scan.tiff', new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 0, 0]), /^"scan\.tiff" is a TIFF file, which this browser cannot decode; save it as JPEG, PNG or WebP$/],
    ['notes.txt', 'just some words', /^"notes\.txt" is not an image this app knows/],
    ['broken.svg', '<svg xmlns="http://www.w3.org/2000/svg"><rect', /^"broken\.svg" is an SVG drawing the browser could not render \(is it well-formed XML\?\)$/],
  ];
  const endings = await outcome(cases.map(([name, bytes]) => ({ name, base64: b64(bytes) })));
  endings.forEach((ending, i) => {
    expect(ending.kind === 'error' && ending.name, cases[i][0]).toBe('ImageDecodeError');
    expect(ending.kind === 'error' && ending.message, cases[i][0]).toMatch(cases[i][2]);
  });
  // A file over 256 MB is refused before it is read.
  const tooLarge = await page.evaluate(() => window.kmaxLens!.decodeImage(new Blob([new Uint8Array(257 * 2 ** 20)]), 'dump.bin').catch((e: Error) => `${e.name}: ${e.message}`));
  expect(tooLarge).toBe('ImageDecodeError: "dump.bin" is too large: 257 MB, over the 256 MB limit for a picture');
  // An SVG is rasterised on the page's thread (no SVG decoding in a Worker), at its own size.
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30" fill="#dc143c"/></svg>';
  expect(await outcome([{ name: 'drawing.svg', base64: b64(svg) }])).toMatchObject([{ kind: 'decoded', width: 40, height: 30, consistent: true }]);
});

test.describe('without the decode Worker', () => {
  // Requests a Service Worker answers are not routed: none here.
  test.use({ serviceWorkers: 'block' });

  test('a decode Worker that cannot start fails the picture with a message, and the next picture starts a new one', async ({ page }) => {
    await page.route(/decode-image\.worker-[^/]*\.js$/, (route) => route.abort());
    await openApp(page);
    const png = Buffer.from(readFileSync(path.join(SEEDS_DIR, 'seed.png'))).toString('base64');
    const [ending] = await decodeInPage(page, [{ name: 'first.png', base64: png }]);
    expect(ending).toMatchObject({ kind: 'error', name: 'ImageDecodeError' });
    expect(ending.kind === 'error' && ending.message).toMatch(/^"first\.png" could not be decoded: the picture decoder stopped.*; try again, or a smaller picture$/);
    await page.unroute(/decode-image\.worker-[^/]*\.js$/);
    expect(await decodeInPage(page, [{ name: 'second.png', base64: png }])).toMatchObject([{ kind: 'decoded', width: 61, height: 37, consistent: true }]);
  });
});
