import type { Request } from '@playwright/test';
import { expect, test } from './app-fixture';
import { download, dropImage, pasteImage, sampleBytes } from './page-helpers';

test('no request of a whole session carries image data or goes to another host', async ({ app, context, baseURL }) => {
  const { page } = app;
  const requests: Request[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r));
  context.on('response', (r) => {
    if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // The fixture already loaded the page: reload so that the page load is recorded too.
  await page.reload();
  await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
  await app.openSample('Street');
  await page.getByLabel('Image', { exact: true }).setInputFiles({ name: 'private-upload.png', mimeType: 'image/png', buffer: sampleBytes('room.png') });
  await app.waitForResult('private-upload.png');
  await pasteImage(page, sampleBytes('shapes.png'), 'private-paste.png');
  await app.waitForResult('private-paste.png');
  await dropImage(page, sampleBytes('street.png'), 'private-drop.png');
  await app.waitForResult('private-drop.png');
  await page.getByRole('button', { name: 'Compare' }).click();
  await expect(page.getByRole('table', { name: 'Comparison' })).toBeVisible();
  await download(page, 'Download panoptic PNG');
  await download(page, 'Download segments JSON');

  const origin = new URL(baseURL as string).origin;
  expect(requests.length).toBeGreaterThan(5);
  // Every request is answered and nothing in the session is an error; the page names its icon,
  // or the browser probes /favicon.ico and logs the 404.
  expect(errors).toEqual([]);
  const icon = await page.locator('link[rel="icon"]').getAttribute('href', { timeout: 5_000 });
  expect((await page.request.get(icon ?? '/favicon.ico')).ok(), `icon ${icon}`).toBe(true);
  const foreign = requests.filter((r) => !r.url().startsWith('blob:') && !r.url().startsWith('data:') && new URL(r.url()).origin !== origin);
  expect(foreign.map((r) => r.url())).toEqual([]);
  const withBody = requests.filter((r) => r.method() !== 'GET' || r.postDataBuffer() !== null);
  expect(withBody.map((r) => `${r.method()} ${r.url()}`)).toEqual([]);
  const named = requests.filter((r) => /private-/.test(r.url()));
  expect(named.map((r) => r.url())).toEqual([]);
  // Only the app, its wasm/worker assets, its offline cache worker, the model and the sample pictures were fetched.
  for (const r of requests) expect(new URL(r.url(), origin).pathname).toMatch(/^\/($|\?|assets\/|models\/|samples\/|favicon\.svg$|sw\.js$)/);
});
