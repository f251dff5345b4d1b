/**
 * Post-processing cost on tfjs-webgpu in headless Chromium (SwiftShader here), not run
 * in CI: `npx tsx e2e/postprocess-bench.ts`. Serves e2e/bench/ with Vite's dev server.
 */
import { chromium } from '@playwright/test';
import { createServer } from 'vite';

const server = await createServer({ server: { port: 4187, strictPort: true }, logLevel: 'warn' });
await server.listen();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
try {
  const page = await browser.newPage();
  page.on('console', (message) => console.log(`[page] ${message.text()}`));
  await page.goto('http://127.0.0.1:4187/e2e/bench/postprocess.html');
  await page.waitForFunction(() => document.body.dataset.done ?? document.body.dataset.error, undefined, { timeout: 600_000 });
  console.log(await page.evaluate(() => document.body.dataset.error ?? document.getElementById('log')?.textContent));
} finally {
  await browser.close();
  await server.close();
}
