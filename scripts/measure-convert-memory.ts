/**
 * Peak memory of converting a checkpoint in the page (README, "Converting the largest
 * variant"): opens the served app in Debian's Chromium, waits for its demo model, then
 * picks FILE in the checkpoint input (the path a drop takes) and samples the summed RSS
 * of every Chromium process (the browser and all its children, from /proc) every 100 ms
 * until the converted model is listed as stored. Prints the time of each phase (read,
 * convert, store) and the peak over the baseline.
 *
 *   npx vite build && npx vite preview --port 9201 --strictPort &
 *   npx tsx scripts/measure-convert-memory.ts --url http://127.0.0.1:9201 --file /tmp/kmax_convnext_l.pth
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';

const { values } = parseArgs({ options: { url: { type: 'string' }, file: { type: 'string' } } });
if (values.url === undefined || values.file === undefined) throw new Error('usage: --url URL --file CHECKPOINT');
const fileBytes = statSync(values.file).size;

/** Every process whose ancestry reaches `root`, root included. */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while the list was read.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

function rssBytes(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match !== null) total += Number(match[1]) * 1024;
    } catch {
      // Gone.
    }
  }
  return total;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

// A persistent context in a fresh profile: its browser process is the one whose command line names the profile.
const profile = mkdtempSync(path.join(tmpdir(), 'kmax-measure-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
  viewport: { width: 1280, height: 800 },
});
const pid = readdirSync('/proc')
  .filter((name) => /^\d+$/.test(name))
  .map(Number)
  .find((p) => {
    try {
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return cmdline.some((a) => a.includes(profile)) && !cmdline.some((a) => a.startsWith('--type='));
    } catch {
      return false;
    }
  });
if (pid === undefined) throw new Error('no browser process');
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${values.url}/?debug`);
  const status = page.getByRole('status', { name: 'Engine status' });
  await status.and(page.locator('[data-status="ready"]')).waitFor({ timeout: 300_000 }).catch(async (error: unknown) => {
    throw new Error(`the demo model did not load: ${await status.textContent()} (${(error as Error).message})`);
  });
  await page.waitForTimeout(3000);
  const baseline = rssBytes(pid);
  // The stored model is then loaded as the app always does; a small input keeps that short, and it is not measured.
  await page.getByRole('combobox', { name: 'Input size' }).selectOption('129');
  const stored = page.getByRole('list', { name: 'Converted models' }).getByRole('listitem');
  const before = await stored.count();

  const samples: { t: number; rss: number; phase: string }[] = [];
  const started = Date.now();
  await page.getByLabel('Checkpoint', { exact: true }).setInputFiles(values.file);
  for (;;) {
    const phase = (await page.locator('.checkpoint-drop .conversion').getAttribute('data-phase', { timeout: 1000 }).catch(() => null)) ?? 'none';
    samples.push({ t: Date.now() - started, rss: rssBytes(pid), phase });
    if ((await stored.count()) > before) break;
    const alert = await page.locator('.checkpoint-drop [role="alert"]').textContent({ timeout: 100 }).catch(() => null);
    if (alert !== null) throw new Error(`the conversion failed: ${alert}`);
    if (Date.now() - started > 30 * 60_000) throw new Error('no stored model after 30 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const total = Date.now() - started;
  const phases = new Map<string, { from: number; to: number; peak: number }>();
  for (const s of samples) {
    const p = phases.get(s.phase) ?? { from: s.t, to: s.t, peak: 0 };
    phases.set(s.phase, { from: p.from, to: s.t, peak: Math.max(p.peak, s.rss - baseline) });
  }
  const peak = Math.max(...samples.map((s) => s.rss));
  console.log(`file ${values.file}: ${(fileBytes / 1e6).toFixed(0)} MB; ${samples.length} samples`);
  console.log(`baseline (demo model loaded) ${gb(baseline)}; peak ${gb(peak)}; peak over baseline ${gb(peak - baseline)} = ${((peak - baseline) / fileBytes).toFixed(2)}x the file`);
  for (const [phase, p] of phases) console.log(`  ${phase.padEnd(8)} ${((p.to - p.from) / 1000).toFixed(1).padStart(6)} s, peak over baseline ${gb(p.peak)}`);
  console.log(`  total    ${(total / 1000).toFixed(1).padStart(6)} s (pick to stored)`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
