import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { standInEntry, startStandInHost, type StandInHost } from '../../src/zoo/stand-in-host';
import { runKmax } from '../run-in-process';

/** `kmax fetch` against a local stand-in host (never a real one), with a test catalogue through KMAX_ZOO_CATALOGUE. */

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const PTH = new Uint8Array(readFileSync(repo('training/fixtures/r50-coco-4stage/checkpoint.pth')));
/** deeplab2's layout as published: a .tar.gz with ckpt-N files, optimizer slots and the training textproto. */
const ARCHIVE = new Uint8Array(readFileSync(repo('src/checkpoints/archive/testdata/kmax_resnet50_coco_train.tar.gz')));
const SHA = createHash('sha256').update(PTH).digest('hex');
const IMAGE = repo('training/fixtures/test-image.png');
const work = mkdtempSync(path.join(tmpdir(), 'kmax-fetch-test-'));
let host: StandInHost;

/** A catalogue entry for the fixture served by the stand-in under `route`. */
const entry = (name: string, route: string, overrides: Record<string, unknown> = {}) => standInEntry(host.url, PTH, name, route, overrides);

beforeAll(async () => {
  host = await startStandInHost(new Map([['checkpoint.pth', PTH], ['kmax_resnet50_coco_train.tar.gz', ARCHIVE]]));
  const catalogue = {
    entries: [
      entry('cut-r50', 'cut/checkpoint.pth'),
      entry('hub-r50', 'cors/checkpoint.pth'),
      entry('unknown-size-r50', 'cors/checkpoint.pth', { bytes: null, sha256: null }),
      entry('wrong-size-r50', 'cors/checkpoint.pth', { bytes: PTH.byteLength + 1 }),
      entry('wrong-hash-r50', 'cors/checkpoint.pth', { sha256: '0'.repeat(64) }),
      entry('missing-r50', 'missing/checkpoint.pth'),
      entry('drive-r50', 'nocors/checkpoint.pth', { access: 'download-then-drop' }),
      entry('unrunnable', 'cors/checkpoint.pth', { preset: null, unsupported: 'a test entry whose backbone the engine lacks' }),
      entry('deeplab2-r50', 'cors/kmax_resnet50_coco_train.tar.gz', {
        source: 'deeplab2', bytes: ARCHIVE.byteLength, sha256: createHash('sha256').update(ARCHIVE).digest('hex'),
        fileName: 'kmax_resnet50_coco_train.tar.gz', format: 'tf-archive', preset: 'coco-r50-tf',
      }),
    ],
  };
  writeFileSync(path.join(work, 'catalogue.json'), JSON.stringify(catalogue));
});

afterAll(async () => {
  await host.close();
  rmSync(work, { recursive: true });
});

afterEach(() => {
  delete process.env.KMAX_ZOO_CATALOGUE;
  host.requests.length = 0;
});

const useTestCatalogue = () => void (process.env.KMAX_ZOO_CATALOGUE = path.join(work, 'catalogue.json'));
const fetchArgs = (name: string, dir: string) => ['fetch', name, '--out', path.join(work, dir, 'model'), '--downloads', path.join(work, dir, 'downloads')];

describe('kmax fetch', () => {
  it('--list prints the shipped catalogue: the 17 deeplab2 archives, the 9 PyTorch and the 5 COCONut checkpoints with their PQ', async () => {
    const { code, stdout } = await runKmax('fetch', '--list');
    expect(code).toBe(0);
    const rows = stdout.split('\n').slice(1, -2);
    expect(rows.filter((r) => r.startsWith('deeplab2-'))).toHaveLength(17);
    expect(rows.filter((r) => r.startsWith('pytorch-'))).toHaveLength(9);
    expect(rows.filter((r) => r.startsWith('coconut-'))).toHaveLength(5);
    // deeplab2 and the PyTorch README publish a PQ for every checkpoint (COCONut's Hub page none): a row shows it.
    // Columns are padded apart by two or more spaces; a cell (the backbone, "get it by") holds single ones only.
    const pq = stdout.split('\n')[0].split(/ {2,}/).indexOf('PQ');
    expect(pq).toBeGreaterThan(0);
    for (const row of rows.filter((r) => r.startsWith('deeplab2-') || r.startsWith('pytorch-'))) {
      expect(row.split(/ {2,}/)[pq], row).toMatch(/^\d+\.\d$/);
    }
    expect(stdout).toMatch(/^deeplab2-coco-r50 +COCO +ResNet-50 +53\.0 +1281x1281 +\? +fetch +coco-r50-tf$/m);
    expect(stdout).toMatch(/^deeplab2-cityscapes-maxs +Cityscapes +MaX-S \(axial ResNet-50, GeLU\) +66\.4 +1025x2049 +\? +fetch +cityscapes-max-s$/m);
    expect(stdout).toMatch(/^pytorch-ade20k-convnext-l +ADE20K +ConvNeXt-L +50\.0 +1281x1281 +\? +download, then convert +ade20k-convnext-l$/m);
    expect(stdout).toMatch(/^coconut-b-r50 +COCONut-B +ResNet-50 +- +1281x1281 +291 MB +fetch +coco-r50$/m);
  });

  it('downloads, resumes after the connection breaks half-way (HTTP Range), verifies, converts, and the model segments', async () => {
    useTestCatalogue();
    const { code, stdout, stderr } = await runKmax(...fetchArgs('cut-r50', 'cut'));
    expect(code, stderr).toBe(0);
    // The first answer broke after about half the file; the second asked for the rest only.
    const kept = Number(/after (\d+) of \d+ bytes.*; resuming \(attempt 2 of 5\)/.exec(stderr)?.[1]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(PTH.byteLength >> 1);
    expect(host.requests.map((r) => [r.path, r.range])).toEqual([
      ['/cut/checkpoint.pth', undefined],
      ['/cut/checkpoint.pth', `bytes=${kept}-`],
    ]);
    expect(stderr).toMatch(/cut-r50\.pth \[#{30}\] 2\.1\/2\.1 MB \d+\.\d MB\/s ETA 0:00/);
    expect(stderr).toContain(`cut-r50.pth: ${PTH.byteLength} bytes, SHA-256 ${SHA} (as published)`);
    const model = path.join(work, 'cut', 'model');
    expect(stdout).toMatch(/^detected detected-coco_panoptic-resnet-2-1-2-1-k24: /m);
    expect(stdout).toContain(`model: ${model} (kmax segment IMAGE --model`);
    expect(readFileSync(path.join(work, 'cut', 'downloads', 'cut-r50.pth'))).toEqual(Buffer.from(PTH));
    expect(existsSync(path.join(work, 'cut', 'downloads', 'cut-r50.pth.part'))).toBe(false);

    const seg = await runKmax('segment', IMAGE, '--model', model, '--out', path.join(work, 'cut', 'seg'), '--size', '129', '--backend', 'cpu');
    expect(seg.code, seg.stderr).toBe(0);
    const segments = JSON.parse(readFileSync(path.join(work, 'cut', 'seg', 'segments.json'), 'utf8')) as unknown[];
    expect(segments.length).toBeGreaterThan(0);
  }, 120_000);

  it("a deeplab2 .tar.gz entry downloads and converts with its textproto's crop size and thresholds", async () => {
    useTestCatalogue();
    const { code, stdout, stderr } = await runKmax(...fetchArgs('deeplab2-r50', 'archive'));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`kmax_resnet50_coco_train.tar.gz: ${ARCHIVE.byteLength} bytes`);
    const model = JSON.parse(readFileSync(path.join(work, 'archive', 'model', 'model.json'), 'utf8')) as { config: { inputSize: number[] } };
    // The fixture's textproto sets a 641 crop where detection alone would give the preset's 1281.
    expect(model.config.inputSize).toEqual([641, 641]);
    expect(stdout).toMatch(/textproto/);
  }, 180_000);

  it('a later run resumes a .part file left by an interrupted one', async () => {
    useTestCatalogue();
    const downloads = path.join(work, 'part', 'downloads');
    const head = PTH.subarray(0, 1000);
    mkdirSync(downloads, { recursive: true });
    writeFileSync(path.join(downloads, 'hub-r50.pth.part'), head);
    const { code, stderr } = await runKmax(...fetchArgs('hub-r50', 'part'));
    expect(code, stderr).toBe(0);
    expect(host.requests).toEqual([{ path: '/cors/checkpoint.pth', range: 'bytes=1000-' }]);
    expect(readFileSync(path.join(downloads, 'hub-r50.pth'))).toEqual(Buffer.from(PTH));
  }, 120_000);

  it('without a published size or hash, the size the host announces is still checked', async () => {
    useTestCatalogue();
    const { code, stderr } = await runKmax(...fetchArgs('unknown-size-r50', 'unknown'));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`unknown-size-r50.pth: ${PTH.byteLength} bytes, SHA-256 ${SHA}`);
    expect(stderr).not.toContain('(as published)');
  }, 120_000);

  it('a wrong size, a wrong hash and a 404 each fail with the reason, keeping no file', async () => {
    useTestCatalogue();
    const cases: [string, RegExp][] = [
      ['wrong-size-r50', new RegExp(`could not download wrong-size-r50 from http://127\\.0\\.0\\.1:\\d+/cors/checkpoint\\.pth: 127\\.0\\.0\\.1:\\d+ announces ${PTH.byteLength} bytes, the catalogue says ${PTH.byteLength + 1}: not the published file\\.$`)],
      ['wrong-hash-r50', new RegExp(`the file's SHA-256 is ${SHA}, the published one 0{64}: it is not the published file\\.$`)],
      ['missing-r50', /127\.0\.0\.1:\d+ answered 404 Not Found for http:\/\/127\.0\.0\.1:\d+\/missing\/checkpoint\.pth\.$/],
    ];
    for (const [name, message] of cases) {
      const { code, stderr } = await runKmax(...fetchArgs(name, name));
      expect(code, name).toBe(1);
      expect(stderr.split('\n').at(-1), name).toMatch(/^kmax fetch: ZooDownloadError: /);
      expect(stderr, name).toMatch(message);
      expect(existsSync(path.join(work, name, 'downloads', `${name}.pth`)), name).toBe(false);
      expect(existsSync(path.join(work, name, 'downloads', `${name}.pth.part`)), name).toBe(false);
      expect(existsSync(path.join(work, name, 'model')), name).toBe(false);
    }
  });

  it('says before any download that an entry cannot run, or must be downloaded by hand', async () => {
    useTestCatalogue();
    const unrunnable = await runKmax(...fetchArgs('unrunnable', 'unrunnable'));
    expect(unrunnable.code).toBe(2);
    expect(unrunnable.stderr).toBe('kmax fetch: unrunnable cannot run in kMaX Lens yet: a test entry whose backbone the engine lacks');
    const drive = await runKmax(...fetchArgs('drive-r50', 'drive'));
    expect(drive.code).toBe(2);
    expect(drive.stderr).toMatch(/^kmax fetch: 127\.0\.0\.1:\d+ gives drive-r50 only through its web page: download drive-r50\.pth from http:\/\/127\.0\.0\.1:\d+\/nocors\/checkpoint\.pth, then run\n {2}kmax convert drive-r50\.pth --out /);
    expect(host.requests).toEqual([]);
    delete process.env.KMAX_ZOO_CATALOGUE;
    const unknown = await runKmax('fetch', 'no-such-model');
    expect(unknown.stderr).toBe(`kmax fetch: UnknownZooEntryError: no model "no-such-model" in the model zoo; 'kmax fetch --list' lists them`);
  });
});
