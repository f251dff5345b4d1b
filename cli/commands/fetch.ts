import { sha256 } from '@noble/hashes/sha2.js';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CATALOGUE, describeSize, findEntry, parseCatalogue, type ZooEntry } from '../../src/zoo/catalogue';
import { download, ZooDownloadError, type DownloadProgress } from '../../src/zoo/download';
import { requireValue, UsageError } from '../usage';
import { convertCommand } from './convert';

export const FETCH_USAGE =
  'kmax fetch NAME [--out DIR] [--fp16] [--downloads DIR]\n' +
  '       kmax fetch --list\n' +
  '  NAME: a model of the zoo (kmax fetch --list); --out: the model folder (default models/NAME);\n' +
  '  --downloads: where the checkpoint is kept, resumable (default $XDG_CACHE_HOME/kmax-lens or ~/.cache/kmax-lens)';

/** Attempts per download: each resumes where the last connection broke. */
const ATTEMPTS = 5;

/**
 * `kmax fetch`: a model of the zoo -> a model folder. Downloads the checkpoint
 * into a `.part` file (resumed with HTTP Range after a broken connection, in
 * this run or the next), checks its size and published SHA-256, then converts
 * it exactly as `kmax convert` does.
 */
export async function fetchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      list: { type: 'boolean', default: false },
      out: { type: 'string' },
      fp16: { type: 'boolean', default: false },
      downloads: { type: 'string' },
    },
  });
  const catalogue = await loadCatalogue();
  if (values.list) {
    console.log(catalogueTable(catalogue));
    return 0;
  }
  const entry = findEntry(catalogue, requireValue(positionals[0], 'NAME', FETCH_USAGE));
  if (positionals.length > 1) throw new UsageError(`one NAME at a time\nusage: ${FETCH_USAGE}`);
  if (entry.unsupported !== undefined) throw new UsageError(`${entry.name} cannot run in kMaX Lens yet: ${entry.unsupported}`);
  if (entry.access === 'download-then-drop') {
    throw new UsageError(
      `${hostOfPage(entry.url)} gives ${entry.name} only through its web page: download ${entry.fileName} from ${entry.url}, then run\n` +
        `  kmax convert ${entry.fileName} --out ${values.out ?? `models/${entry.name}`}`,
    );
  }
  const out = values.out ?? path.join('models', entry.name);
  const downloads = values.downloads ?? defaultDownloads();
  const file = await fetchFile(entry, downloads);
  console.log(`${entry.name}: ${file}`);
  // The converter tells the format by the bytes; archives need it to accept them (issue 10, point 2).
  const code = await convertCommand([file, '--out', out, ...(values.fp16 ? ['--fp16'] : [])]);
  if (code === 0) console.log(`model: ${path.resolve(out)} (kmax segment IMAGE --model ${out} --out DIR)`);
  return code;
}

/** The shipped catalogue, or for tests only the file KMAX_ZOO_CATALOGUE names (stand-in hosts). */
async function loadCatalogue(): Promise<readonly ZooEntry[]> {
  const override = process.env.KMAX_ZOO_CATALOGUE;
  return override === undefined || override === '' ? CATALOGUE : parseCatalogue(JSON.parse(await readFile(override, 'utf8')));
}

function defaultDownloads(): string {
  const cache = process.env.XDG_CACHE_HOME;
  return path.join(cache === undefined || cache === '' ? path.join(homedir(), '.cache') : cache, 'kmax-lens');
}

/** The checkpoint on disk, downloaded or resumed as needed and verified. */
async function fetchFile(entry: ZooEntry, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, entry.fileName);
  const part = `${file}.part`;
  if (existsSync(file)) {
    console.log(`${entry.fileName} is already downloaded (${file})`);
    return file;
  }
  const bar = new DownloadBar(entry.fileName);
  try {
    for (let attempt = 1; ; attempt++) {
      const offset = existsSync(part) ? (await stat(part)).size : 0;
      try {
        const result = await downloadOnce(entry, part, offset, bar);
        await rename(part, file);
        bar.finish(`${entry.fileName}: ${result.bytes} bytes, SHA-256 ${result.sha256}${entry.sha256 === null ? '' : ' (as published)'}`);
        return file;
      } catch (error) {
        if (!(error instanceof ZooDownloadError) || error.failure !== 'truncated' || attempt === ATTEMPTS) throw error;
        bar.note(`${error.message}; resuming (attempt ${attempt + 1} of ${ATTEMPTS})`);
      }
    }
  } catch (error) {
    bar.finish();
    if (error instanceof ZooDownloadError) {
      // A wrong file is not kept; a broken connection is, for the next run.
      if (error.failure === 'size' || error.failure === 'hash') await rm(part, { force: true });
      const again = error.failure === 'truncated' ? ` ${part} is kept: run the same command again to resume.` : '';
      throw new ZooDownloadError(`could not download ${entry.name} from ${entry.url}: ${error.message}.${again}`, error.failure, error.received);
    }
    throw error;
  }
}

async function downloadOnce(entry: ZooEntry, part: string, offset: number, bar: DownloadBar) {
  const hash = sha256.create();
  if (offset > 0) for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
  // Opened once the host's answer is checked: a refused download leaves no file.
  let handle: FileHandle | undefined;
  let position = 0;
  try {
    return await download(entry, {
      offset,
      hash,
      onStart: async (start) => {
        // A host that ignored the Range sends everything again.
        handle = await open(part, start === 0 ? 'w' : 'r+');
        position = start;
        bar.start(start);
      },
      onChunk: async (chunk) => {
        await handle?.write(chunk, 0, chunk.byteLength, position);
        position += chunk.byteLength;
      },
      onProgress: (p) => bar.update(p),
    });
  } finally {
    await handle?.close();
  }
}

/** `kmax fetch --list`: one row per checkpoint. */
export function catalogueTable(catalogue: readonly ZooEntry[]): string {
  const rows = catalogue.map((e) => [
    e.name,
    e.dataset,
    e.backbone,
    e.pq === null ? '-' : e.pq.toFixed(1),
    e.inputSize.join('x'),
    e.bytes === null ? '?' : describeSize(e.bytes),
    e.access === 'direct' ? 'fetch' : 'download, then convert',
    e.unsupported === undefined ? e.preset ?? '' : `not yet: ${e.unsupported}`,
  ]);
  const header = ['name', 'dataset', 'backbone', 'PQ', 'input', 'size', 'get it by', 'preset'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line), '', `${catalogue.length} checkpoints. PQ as published on each validation set ("-": none published); size "?": the host does not publish it.`].join('\n');
}

function hostOfPage(url: string): string {
  return new URL(url).host === 'drive.google.com' ? 'Google Drive' : new URL(url).host;
}

/** Bytes, rate and ETA on one stderr line; only the summary when stderr is not a terminal. */
class DownloadBar {
  private started = 0;
  private from = 0;
  private last = '';

  constructor(private readonly name: string) {}

  start(from: number): void {
    this.started = performance.now();
    this.from = from;
  }

  update({ loaded, total }: DownloadProgress): void {
    const seconds = Math.max(1e-3, (performance.now() - this.started) / 1000);
    const rate = (loaded - this.from) / seconds;
    const width = 30;
    const filled = total === null || total === 0 ? 0 : Math.round((loaded / total) * width);
    const eta = total === null || rate <= 0 ? '?' : clock((total - loaded) / rate);
    const line =
      `${this.name} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${mb(loaded)}/${total === null ? '?' : mb(total)} MB ` +
      `${mb(rate)} MB/s ETA ${eta}`;
    if (process.stderr.isTTY && line !== this.last) process.stderr.write(`\r${line}`);
    this.last = line;
  }

  note(message: string): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.error(message);
  }

  finish(summary?: string): void {
    if (process.stderr.isTTY && this.last !== '') process.stderr.write('\n');
    else if (this.last !== '') console.error(this.last);
    this.last = '';
    if (summary !== undefined) console.error(summary);
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
