/**
 * `kmax bench --backend webgpu`: Node has no WebGPU, so the runs happen in headless
 * Chromium (Debian's, with --enable-unsafe-webgpu) on cli/browser/bench.html, served by
 * Vite's dev server with the model folder reachable under /@fs/. Console warnings and
 * errors of the page (WGSL or validation messages among them) fail the bench.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserBenchReport } from '../browser/bench-page';
import type { BenchOptions } from './bench-runs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.KMAX_CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT_MS = 30 * 60_000;

export class BrowserBenchError extends Error {
  override readonly name = 'BrowserBenchError';
}

export async function benchInChromium(modelDir: string, options: BenchOptions): Promise<BrowserBenchReport> {
  const [{ createServer }, { chromium }] = await Promise.all([import('vite'), import('@playwright/test')]);
  const model = path.resolve(modelDir);
  const server = await createServer({ root: ROOT, logLevel: 'warn', server: { port: 0, host: '127.0.0.1', fs: { allow: [ROOT, model] } } });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => void ((m.type() === 'warning' || m.type() === 'error') && problems.push(`${m.type()}: ${m.text()} (${m.location().url})`)));
    page.on('pageerror', (e) => void problems.push(`page error: ${e.message}`));
    const query = new URLSearchParams({ model: `/@fs${path.join(model, 'model.json')}`, runs: String(options.runs), attention: options.attention });
    if (options.size !== undefined) query.set('size', String(options.size));
    const base = server.resolvedUrls?.local[0] ?? '';
    await page.goto(`${base}cli/browser/bench.html?${query.toString()}`);
    await page.waitForFunction(() => window.kmaxBench !== undefined, undefined, { timeout: TIMEOUT_MS });
    const outcome = await page.evaluate(() => window.kmaxBench);
    if (outcome?.error !== undefined) throw new BrowserBenchError(`in Chromium: ${outcome.error}`);
    if (problems.length > 0) throw new BrowserBenchError(`the page reported:\n${problems.join('\n')}`);
    if (outcome?.report === undefined) throw new BrowserBenchError('the bench page returned no report');
    return outcome.report;
  } finally {
    await browser.close();
    await server.close();
  }
}
