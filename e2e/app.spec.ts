import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { expect, test } from './app-fixture';
import { canvasPixels, download, dropImage, pasteImage, sampleBytes } from './page-helpers';

test.describe('on WebGPU (SwiftShader) with a tiny model', () => {
  test('runs on webgpu and segments a sample, an upload, a paste, a drop and a webcam still', async ({ app }) => {
    const { page } = app;
    const status = page.getByRole('status', { name: 'Engine status' });
    await expect(status).toHaveAttribute('data-backend', 'webgpu');
    await expect(status).toContainText('Backend: webgpu');
    await expect(page.getByRole('combobox', { name: 'Model' })).toHaveValue('tiny');

    await app.openSample('Street');
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

    // At opacity 1 without contours, every pixel is its segment's colour, and void shows the photo.
    const canvas = await canvasPixels(page, 'Panoptic overlay');
    expect([canvas.width, canvas.height]).toEqual([photo.width, photo.height]);
    let mismatches = 0;
    for (let p = 0; p < ids.length; p++) {
      const expected = ids[p] === 0 ? [photo.data[p * 4], photo.data[p * 4 + 1], photo.data[p * 4 + 2]] : (listed.get(ids[p])?.color ?? [-1, -1, -1]);
      if (expected.some((v, c) => canvas.data[p * 4 + c] !== v)) mismatches++;
    }
    expect(mismatches).toBe(0);
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
      const pixels = await canvasPixels(page, 'Cluster assignment');
      const signature = `${pixels.width}x${pixels.height}:${pixels.data.join(',')}`;
      expect(pixels.width * pixels.height).toBeGreaterThan(1);
      expect(signature, `layer ${layer} equals layer ${layer - 1}`).not.toBe(previous);
      previous = signature;
    }
    await page.getByRole('button', { name: 'Previous layer' }).click();
    await expect(slider).toHaveValue('6');
    await page.getByRole('button', { name: 'Next layer' }).click();
    await expect(slider).toHaveValue('7');

    await page.getByRole('img', { name: 'Cluster assignment' }).click({ position: { x: 60, y: 60 } });
    const plot = page.getByRole('table', { name: 'Class probabilities per layer' });
    await expect(plot.locator('tbody tr')).toHaveCount(7);
    await expect(page.getByRole('img', { name: 'Soft attention map' })).toBeVisible();
    await page.getByRole('radio', { name: 'predicted class' }).check();
    await page.getByRole('button', { name: 'Play' }).click();
    await expect(slider).not.toHaveValue('7');
    await page.getByRole('button', { name: 'Pause' }).click();
    await slider.fill('3');
    await page.getByRole('heading', { name: 'Stage explorer' }).scrollIntoViewIfNeeded();
    await app.screenshot('stage-explorer');
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
    await table.scrollIntoViewIfNeeded();
    await app.screenshot('compare');
  });

  test('a broken image shows an error, keeps the last result, and the app still works', async ({ app }) => {
    const { page } = app;
    await app.openSample('Shapes');
    await page.getByLabel('Image', { exact: true }).setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG at all') });
    await expect(page.getByRole('alert')).toContainText('"broken.png" could not be read as an image');
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
