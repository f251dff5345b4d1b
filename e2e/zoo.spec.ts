import type { Page } from '@playwright/test';
import { startStandInHost, type StandInHost } from '../src/zoo/stand-in-host';
import { expect, test } from './app-fixture';
import { recordConversionProgress } from './checkpoint-helpers';
import { ZOO_CHECKPOINT, ZOO_HOST, ZOO_PORT } from './zoo-catalogue';

/**
 * The model zoo in the page, driven through accessible names, against a local
 * stand-in host (src/zoo/stand-in-host.ts) whose entries the e2e build lists
 * ahead of the shipped catalogue (e2e/zoo-catalogue.ts). Never a real host.
 */

const DETECTED_NAME = 'detected-coco_panoptic-resnet-2-1-2-1-k24';
let host: StandInHost;

test.beforeAll(async () => {
  host = await startStandInHost(new Map([['checkpoint.pth', new Uint8Array(ZOO_CHECKPOINT)]]), ZOO_PORT);
});
test.afterAll(async () => host.close());
test.beforeEach(() => {
  host.requests.length = 0;
  host.abandoned.length = 0;
});

async function openZoo(page: Page) {
  // The trained 1281x1281 takes minutes per picture on SwiftShader; the weights do not fix the size.
  await page.getByRole('combobox', { name: 'Input size' }).selectOption('129');
  await page.getByText('Model zoo', { exact: true }).click();
  return page.getByRole('list', { name: 'Model zoo' });
}

test.describe('the model zoo', () => {
  test('lists the catalogue, contacts no host before Get; Get downloads with progress, converts, stores, loads and segments', async ({ app }) => {
    const { page } = app;
    const status = page.getByRole('status', { name: 'Engine status' });
    const picker = page.getByRole('combobox', { name: 'Model' });
    const zoo = await openZoo(page);
    // The shipped catalogue follows the stand-in entries: 31 official checkpoints.
    await expect(zoo.getByRole('listitem')).toHaveCount(7 + 31);
    await expect(zoo.getByRole('listitem').filter({ hasText: 'deeplab2-coco-r50' })).toContainText('COCO · ResNet-50 · PQ 53.0 · size unknown');
    await expect(zoo.getByRole('listitem').filter({ hasText: 'coconut-b-convnext-l' })).toContainText('COCONut-B · ConvNeXt-L · PQ not published · 977 MB');
    // Cannot run yet, said before any download; Drive files are downloaded by hand.
    const unrunnable = zoo.getByRole('listitem').filter({ hasText: 'stand-in-unrunnable' });
    await expect(unrunnable).toContainText('Cannot run yet: A test entry whose backbone the engine lacks.');
    await expect(unrunnable.getByRole('button')).toHaveCount(0);
    await expect(zoo.getByRole('button', { name: 'Get deeplab2-coco-maxs' })).toBeVisible();
    const drive = zoo.getByRole('listitem').filter({ hasText: 'pytorch-coco-r50' });
    await expect(drive.getByRole('link', { name: 'Download kmax_coco_r50.pth' })).toHaveAttribute('href', 'https://drive.google.com/file/d/1YB_5dct0U7ys2KTJNjDIqXLSZneWTyr-/view');
    await expect(drive.getByRole('button')).toHaveCount(0);
    expect(host.requests).toEqual([]);

    const progressStates = await recordConversionProgress(page);
    await zoo.getByRole('button', { name: 'Get stand-in-hub' }).click();
    await expect(picker).toHaveValue(/^converted-/);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(status).toContainText(`Model: ${DETECTED_NAME}`);
    expect(host.requests).toEqual([{ path: '/cors/checkpoint.pth', range: undefined }]);
    const states = await progressStates();
    const phases = [...new Set(states.map((s) => s.phase))];
    console.log(`zoo progress: ${states.length} states, ${phases.join(' -> ')}; first: ${states[0]?.label}`);
    expect(phases).toEqual(['download', 'read', 'convert', 'store']);
    const downloaded = states.filter((s) => s.phase === 'download').at(-1);
    expect(downloaded?.max).toBe(ZOO_CHECKPOINT.byteLength);
    expect(downloaded?.value).toBe(ZOO_CHECKPOINT.byteLength);
    expect(downloaded?.label).toContain('Downloading stand-in-hub.pth: 2.1 MB of 2.1 MB');

    await app.openSample('Shapes');
    await expect(page.getByRole('img', { name: 'Panoptic overlay' })).toBeVisible();
    // Stored: still there after a reload.
    await page.goto('/?debug');
    await expect(picker.locator('optgroup[label="Converted in this browser"] option')).toHaveText([`stand-in-hub.pth · ${DETECTED_NAME}`]);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(picker).toHaveValue(/^converted-/);
    expect(host.requests).toHaveLength(1);
  });

  test('a host without CORS: one sentence, the link and a drop target; the current model stays and segments, and the dropped file converts', async ({ app }) => {
    const { page } = app;
    const status = page.getByRole('status', { name: 'Engine status' });
    const picker = page.getByRole('combobox', { name: 'Model' });
    const before = await picker.inputValue();
    const zoo = await openZoo(page);
    await zoo.getByRole('button', { name: 'Get stand-in-no-cors' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'does not let this page' });
    await expect(alert).toHaveText(`${ZOO_HOST} does not let this page download stand-in-no-cors.pth (no CORS headers, blocked or offline).`);
    // The request reached the host; the browser kept the answer from the page.
    expect(host.requests).toEqual([{ path: '/nocors/checkpoint.pth', range: undefined }]);
    await expect(page.getByRole('link', { name: 'Download stand-in-no-cors.pth' }).first()).toHaveAttribute('href', `http://${ZOO_HOST}/nocors/checkpoint.pth`);
    await expect(picker).toHaveValue(before);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await app.openSample('Shapes');
    await expect(page.getByRole('img', { name: 'Panoptic overlay' })).toBeVisible();

    // A wrong file given to the drop target is answered there; the right one is converted and loaded.
    const downloaded = page.getByLabel('Downloaded stand-in-no-cors.pth');
    // The zoo's notice sits in the page header, under the model picker.
    const problem = page.getByRole('banner').getByRole('alert', { name: 'Checkpoint problem' });
    await downloaded.setInputFiles({ name: 'stand-in-no-cors.pth', mimeType: 'application/octet-stream', buffer: Buffer.from('an error page, not a checkpoint') });
    await expect(problem).toContainText('could not convert "stand-in-no-cors.pth"');
    await expect(page.getByRole('alert', { name: 'Checkpoint problem' })).toHaveCount(1);
    await expect(picker).toHaveValue(before);
    await downloaded.setInputFiles({ name: 'stand-in-no-cors.pth', mimeType: 'application/octet-stream', buffer: ZOO_CHECKPOINT });
    await expect(picker).toHaveValue(/^converted-/);
    await expect(problem).toHaveCount(0);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(status).toContainText(`Model: ${DETECTED_NAME}`);
  });

  test('a 404, a wrong size and a cut-off download each say what went wrong; Retry after the cut resumes from the bytes received', async ({ app }) => {
    const { page } = app;
    const status = page.getByRole('status', { name: 'Engine status' });
    const picker = page.getByRole('combobox', { name: 'Model' });
    const before = await picker.inputValue();
    const zoo = await openZoo(page);
    const alert = page.getByRole('alert').filter({ hasText: 'Could not get' });
    const n = ZOO_CHECKPOINT.byteLength;

    await zoo.getByRole('button', { name: 'Get stand-in-missing' }).click();
    await expect(alert).toHaveText(`Could not get stand-in-missing: ${ZOO_HOST} answered 404 Not Found for http://${ZOO_HOST}/cors/absent.pth.`);
    await zoo.getByRole('button', { name: 'Get stand-in-wrong-size' }).click();
    await expect(alert).toHaveText(`Could not get stand-in-wrong-size: ${ZOO_HOST} announces ${n} bytes, the catalogue says ${n + 1}: not the published file.`);
    await zoo.getByRole('button', { name: 'Get stand-in-cut' }).click();
    await expect(alert).toHaveText(new RegExp(`^Could not get stand-in-cut: the connection to ${ZOO_HOST.replace(/\./g, '\\.')} broke after \\d+ of ${n} bytes \\(.+\\)\\.$`));
    const received = Number(/broke after (\d+) of/.exec((await alert.textContent()) ?? '')?.[1]);
    await expect(picker).toHaveValue(before);
    await expect(status).toHaveAttribute('data-status', 'ready');

    // Retry asks only for the rest (the host answers 206 with its Content-Range); the whole file's size and SHA-256 are checked.
    const progressStates = await recordConversionProgress(page);
    await page.getByRole('button', { name: 'Retry stand-in-cut' }).click();
    await expect(picker).toHaveValue(/^converted-/);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(alert).toHaveCount(0);
    expect(host.requests.map((r) => r.path)).toEqual(['/cors/absent.pth', '/cors/checkpoint.pth', '/cut/checkpoint.pth', '/cut/checkpoint.pth']);
    expect(received).toBeGreaterThan(0);
    expect(host.requests.at(-1)?.range).toBe(`bytes=${received}-`);
    const downloads = (await progressStates()).filter((s) => s.phase === 'download');
    // The bar goes on from the bytes received, not from 0. The page may render the first chunk of
    // the rest in the same frame as the resumed count, so the first value seen is at least `received`.
    const shown = downloads.map((s) => s.value).filter((v) => v > 0);
    expect(shown.length).toBeGreaterThan(0);
    expect(Math.min(...shown)).toBeGreaterThanOrEqual(received);
    expect(downloads.at(-1)?.value).toBe(n);
  });

  test('Cancel stops a download under way: the page says so, nothing is stored, and the current model still segments', async ({ app }) => {
    const { page } = app;
    const status = page.getByRole('status', { name: 'Engine status' });
    const picker = page.getByRole('combobox', { name: 'Model' });
    const before = await picker.inputValue();
    const zoo = await openZoo(page);
    await zoo.getByRole('button', { name: 'Get stand-in-slow' }).click();
    // The stand-in sends 64 KiB every 200 ms: cancel once some bytes came.
    const bar = page.getByRole('progressbar', { name: 'Model download' });
    await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    await page.locator('.zoo').getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'cancelled' })).toHaveText('Download of stand-in-slow.pth cancelled: nothing was kept, the current model stays.');
    await expect(bar).toHaveCount(0);
    await expect.poll(() => host.abandoned).toEqual(['/slow/checkpoint.pth']);
    expect(host.requests).toEqual([{ path: '/slow/checkpoint.pth', range: undefined }]);
    await expect(picker.locator('optgroup[label="Converted in this browser"] option')).toHaveCount(0);
    await expect(page.getByRole('list', { name: 'Converted models' }).getByRole('listitem')).toHaveCount(0);
    await expect(picker).toHaveValue(before);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await app.openSample('Shapes');
    await expect(page.getByRole('img', { name: 'Panoptic overlay' })).toBeVisible();
    // Nothing of it was stored: still nothing after a reload.
    await page.goto('/?debug&model=tiny&backend=webgpu');
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(picker.locator('optgroup[label="Converted in this browser"] option')).toHaveCount(0);
  });
});
