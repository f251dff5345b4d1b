/**
 * Static deployment (issue 13 point 5): the built app works offline after one visit (its
 * Service Worker caches the app and the demo model) and from a sub-path of a plain static
 * host that sends no special headers.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PORT } from './paths';

const DIST = path.resolve(import.meta.dirname, '..', 'dist');
// Each test compiles the demo's shaders at least once (twice offline: the reload starts a new worker).
test.setTimeout(900_000);

const GPU_TROUBLE = /WGSL|validation|GPUValidationError|device (was )?lost/i;

/** Page errors and WebGPU complaints of the page and its worker. */
function watchTrouble(page: Page): string[] {
  const trouble: string[] = [];
  const watch = (m: { type(): string; text(): string }) => void ((m.type() === 'warning' || m.type() === 'error') && GPU_TROUBLE.test(m.text()) && trouble.push(m.text()));
  page.on('console', watch);
  page.on('worker', (w) => w.on('console', watch));
  page.on('pageerror', (e) => trouble.push(`page error: ${e.message}`));
  return trouble;
}

/** Opens the model's first sample picture and waits for its segments. */
async function segmentFirstSample(page: Page): Promise<string> {
  const status = page.getByRole('status', { name: 'Engine status' });
  // The warm-up compiles the shaders on SwiftShader: 15 s on a quiet machine, minutes on a busy one.
  await expect(status).toHaveAttribute('data-status', 'ready', { timeout: 300_000 });
  const sample = page.getByRole('group', { name: 'Sample images' }).getByRole('button').first();
  const src = (await sample.locator('img').getAttribute('src')) ?? '';
  const file = src.split('/').pop() ?? '';
  await sample.click();
  await expect(page.locator(`figure[data-result-for="${file}"]`)).toBeVisible();
  await expect(status).toHaveAttribute('data-status', 'ready');
  // The automatic choice (on SwiftShader: measured, and cached by the first visit).
  await expect(status).toHaveAttribute('data-backend', /^(webgpu|webgl|wasm|cpu)$/);
  await expect(page.getByRole('list', { name: 'Segments' }).getByRole('listitem').first()).toBeVisible();
  return file;
}

test('after one visit the app reloads and segments with the network cut', async ({ page, context }) => {
  const trouble = watchTrouble(page);
  await page.goto('/');
  // vite preview sends COOP/COEP, as the README asks of hosts: wasm may use threads.
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // Activation follows a complete install, and the install is the filling of the cache.
  await expect.poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state), { timeout: 60_000 }).toBe('activated');
  const cached = await page.evaluate(async () => {
    const names = (await caches.keys()).filter((n) => n.startsWith('kmax-lens-app-'));
    const urls = names.length === 1 ? (await (await caches.open(names[0])).keys()).map((r) => new URL(r.url).pathname) : [];
    return { names, urls };
  });
  expect(cached.names).toHaveLength(1);
  for (const file of ['/', '/sw.js', '/models/manifest.json', '/models/demo/model.json', '/models/demo/group1-shard1of1.bin']) {
    if (file === '/sw.js') expect(cached.urls, 'the worker script is not cached by itself').not.toContain(file);
    else expect(cached.urls).toContain(file);
  }
  expect(cached.urls.some((u) => /^\/assets\/segmenter\.worker-.*\.js$/.test(u))).toBe(true);
  expect(cached.urls.filter((u) => u.endsWith('.wasm'))).toHaveLength(3);
  console.log(`offline cache: ${cached.urls.length} files`);

  // The first visit finishes its warm-up, so that the reload does not queue behind its shaders.
  const status = page.getByRole('status', { name: 'Engine status' });
  await expect(status).toHaveAttribute('data-status', 'ready', { timeout: 300_000 });
  const online = await status.getAttribute('data-backend');
  await context.setOffline(true);
  await page.reload();
  // The network is really cut: what the worker has not cached fails.
  expect(await page.evaluate(() => fetch('./not-cached').then(() => 'answered', () => 'failed'))).toBe('failed');
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await segmentFirstSample(page);
  // Offline, the backend measured online is used again, without measuring.
  await expect(status).toHaveAttribute('data-backend', online ?? '');
  expect(trouble).toEqual([]);
});

test.describe('from a sub-path of a plain static host', () => {
  const prefix = '/some/sub/path/';
  let server: Server;
  let origin: string;
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml' };

  test.beforeAll(async () => {
    expect(existsSync(path.join(DIST, 'index.html')), 'dist/ is built by the Playwright web server').toBe(true);
    // Files only, under the prefix, with no COOP/COEP: what a host that sets no headers does.
    server = createServer((req, res) => {
      const url = decodeURIComponent((req.url ?? '').split('?')[0]);
      const file = url.startsWith(prefix) ? path.join(DIST, url.slice(prefix.length) || 'index.html') : '';
      if (file === '' || !file.startsWith(DIST) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(PORT + 101, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${PORT + 101}`;
  });
  test.afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('the build loads its model and segments a sample', async ({ page }) => {
    const trouble = watchTrouble(page);
    const requests: string[] = [];
    const failed: string[] = [];
    page.on('request', (r) => void requests.push(r.url()));
    page.on('response', (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
    await page.goto(`${origin}${prefix}`);
    // No headers: no isolation, and the app runs anyway (wasm would run one thread).
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    await segmentFirstSample(page);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).scope)).toBe(`${origin}${prefix}`);
    expect(failed).toEqual([]);
    const outside = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && !u.startsWith(`${origin}${prefix}`));
    expect(outside).toEqual([]);
    expect(requests.some((u) => u.endsWith('/models/demo/group1-shard1of1.bin'))).toBe(true);
    expect(trouble).toEqual([]);
  });
});
