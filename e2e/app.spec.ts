import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { expect, test } from './app-fixture';
import { voidMark } from '../src/viz/panoptic-overlay';
import { canvasPixels, canvasPoint, download, dropImage, panopticIds, pasteImage, sampleBytes } from './page-helpers';

test.describe('on WebGPU (SwiftShader) with a tiny model', () => {
  test('runs on webgpu and segments a sample, an upload, a paste, a drop and a webcam still', async ({ app }) => {
    const { page } = app;
    const status = page.getByRole('status', { name: 'Engine status' });
    await expect(status).toHaveAttribute('data-backend', 'webgpu');
    await expect(status).toContainText('Backend: webgpu');
    await expect(page.getByRole('combobox', { name: 'Model' })).toHaveValue('tiny');
    const model = page.getByRole('region', { name: 'Model', exact: true });
    await expect(model).toContainText('tiny (e2e)');
    await expect(model).toContainText('K=24');
    await expect(model).toContainText(/\d+ classes \(coco/);
    await expect(model).toContainText(/\d+(\.\d)? MB/);

    // A reload shows the shader warm-up stage by stage before the engine is ready.
    await page.reload();
    await expect(status).toContainText(/warming up shaders: compiling .+ \(\d of \d+ done/);
    await expect(status).toHaveAttribute('data-status', 'ready');

    await page.getByRole('group', { name: 'Sample images' }).getByRole('button', { name: 'Street' }).click();
    await expect(status).toContainText(/segmenting: .+ done \(\d of \d+\)/);
    await app.waitForResult('street.png');
    await expect(page.getByLabel('Stage timings')).toContainText(/backbone \d+ ms/);
    await expect(page.getByRole('list', { name: 'Segments' }).getByRole('listitem').first()).toBeVisible();
    await app.screenshot('main-view');

    await page.getByLabel('Image', { exact: true }).setInputFiles({ name: 'uploaded.png', mimeType: 'image/png', buffer: sampleBytes('room.png') });
    await app.waitForResult('uploaded.png');
    await pasteImage(page, sampleBytes('shapes.png'), 'pasted.png');
    await app.waitForResult('pasted.png');
    await dropImage(page, sampleBytes('street.png'), 'dropped.png');
    await app.waitForResult('dropped.png');
    await expect(page.getByRole('img', { name: 'Panoptic overlay' })).toBeVisible();
    console.log(`segmentation of a 320x240 picture: ${await page.locator('.timings').textContent()}`);

    // Stored 320x240 with EXIF orientation 6: shown (and segmented) upright, 240 wide.
    const exif = readFileSync(path.join(import.meta.dirname, 'fixtures', 'exif-orientation-6.jpg'));
    await page.getByLabel('Image', { exact: true }).setInputFiles({ name: 'exif-orientation-6.jpg', mimeType: 'image/jpeg', buffer: exif });
    await app.waitForResult('exif-orientation-6.jpg');
    await expect(page.locator('figure.overlay figcaption')).toContainText('240×320');

    // Chromium's fake camera (launch flags) stands in for a webcam.
    await page.getByRole('button', { name: 'Use webcam' }).click();
    await page.getByRole('button', { name: 'Take still' }).click();
    await app.waitForResult('webcam still');
  });

  test('draws the overlay pixel for pixel from the engine output, and exports valid files', async ({ app }) => {
    const { page } = app;
    await app.openSample('Shapes');
    await page.getByRole('slider', { name: 'Overlay opacity' }).fill('1');
    await page.getByRole('checkbox', { name: 'Contours' }).uncheck();

    const png = PNG.sync.read((await download(page, 'Download panoptic PNG')).bytes);
    const json = JSON.parse((await download(page, 'Download segments JSON')).bytes.toString('utf8')) as {
      file_name: string;
      segments_info: { id: number; category_id: number; area: number; color: [number, number, number] }[];
    };
    const photo = PNG.sync.read(sampleBytes('shapes.png'));
    expect([png.width, png.height]).toEqual([photo.width, photo.height]);
    const ids = Array.from({ length: png.width * png.height }, (_, p) => png.data[p * 4] + 256 * png.data[p * 4 + 1] + 65536 * png.data[p * 4 + 2]);

    // The PNG decodes to exactly the segment ids the JSON lists, with the areas it states.
    const listed = new Map(json.segments_info.map((s) => [s.id, s]));
    const counted = new Map<number, number>();
    for (const id of ids) if (id !== 0) counted.set(id, (counted.get(id) ?? 0) + 1);
    expect(json.segments_info.length).toBeGreaterThan(0);
    expect([...counted.keys()].sort((a, b) => a - b)).toEqual([...listed.keys()].sort((a, b) => a - b));
    for (const [id, area] of counted) expect(listed.get(id)?.area).toBe(area);

    // At opacity 1 without contours, every pixel is its segment's colour, and void is the photo marked (hatched).
    const canvas = await canvasPixels(page, 'Panoptic overlay');
    expect([canvas.width, canvas.height]).toEqual([photo.width, photo.height]);
    let mismatches = 0;
    for (let p = 0; p < ids.length; p++) {
      const marked = new Uint8ClampedArray(4);
      voidMark(marked, 0, photo.data, p * 4, p % photo.width, Math.floor(p / photo.width));
      const expected = ids[p] === 0 ? [...marked.subarray(0, 3)] : (listed.get(ids[p])?.color ?? [-1, -1, -1]);
      if (expected.some((v, c) => canvas.data[p * 4 + c] !== v)) mismatches++;
    }
    expect(mismatches).toBe(0);
    const overlayPng = PNG.sync.read((await download(page, 'Download overlay PNG')).bytes);
    expect([overlayPng.width, overlayPng.height]).toEqual([photo.width, photo.height]);
    expect(overlayPng.data.equals(Buffer.from(canvas.data))).toBe(true);
    await app.screenshot('overlay-opaque');
  });

  test('stage explorer: every layer differs from the previous one; clusters can be followed', async ({ app }) => {
    const { page } = app;
    await app.openSample('Street');
    console.log(`stage timings: ${await page.locator('.timings').textContent()}`);
    const slider = page.getByRole('slider', { name: 'Decoder layer' });
    let previous: string | undefined;
    for (let layer = 1; layer <= 7; layer++) {
      await slider.fill(String(layer));
      await expect(slider).toHaveAttribute('aria-valuetext', layer === 7 ? 'Final' : `Layer ${layer}`);
      // The layer drives the main view: that layer's assignment, then the panoptic result.
      const pixels = await canvasPixels(page, layer === 7 ? 'Panoptic overlay' : 'Cluster assignment');
      const signature = `${pixels.width}x${pixels.height}:${pixels.data.join(',')}`;
      expect(pixels.width * pixels.height).toBeGreaterThan(1);
      expect(signature, `layer ${layer} equals layer ${layer - 1}`).not.toBe(previous);
      previous = signature;
    }
    await page.getByRole('button', { name: 'Previous layer' }).click();
    await expect(slider).toHaveValue('6');
    await page.getByRole('button', { name: 'Next layer' }).click();
    await expect(slider).toHaveValue('7');
    await expect(page.getByRole('list', { name: 'Layers' }).getByRole('listitem')).toHaveCount(7);

    await page.getByRole('button', { name: 'Previous layer' }).click();
    await page.getByRole('img', { name: 'Cluster assignment' }).click({ position: { x: 60, y: 60 } });
    const selected = Number((await page.locator('.cluster-table button[aria-pressed="true"]').innerText()).trim());
    // The selected cluster is highlighted in all seven layers at once.
    const across = page.getByRole('group', { name: `Cluster ${selected} across layers` });
    await expect(across.getByRole('img')).toHaveCount(7);
    // One line per followed class, a point per layer.
    const plot = page.getByRole('img', { name: 'Class probabilities per layer' });
    const lines = plot.locator('g[data-class] polyline');
    expect(await lines.count()).toBeGreaterThanOrEqual(1);
    for (const points of await lines.evaluateAll((els) => els.map((e) => (e.getAttribute('points') ?? '').trim().split(/\s+/).length))) expect(points).toBe(7);
    await expect(page.getByRole('img', { name: 'Soft attention map' })).toBeVisible();
    // The cluster list selects by keyboard too.
    const rows = page.getByRole('table', { name: 'Clusters' }).locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(1);
    await rows.nth(1).getByRole('button').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('group', { name: /^Cluster \d+ across layers$/ })).not.toHaveAttribute('aria-label', `Cluster ${selected} across layers`);
    await page.getByRole('radio', { name: 'predicted class' }).check();
    await page.getByRole('button', { name: 'Play' }).click();
    await expect(slider).not.toHaveValue('7');
    await page.getByRole('button', { name: 'Pause' }).click();
    await slider.fill('4');
    await slider.focus();
    await page.keyboard.press('ArrowLeft');
    await expect(slider).toHaveValue('3');
    await page.getByRole('heading', { name: 'Stage explorer' }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await app.screenshot('stage-explorer');
    await page.getByRole('img', { name: 'Class probabilities per layer' }).evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await app.screenshot('stage-explorer-cluster');
  });

  test('softmax attention differs from argmax, and compare shows the numbers', async ({ app }) => {
    const { page } = app;
    await app.openSample('Room');
    const argmax = await canvasPixels(page, 'Panoptic overlay');
    const attention = page.getByRole('radiogroup', { name: 'Attention' });
    await expect(attention.getByRole('radio', { name: 'argmax' })).toBeChecked();
    await attention.getByRole('radio', { name: 'softmax', exact: true }).check();
    await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
    const softmax = await canvasPixels(page, 'Panoptic overlay');
    expect(softmax.data).not.toEqual(argmax.data);

    await page.getByRole('button', { name: 'Compare' }).click();
    const table = page.getByRole('table', { name: 'Comparison' });
    await expect(table).toBeVisible();
    await expect(table.getByRole('columnheader')).toHaveText(['Measure', 'argmax', 'softmax']);
    const changed = Number((await table.locator('[data-measure="changed"]').innerText()).replace('%', ''));
    expect(changed).toBeGreaterThan(0);
    await expect(table.getByRole('row', { name: /Mean assignment confidence/ })).toContainText(/0\.\d{3}/);
    await expect(table.getByRole('row', { name: /Cluster-size entropy/ })).toContainText(/\d\.\d{3}/);
  });

  test('softmax from a chosen layer on, compared side by side with argmax at every layer', async ({ app }) => {
    const { page } = app;
    await app.openSample('Room');
    const status = page.getByRole('status', { name: 'Engine status' });
    const attention = page.getByRole('radiogroup', { name: 'Attention' });
    await attention.getByRole('radio', { name: 'softmax', exact: true }).check();
    await expect(status).toHaveAttribute('data-status', 'ready');
    await attention.getByRole('combobox', { name: 'Attention from layer' }).selectOption({ label: '4' });
    await expect(status).toHaveAttribute('data-status', 'ready');

    await page.getByRole('button', { name: 'Compare' }).click();
    const panel = page.getByRole('region', { name: /^Comparison: argmax vs softmax from layer 4$/ });
    await expect(panel).toBeVisible();
    const sides = panel.getByRole('group', { name: 'Side by side' });
    const slider = page.getByRole('slider', { name: 'Decoder layer' });
    const perLayer = panel.getByRole('table', { name: 'Per-layer numbers' });
    const changedAt: number[] = [];
    for (let layer = 1; layer <= 7; layer++) {
      await slider.fill(String(layer));
      const name = layer === 7 ? 'Final' : `Layer ${layer}`;
      await expect(sides.getByRole('img', { name: `argmax: ${name}`, exact: true })).toBeVisible();
      await expect(sides.getByRole('img', { name: `softmax from layer 4: ${name}`, exact: true })).toBeVisible();
      const left = await canvasPixels(page, `argmax: ${name}`);
      const right = await canvasPixels(page, `softmax from layer 4: ${name}`);
      await expect(perLayer.locator('caption')).toHaveText(name);
      const changed = Number((await perLayer.locator('[data-measure="layer-changed"]').innerText()).replace('%', ''));
      changedAt.push(changed);
      // Layers up to 4 see only argmax updates in both runs (a layer predicts from the centres entering it).
      if (layer <= 4) {
        expect(changed, `layer ${layer}`).toBe(0);
        expect(left.data).toEqual(right.data);
      }
      if (layer === 6) await app.screenshot('compare-layer-6');
    }
    expect(Math.max(...changedAt.slice(4)), 'softmax from layer 4 changes a later layer').toBeGreaterThan(0);
    await panel.getByRole('button', { name: 'Earlier layer' }).click();
    await expect(slider).toHaveValue('6');
    await panel.scrollIntoViewIfNeeded();
    await app.screenshot('compare');
  });

  test('hovering highlights a segment; the legend hides one; semantic and instance views; options survive a reload', async ({ app }) => {
    const { page } = app;
    await app.openSample('Shapes');
    await page.getByRole('slider', { name: 'Overlay opacity' }).fill('1');
    await page.getByRole('checkbox', { name: 'Contours' }).uncheck();
    await page.getByRole('checkbox', { name: 'Labels' }).uncheck();
    const png = PNG.sync.read((await download(page, 'Download panoptic PNG')).bytes);
    const ids = panopticIds(png);
    const photo = PNG.sync.read(sampleBytes('shapes.png'));
    const legend = page.getByRole('list', { name: 'Segments' });
    // The largest segment, and its legend entry.
    const counts = new Map<number, number>();
    for (const v of ids) if (v !== 0) counts.set(v, (counts.get(v) ?? 0) + 1);
    const id = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const first = legend.locator(`li[data-segment-id="${id}"]`);
    const name = (await first.locator('.name').innerText()).trim();
    // A pixel well inside the segment, so that the pointer cannot land on a neighbour.
    const inside = (q: number) => {
      const [x, y] = [q % png.width, Math.floor(q / png.width)];
      for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) if (ids[(y + dy) * png.width + x + dx] !== id || x + dx < 0 || x + dx >= png.width) return false;
      return true;
    };
    const p = ids.findIndex((v, q) => v === id && inside(q));
    expect(p, 'the largest segment has an interior').toBeGreaterThanOrEqual(0);

    // Hover: the card names the segment, its legend entry lights up, everything else darkens.
    // The download buttons may have scrolled the picture away.
    await page.getByRole('img', { name: 'Panoptic overlay' }).scrollIntoViewIfNeeded();
    const point = await canvasPoint(page, 'Panoptic overlay', p % png.width, Math.floor(p / png.width));
    await page.mouse.move(point.x, point.y);
    const card = page.getByRole('tooltip');
    await expect(card).toContainText(name);
    await expect(card).toContainText(/score \d+\.\d%/);
    await expect(card).toContainText(/area \d+\.\d% \([\d,]+ px\)/);
    await expect(legend.locator(`li[data-segment-id="${id}"]`)).toHaveClass(/hovered/);
    const shade = await canvasPixels(page, 'Highlighted segment');
    const other = ids.findIndex((v) => v !== id);
    expect(shade.data[p * 4 + 3]).toBe(0);
    expect(shade.data[other * 4 + 3]).toBeGreaterThan(100);
    await app.screenshot('hover');
    await page.mouse.move(0, 0);
    await expect(card).toHaveCount(0);

    // Legend toggle: the segment's pixels show the photo, the others keep their colour.
    const before = await canvasPixels(page, 'Panoptic overlay');
    await first.getByRole('checkbox').uncheck();
    await expect(first.getByRole('checkbox')).not.toBeChecked();
    const after = await canvasPixels(page, 'Panoptic overlay');
    let wrong = 0;
    for (let q = 0; q < ids.length; q++) {
      const expected = ids[q] === id ? [photo.data[q * 4], photo.data[q * 4 + 1], photo.data[q * 4 + 2]] : [before.data[q * 4], before.data[q * 4 + 1], before.data[q * 4 + 2]];
      if (expected.some((v, c) => after.data[q * 4 + c] !== v)) wrong++;
    }
    expect(wrong).toBe(0);
    await first.getByRole('checkbox').check();

    // Semantic only: one legend entry per class. Instances only: thing classes.
    const views = page.getByRole('radiogroup', { name: 'Overlay view' });
    await views.getByRole('radio', { name: 'semantic only' }).check();
    await expect(page.locator('figure[data-view="semantic"][data-result-for="shapes.png"]')).toBeVisible();
    await expect(legend.getByRole('listitem').first()).toBeVisible();
    const semanticNames = await legend.locator('.name').allInnerTexts();
    expect(new Set(semanticNames).size).toBe(semanticNames.length);
    await page.getByRole('checkbox', { name: 'Labels' }).check();
    await app.screenshot('semantic-view');
    await views.getByRole('radio', { name: 'instances only' }).check();
    await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
    await expect(page.locator('figure[data-view="instances"][data-result-for="shapes.png"]')).toBeVisible();
    await expect(legend.getByRole('listitem').first()).toBeVisible();
    await app.screenshot('instance-view');

    // View options and the model choice persist.
    await page.reload();
    await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
    await expect(views.getByRole('radio', { name: 'instances only' })).toBeChecked();
    await expect(page.getByRole('slider', { name: 'Overlay opacity' })).toHaveValue('1');
    await expect(page.getByRole('checkbox', { name: 'Contours' })).not.toBeChecked();
  });

  test('a broken image shows an error, keeps the last result, and the app still works', async ({ app }) => {
    const { page } = app;
    await app.openSample('Shapes');
    await page.getByLabel('Image', { exact: true }).setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG at all') });
    await expect(page.getByRole('alert', { name: 'Picture problem' })).toContainText('"broken.png" is not an image this app knows');
    await expect(page.locator('figure[data-result-for="shapes.png"]')).toBeVisible();
    await app.screenshot('broken-image');
    await app.openSample('Room');
    await expect(page.getByRole('alert')).toHaveCount(0);
  });
});

test.describe('device loss', () => {
  test.use({ allowDeviceLoss: true });

  test('a forced WebGPU device loss recovers and segmentation goes on', async ({ app }) => {
    const { page } = app;
    await app.openSample('Shapes');
    expect(await page.evaluate(() => window.kmaxLens?.loseDevice())).toBe(true);
    const status = page.getByRole('status', { name: 'Engine status' });
    await expect(status).toContainText('GPU device was lost and recovered on webgpu');
    await app.openSample('Street');
    await expect(status).toHaveAttribute('data-backend', 'webgpu');
    await expect(page.getByRole('list', { name: 'Segments' }).getByRole('listitem').first()).toBeVisible();
  });
});
