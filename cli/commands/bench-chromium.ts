/**
 * `kmax bench --backend webgpu` and `kmax bench --peers` in a browser: Node has no WebGPU
 * (and no threaded tfjs wasm), so the runs happen in headless Chromium (Debian's, with
 * --enable-unsafe-webgpu) on cli/browser/bench.html, served by Vite's dev server (with the
 * project's cross-origin isolation headers, which wasm threads need) with the model folder
 * and the ONNX export reachable under /@fs/. Console warnings and errors of the page (WGSL
 * or validation messages among them) fail the bench. KMAX_CHROMIUM_ARGS adds launch flags
 * (scripts/bench-gpu.sh: a hardware adapter through Vulkan).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserBenchReport } from '../browser/bench-page';
import type { PeerReport } from './bench-peers-run';
import type { BenchOptions } from './bench-runs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.KMAX_CHROMIUM ?? '/usr/bin/chromium';
const EXTRA_ARGS = (process.env.KMAX_CHROMIUM_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
const TIMEOUT_MS = 60 * 60_000;
/** A log line of ONNX Runtime's own logger ("[W:onnxruntime:, file.cc:123 ...]"). */
const ORT_LOG = /\[[VIWE]:onnxruntime:/;

export class BrowserBenchError extends Error {
  override readonly name = 'BrowserBenchError';
}

export async function benchInChromium(modelDir: string, options: BenchOptions & { profile?: boolean }): Promise<BrowserBenchReport> {
  const model = path.resolve(modelDir);
  const query = new URLSearchParams({ model: `/@fs${path.join(model, 'model.json')}`, runs: String(options.runs), attention: options.attention });
  if (options.size !== undefined) query.set('size', String(options.size));
  if (options.profile === false) query.set('profile', '0');
  const outcome = await onBenchPage([model], query);
  if (outcome.report === undefined) throw new BrowserBenchError('the bench page returned no report');
  return outcome.report;
}

export interface ChromiumPeerOptions {
  readonly modelDir: string;
  readonly onnxPath: string;
  readonly backend: 'webgpu' | 'wasm';
  readonly threads: number;
  readonly size: number;
  readonly runs: number;
}

export async function peersInChromium(options: ChromiumPeerOptions): Promise<PeerReport> {
  const model = path.resolve(options.modelDir);
  const onnx = path.resolve(options.onnxPath);
  const query = new URLSearchParams({
    mode: 'peers',
    model: `/@fs${path.join(model, 'model.json')}`,
    onnx: `/@fs${onnx}`,
    backend: options.backend,
    threads: String(options.threads),
    size: String(options.size),
    runs: String(options.runs),
  });
  const outcome = await onBenchPage([model, path.dirname(onnx)], query);
  if (outcome.peers === undefined) throw new BrowserBenchError('the bench page returned no peer report');
  return outcome.peers;
}

async function onBenchPage(allow: readonly string[], query: URLSearchParams): Promise<NonNullable<Window['kmaxBench']>> {
  const [{ createServer }, { chromium }] = await Promise.all([import('vite'), import('@playwright/test')]);
  const server = await createServer({ root: ROOT, logLevel: 'warn', server: { port: 0, host: '127.0.0.1', fs: { allow: [ROOT, ...allow] } } });
  await server.listen();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Developer features: unquantised timestamp queries for the kernel profile.
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-webgpu-developer-features', '--disable-background-networking', ...EXTRA_ARGS],
  });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() !== 'warning' && m.type() !== 'error') return;
      // ORT's own log lines at warning level (as the peer bench asks for) are its business: shown, not failures.
      if (ORT_LOG.test(m.text())) console.error(`onnxruntime-web: ${stripColours(m.text())}`);
      else problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => void problems.push(`page error: ${e.message}`));
    const base = server.resolvedUrls?.local[0] ?? '';
    await page.goto(`${base}cli/browser/bench.html?${query.toString()}`);
    await page.waitForFunction(() => window.kmaxBench !== undefined, undefined, { timeout: TIMEOUT_MS, polling: 1000 });
    const outcome = (await page.evaluate(() => window.kmaxBench)) ?? {};
    if (outcome.error !== undefined) throw new BrowserBenchError(`in Chromium: ${outcome.error}${problems.length > 0 ? `\nthe page reported:\n${problems.join('\n')}` : ''}`);
    if (problems.length > 0) throw new BrowserBenchError(`the page reported:\n${problems.join('\n')}`);
    return outcome;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** ORT colours its log lines with ANSI escapes. */
function stripColours(text: string): string {
  return text.replaceAll(`${String.fromCharCode(27)}[0;93m`, '').replaceAll(`${String.fromCharCode(27)}[m`, '');
}
