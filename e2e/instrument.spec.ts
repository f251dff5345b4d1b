import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { canvasPoint, download, dropImage, panopticIds } from './page-helpers';
import { SCREENSHOTS_DIR } from './paths';

// The shipped demo model and its samples (synthetic-1.png opens on load). On wasm: on this shared
// 2-core machine the demo model's SwiftShader warm-up did not get past the pixel decoder in 3 minutes
// (load average 10-12); the WebGPU checks of the same views run on the tiny model (app.spec.ts).
const DEMO = '/?debug&model=demo&backend=wasm';
const BRICK: readonly number[] = [150, 100, 100];

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`) });
}

/** Opens the app on the demo model and waits for the first sample, which opens by itself. */
/** Where the sticky header ends, in viewport pixels. */
async function bottomOfHeader(page: Page): Promise<number> {
  const header = (await page.getByRole('banner').boundingBox())!;
  return header.y + header.height;
}

async function openDemo(page: Page, url = DEMO): Promise<void> {
  await page.goto(url);
  await expect(page.locator('figure[data-result-for="synthetic-1.png"]')).toBeVisible({ timeout: 180_000 });
  await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
}

/** RGBA pixels of the main view's picture (the canvas inside the figure "Main view"). */
async function mainPixels(page: Page): Promise<{ width: number; height: number; data: number[] }> {
  return page.getByRole('figure', { name: 'Main view' }).locator('canvas').first().evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
    return { width: canvas.width, height: canvas.height, data: [...data] };
  });
}

const colourAt = (pixels: { data: number[] }, p: number) => pixels.data.slice(p * 4, p * 4 + 3);

test.describe('the app as an instrument (demo model)', () => {
  test('the layer drives the main view, the filmstrip shows every layer, traced colours keep the brick wall one colour', async ({ page }) => {
    // Every text the "Warm-up" bar takes, recorded as the page changes it (the warm-up may be over before a poll).
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { warmUpTexts: string[] }).warmUpTexts = seen;
      new MutationObserver(() => {
        const bar = document.querySelector('[role="status"] progress[aria-label="Warm-up"]');
        const text = bar?.getAttribute('aria-valuetext');
        if (text != null && seen[seen.length - 1] !== text) seen.push(text);
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    await openDemo(page);
    const warmUp = await page.evaluate(() => (window as unknown as { warmUpTexts: string[] }).warmUpTexts);
    // The demo model's 9 stages (backbone, pixel decoder, 6 kMaX layers, final head), each named while it compiles, with an estimate once one is done.
    expect(warmUp[0]).toBe('warming up shaders: compiling backbone (0 of 9 done)');
    expect(warmUp).toContainEqual(expect.stringMatching(/^warming up shaders: compiling pixel decoder \(1 of 9 done, about \d+ (s|min) left\)$/));
    expect(warmUp).toContainEqual(expect.stringMatching(/^warming up shaders: compiling kmax layer 6 \(7 of 9 done, about \d+ (s|min) left\)$/));
    await expect(page.getByRole('progressbar', { name: 'Warm-up' })).toHaveCount(0);
    const status = page.getByRole('status', { name: 'Engine status' });
    // `?backend=wasm` runs on wasm, and the status says it was asked for.
    await expect(status).toHaveAttribute('data-backend', 'wasm');
    await expect(status).toContainText('Why wasm: asked for by name (wasm)');
    await expect(page.getByRole('combobox', { name: 'Backend' })).toHaveValue('wasm');
    await expect(page.getByRole('note', { name: 'About the demo model' })).toContainText('synthetic shapes only');
    const strip = page.getByRole('list', { name: 'Layers' });
    await expect(strip.getByRole('listitem')).toHaveCount(7);
    const names = await strip.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? ''));
    expect(names).toHaveLength(7);
    // The sample ships its ground truth (models/demo/samples/panoptic.json), so each label gives the layer's covering of it.
    names.forEach((name, i) => expect(name).toMatch(i < 6 ? new RegExp(`^Layer ${i + 1}: stride \\d+ · \\d+ clusters · covers \\d+% of the ground truth$`) : /^Final: stride 4 · \d+ segments · covers \d+% of the ground truth$/));
    // The numbers `kmax eval --model models/demo --images models/demo/samples --limit 1` gives for this picture (49.4 ... 90.7%).
    expect(names[0]).toMatch(/covers 49% of the ground truth$/);
    expect(names[6]).toMatch(/covers 91% of the ground truth$/);

    // Opacity 1 without contours: every pixel is its cluster's (or segment's) colour.
    await page.getByRole('slider', { name: 'Overlay opacity' }).fill('1');
    await page.getByRole('checkbox', { name: 'Contours' }).uncheck();
    const slider = page.getByRole('slider', { name: 'Decoder layer' });
    // The colours below are traced segments, the default colouring.
    await expect(page.getByRole('radiogroup', { name: 'Colour clusters by' }).getByRole('radio', { name: 'traced segment' })).toBeChecked();
    const views: { width: number; height: number; data: number[] }[] = [];
    for (let layer = 1; layer <= 7; layer++) {
      await slider.fill(String(layer));
      await expect(page.getByRole('figure', { name: 'Main view' })).toHaveAttribute('data-layer', String(layer - 1));
      await expect(strip.getByRole('button', { pressed: true })).toHaveAttribute('aria-label', layer === 7 ? /^Final/ : new RegExp(`^Layer ${layer}:`));
      const pixels = await mainPixels(page);
      if (views.length > 0) expect(pixels.data, `layer ${layer} looks like layer ${layer - 1}`).not.toEqual(views[views.length - 1].data);
      views.push(pixels);
      if (layer === 3) await shot(page, 'instrument-layer-3');
    }
    await shot(page, 'instrument-final');

    // The wall: pixels in the brick colour at Final; with traced colours they keep it in layers 3 to 6.
    const final = views[6];
    const wall = Array.from({ length: final.width * final.height }, (_, p) => p).filter((p) => colourAt(final, p).join() === BRICK.join());
    expect(wall.length).toBeGreaterThan(final.width * final.height * 0.2);
    const dominant = (view: { data: number[] }) => {
      const counts = new Map<string, number>();
      for (const p of wall) counts.set(colourAt(view, p).join(), (counts.get(colourAt(view, p).join()) ?? 0) + 1);
      const [colour, n] = [...counts].sort((a, b) => b[1] - a[1])[0];
      return { colour, share: n / wall.length };
    };
    // The wall is drawn in the brick colour at every layer from 3 on; what is left of it lies in cells at
    // stride 16 or 8 that the coarser map gives to the objects in front of it.
    const shares: number[] = [];
    for (let layer = 3; layer <= 6; layer++) {
      const { colour, share } = dominant(views[layer - 1]);
      expect(colour, `layer ${layer}: the wall's colour`).toBe(BRICK.join());
      expect(share, `layer ${layer}: wall in the brick colour`).toBeGreaterThan(0.8);
      shares.push(share);
    }
    console.log(`share of the final wall drawn in the brick colour, layers 3-6: ${shares.map((v) => v.toFixed(3)).join(' ')}`);

    // By cluster slot the same wall changes colour between layers (slots 8, 6, 6 at layers 3 to 5): that is what tracing fixes.
    await page.getByRole('radio', { name: 'cluster slot' }).check();
    const slotColours: string[] = [];
    for (const layer of [3, 4, 5]) {
      await slider.fill(String(layer));
      await expect(page.getByRole('figure', { name: 'Main view' })).toHaveAttribute('data-layer', String(layer - 1));
      slotColours.push(dominant(await mainPixels(page)).colour);
    }
    expect(new Set(slotColours).size, `wall colours by slot: ${slotColours.join(' | ')}`).toBeGreaterThan(1);
    await page.getByRole('radio', { name: 'traced segment' }).check();

    // Following: clicking the wall at layer 3 selects its slot; "this slot" says when the slot changes object.
    await slider.fill('3');
    // A wall pixel well inside the wall's cells at layer 3 (brick colour all around it).
    const third = views[2];
    const inside = wall.find((p) => {
      const [x, y] = [p % third.width, Math.floor(p / third.width)];
      for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) if (colourAt(third, Math.min(third.width * third.height - 1, Math.max(0, (y + dy) * third.width + x + dx))).join() !== BRICK.join()) return false;
      return true;
    });
    expect(inside).toBeDefined();
    const point = await canvasPoint(page, 'Cluster assignment', (inside as number) % third.width, Math.floor((inside as number) / third.width));
    await page.mouse.click(point.x, point.y);
    await expect(page.getByRole('radiogroup', { name: 'Follow' })).toBeVisible();
    await page.getByRole('radio', { name: /^this slot/ }).check();
    await expect(page.getByRole('note').filter({ hasText: /^Slot \d+ changes object/ })).toBeVisible();
    await page.getByRole('radio', { name: /^this object/ }).check();
    await page.getByRole('heading', { name: 'Stage explorer' }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot(page, 'instrument-explorer');
  });

  test('semantic only re-post-processes in the worker: no segment request, its time shown; void is marked', async ({ page }) => {
    await openDemo(page);
    await page.getByRole('slider', { name: 'Decoder layer' }).fill('7');
    await page.getByRole('slider', { name: 'Overlay opacity' }).fill('0');
    await page.getByRole('checkbox', { name: 'Contours' }).uncheck();
    // Void pixels (id 0 in the exported panoptic PNG) never show the photo, even at opacity 0.
    const ids = panopticIds(PNG.sync.read((await download(page, 'Download panoptic PNG')).bytes));
    const voidPixels = ids.flatMap((id, p) => (id === 0 ? [p] : []));
    expect(voidPixels.length).toBeGreaterThan(0);
    const view = await mainPixels(page);
    const photo = await page.evaluate(async () => {
      const bitmap = await createImageBitmap(await (await fetch('/models/demo/samples/synthetic-1.png')).blob());
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
      ctx.drawImage(bitmap, 0, 0);
      return [...ctx.getImageData(0, 0, bitmap.width, bitmap.height).data];
    });
    expect(view.data.length).toBe(photo.length);
    for (const p of voidPixels) expect(colourAt(view, p), `void pixel ${p}`).not.toEqual(photo.slice(p * 4, p * 4 + 3));
    const segmentPixels = ids.flatMap((id, p) => (id !== 0 ? [p] : []));
    expect(segmentPixels.every((p) => colourAt(view, p).join() === photo.slice(p * 4, p * 4 + 3).join())).toBe(true);

    const before = await page.evaluate(() => window.kmaxLens?.sentRequests() ?? []);
    await page.getByRole('radio', { name: 'semantic only' }).check();
    await expect(page.getByRole('figure', { name: 'Main view' })).toHaveAttribute('data-view', 'semantic');
    await expect(page.getByRole('figure', { name: 'Main view' })).toContainText('Final: semantic result');
    await expect(page.getByRole('list', { name: 'Segments' })).toContainText('brick');
    const time = page.locator('.rethreshold-time');
    await expect(time).toContainText(/re-thresholded in \d+ ms/);
    const ms = Number(/in (\d+) ms/.exec((await time.textContent()) ?? '')?.[1]);
    // Reported, not asserted: timings belong to the benchmark (issue 14); the request log below is the guarantee.
    console.log(`semantic view re-post-processed in ${ms} ms of worker time`);
    const after = await page.evaluate(() => window.kmaxLens?.sentRequests() ?? []);
    expect(after.slice(before.length)).toEqual(['postprocess']);
    await page.getByRole('slider', { name: 'Overlay opacity' }).fill('0.6');
    await shot(page, 'instrument-semantic');
  });

  test('on a phone (390x844) the picture and status come first, and choosing a sample brings its result into view', async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await openDemo(page);
    await shot(page, 'phone-main');
    await expect(page.getByRole('figure', { name: 'Main view' }).locator('canvas').first()).toBeInViewport();
    // "Colour by" wraps: every choice, its label included, lies within the phone's width.
    const colourBy = page.getByRole('radiogroup', { name: 'Colour clusters by' });
    await colourBy.scrollIntoViewIfNeeded();
    const choices = colourBy.locator('label');
    expect(await choices.count()).toBeGreaterThan(1);
    for (const choice of await choices.all()) {
      const box = await choice.boundingBox();
      expect(box, await choice.innerText()).not.toBeNull();
      expect(box!.x, await choice.innerText()).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, await choice.innerText()).toBeLessThanOrEqual(390);
      await expect(choice.getByRole('radio')).toBeInViewport();
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.evaluate(() => window.scrollTo(0, 0));
    const sample = page.getByRole('group', { name: 'Sample images' }).getByRole('button', { name: 'Synthetic 2' });
    await sample.scrollIntoViewIfNeeded();
    await expect(page.getByRole('figure', { name: 'Main view' }).locator('canvas').first()).not.toBeInViewport();
    await sample.click();
    await expect(page.locator('figure[data-result-for="synthetic-2.png"]')).toBeVisible();
    const canvas = page.getByRole('figure', { name: 'Main view' }).locator('canvas').first();
    await expect(canvas).toBeInViewport({ ratio: 0.9 });
    expect((await page.getByRole('figure', { name: 'Main view' }).boundingBox())!.y).toBeGreaterThanOrEqual(await bottomOfHeader(page));
    // The status stays in sight (sticky header).
    await expect(page.getByRole('status', { name: 'Engine status' })).toBeInViewport();
    await shot(page, 'phone-after-sample');

    // Each main view on the phone, as at 1280x800: a layer's clusters, the semantic view, the stage explorer, Compare.
    const view = page.getByRole('figure', { name: 'Main view' });
    await page.getByRole('slider', { name: 'Decoder layer' }).fill('3');
    await expect(view).toHaveAttribute('data-layer', '2');
    await view.scrollIntoViewIfNeeded();
    await shot(page, 'phone-layer-3');
    await page.getByRole('slider', { name: 'Decoder layer' }).fill('7');
    await page.getByRole('radio', { name: 'semantic only' }).check();
    await expect(view).toHaveAttribute('data-view', 'semantic');
    await view.scrollIntoViewIfNeeded();
    await shot(page, 'phone-semantic');
    await page.getByRole('radio', { name: 'panoptic' }).check();
    await page.getByRole('region', { name: 'Stage explorer' }).scrollIntoViewIfNeeded();
    await shot(page, 'phone-stage-explorer');
    await page.getByRole('radiogroup', { name: 'Attention' }).getByRole('radio', { name: 'softmax', exact: true }).check();
    await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const comparison = page.getByRole('region', { name: /^Comparison: argmax vs softmax/ });
    await expect(comparison).toBeVisible();
    // Scrolled to its start, the panel's title lands below the sticky header (three rows here), not under it.
    const title = comparison.getByRole('heading', { level: 2 });
    await title.evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await expect(title).toBeInViewport();
    expect((await title.boundingBox())!.y).toBeGreaterThanOrEqual(await bottomOfHeader(page));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-compare');
    await context.close();
  });
});

test('on a software (fallback) WebGPU adapter the automatic choice is measured, and webgpu only if it was faster', async ({ page }) => {
  await page.goto('/?debug&model=tiny');
  const status = page.getByRole('status', { name: 'Engine status' });
  await expect(status).toHaveAttribute('data-status', 'ready', { timeout: 180_000 });
  const reason = (await status.locator('.backend-reason').textContent()) ?? '';
  console.log(reason);
  expect(reason).toMatch(/the WebGPU adapter \(google swiftshader\) is a software \(fallback\) adapter, so the backends were measured: /);
  const times = new Map([...reason.matchAll(/(webgpu|webgl|wasm) ([\d.]+) ms/g)].map((m) => [m[1], Number(m[2])]));
  const chosen = await status.getAttribute('data-backend');
  expect(times.has('webgpu')).toBe(true);
  expect(chosen).not.toBeNull();
  // The choice is the fastest measured: not webgpu unless it measured faster than every other.
  expect(times.get(chosen as string)).toBe(Math.min(...times.values()));
  if (chosen === 'webgpu') expect(Math.min(...[...times].filter(([b]) => b !== 'webgpu').map(([, t]) => t))).toBeGreaterThan(times.get('webgpu') as number);
  // The measurement is kept: a reload reuses it.
  await page.reload();
  await expect(status.locator('.backend-reason')).toContainText('measured earlier on it');
});

test('on a cross-origin isolated page wasm runs one thread per core, says how many, and segments as one thread does', async ({ page }) => {
  await openDemo(page);
  const cores = await page.evaluate(() => (crossOriginIsolated ? navigator.hardwareConcurrency : 0));
  // vite preview sends COOP/COEP; this machine has 2 cores.
  expect(cores).toBeGreaterThan(1);
  const status = page.getByRole('status', { name: 'Engine status' });
  await expect(status).toHaveAttribute('data-backend', 'wasm');
  // One per logical core, up to the 8 pthread Workers tfjs-backend-wasm's build pre-creates.
  await expect(status.locator('p').first()).toContainText(`wasm, ${Math.min(cores, 8)} threads`);
  const threaded = PNG.sync.read((await download(page, 'Download panoptic PNG')).bytes);
  // The same picture through the CLI: Node's tfjs-backend-wasm, one thread.
  const out = mkdtempSync(path.join(os.tmpdir(), 'kmax-one-thread-'));
  const root = path.join(import.meta.dirname, '..');
  execFileSync('node', ['bin/kmax.mjs', 'segment', 'models/demo/samples/synthetic-1.png', '--model', 'models/demo', '--backend', 'wasm', '--threads', '1', '--out', out], { cwd: root, stdio: 'pipe' });
  const single = PNG.sync.read(readFileSync(path.join(out, 'panoptic.png')));
  expect([threaded.width, threaded.height]).toEqual([single.width, single.height]);
  const ids = panopticIds(threaded);
  const reference = panopticIds(single);
  expect(new Set(ids).size).toBeGreaterThan(2);
  expect(ids.filter((id, p) => id !== reference[p]).length).toBe(0);
});

test('every picture problem gets its own message where the picture was given (the picker, or above the main view for a drop); an SVG is rasterised and segmented; a large photo decodes in the decode Worker with its status', async ({ page }) => {
  // Every text the "Picture decoding" status takes (a small picture decodes before a poll would see it).
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { decodeTexts: string[] }).decodeTexts = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[role="status"][aria-label="Picture decoding"]')?.textContent;
      if (text != null && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await openDemo(page);
  const picker = page.getByLabel('Image', { exact: true });
  const problem = page.getByRole('region', { name: 'Picture' }).getByRole('alert', { name: 'Picture problem' });
  const sample = readFileSync(path.join(import.meta.dirname, '..', 'models', 'demo', 'samples', 'synthetic-2.png'));
  const pngHeader = (w: number, h: number) => {
    const head = Buffer.from(sample.subarray(0, 33));
    head.writeUInt32BE(w, 16);
    head.writeUInt32BE(h, 20);
    return Buffer.concat([head, sample.subarray(sample.length - 12)]);
  };
  const cases: [string, string, Buffer, RegExp][] = [
    ['empty.png', 'image/png', Buffer.alloc(0), /^"empty\.png" is empty \(0 bytes\)$/],
    ['cut.png', 'image/png', sample.subarray(0, Math.floor(sample.length / 2)), /^"cut\.png" is a truncated PNG: the file ends before the image does/],
    ['photo.heic', 'image/heic', Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64)]), /^"photo\.heic" is a HEIC file, which this browser cannot decode/],
    ['huge.png', 'image/png', pngHeader(40000, 30000), /^"huge\.png" is too large to decode: 40000×30000 pixels \(1200 MP\)/],
    ['notes.txt', 'text/plain', Buffer.from('just some words'), /^"notes\.txt" is not an image this app knows/],
  ];
  for (const [name, mimeType, buffer, message] of cases) {
    await picker.setInputFiles({ name, mimeType, buffer });
    await expect(problem).toHaveText(message);
    // The picture and its result stay.
    await expect(page.locator('figure[data-result-for="synthetic-1.png"]')).toBeVisible();
  }
  await shot(page, 'picture-problem');
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="129" height="129"><rect width="129" height="60" fill="#4682b4"/><rect y="60" width="129" height="69" fill="#6b8e23"/><circle cx="64" cy="80" r="20" fill="#dc143c"/></svg>';
  await picker.setInputFiles({ name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
  await expect(page.locator('figure[data-result-for="drawing.svg"]')).toBeVisible();
  await expect(problem).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Segments' }).getByRole('listitem').first()).toBeVisible();
  // The status next to the picker said what was being decoded (the first sample, fetched; the drawing), and is gone.
  const statuses = await page.evaluate(() => (window as unknown as { decodeTexts: string[] }).decodeTexts);
  expect(statuses).toContain('decoding "synthetic-1.png" (129×129)…');
  expect(statuses).toContain('rendering the drawing "drawing.svg"…');
  await expect(page.getByRole('status', { name: 'Picture decoding' })).toHaveCount(0);

  // A picture dropped on the page is answered above the main view, where it landed, not in the panel.
  await dropImage(page, sample.subarray(0, Math.floor(sample.length / 2)), 'dropped.png');
  const dropped = page.getByRole('main').getByRole('alert', { name: 'Picture problem' });
  await expect(dropped).toHaveText(/^"dropped\.png" is a truncated PNG/);
  await expect(problem).toHaveCount(0);
  await expect(dropped).toBeInViewport();
  const [alertBox, viewBox] = await Promise.all([dropped.boundingBox(), page.getByRole('figure', { name: 'Main view' }).boundingBox()]);
  expect(alertBox !== null && viewBox !== null && alertBox.y + alertBox.height <= viewBox.y).toBe(true);
  await expect(page.locator('figure[data-result-for="drawing.svg"]')).toBeVisible();
  // The next picture from the panel clears it.
  await page.getByRole('group', { name: 'Sample images' }).getByRole('button', { name: 'Synthetic 1' }).click();
  await expect(page.locator('figure[data-result-for="synthetic-1.png"]')).toBeVisible();
  await expect(page.getByRole('alert', { name: 'Picture problem' })).toHaveCount(0);

  // A large photo (6000×4000, made in the page) is decoded in the decode Worker, the status next to the picker saying so meanwhile.
  const photo = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(6000, 4000);
    const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
    ctx.fillStyle = '#4682b4';
    ctx.fillRect(0, 0, 6000, 4000);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg' })).arrayBuffer());
    return Array.from(bytes, (b) => String.fromCharCode(b)).join('');
  });
  await picker.setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(photo, 'latin1') });
  await expect(page.locator('figure[data-result-for="photo.jpg"]')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByRole('figure', { name: 'Main view' })).toContainText('photo.jpg · 6000×4000');
  expect(await page.evaluate(() => (window as unknown as { decodeTexts: string[] }).decodeTexts)).toContain('decoding "photo.jpg" (6000×4000)…');
  expect(page.workers().map((w) => w.url())).toContainEqual(expect.stringMatching(/decode-image\.worker.*\.js$/));
});

test('while a new picture is segmented, the result on show is marked as the previous picture\'s', async ({ page }) => {
  // Every marking the page shows, recorded as it changes (a run on the demo model is over before a poll would see it).
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { staleTexts: string[] }).staleTexts = seen;
    new MutationObserver(() => {
      for (const element of document.querySelectorAll('.stale-note, #filmstrip-title, #segments-title')) {
        const text = element.textContent ?? '';
        if (text.includes('previous') && !seen.includes(text)) seen.push(text);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await openDemo(page);
  await page.getByRole('group', { name: 'Sample images' }).getByRole('button', { name: 'Synthetic 2' }).click();
  await expect(page.locator('figure[data-result-for="synthetic-2.png"]')).toBeVisible();
  const marks = await page.evaluate(() => (window as unknown as { staleTexts: string[] }).staleTexts);
  expect(marks).toEqual(expect.arrayContaining(['Segmenting this picture; the result below is for the previous one · ', 'Layers (previous picture)', 'Segments (previous picture)']));
  // With the new result on show the marks are gone.
  await expect(page.getByRole('heading', { name: 'Layers', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Segments', exact: true })).toBeVisible();
  await expect(page.getByRole('figure', { name: 'Main view' })).not.toContainText('previous');
});
