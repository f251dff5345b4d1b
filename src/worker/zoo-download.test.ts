import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedCheckpointFile } from '../checkpoints/convert';
import type { StoredModel } from '../loading/model-store';
import type { KMaXConfig } from '../model/config';
import type { Segmenter } from '../segmenter/types';
import { startStandInHost, type StandInHost } from '../zoo/stand-in-host';
import { SegmenterWorkerConnection, type WorkerLike } from './client';
import { CancelledError, RemoteError } from './errors';
import { SegmenterWorkerHandler, type HandlerEnvironment } from './handler';
import type { Reply, Request } from './protocol';
import { downloadCheckpoint, type ZooDownloadTarget } from './zoo-download';

/** The worker's `download` request, looped back from the page-side client, against a local stand-in host. */

const PTH = new Uint8Array(readFileSync(fileURLToPath(new URL('../../training/fixtures/r50-coco-4stage/checkpoint.pth', import.meta.url))));
const SHA = createHash('sha256').update(PTH).digest('hex');
const MODEL: StoredModel = { id: 'converted-abc', name: 'x.pth · m', config: { name: 'm' } as KMaXConfig, classes: [], provenance: { source: 'pytorch', tool: 't' }, bytes: 8 };
let host: StandInHost;

beforeAll(async () => {
  host = await startStandInHost(new Map([['checkpoint.pth', PTH]]));
});
afterAll(async () => host.close());

const target = (route: string, known = true): ZooDownloadTarget => ({ url: `${host.url}/${route}`, fileName: 'zoo.pth', bytes: known ? PTH.byteLength : null, sha256: known ? SHA : null });

function loopBack(env: Partial<HandlerEnvironment>): SegmenterWorkerConnection {
  const listeners: ((event: MessageEvent<Reply>) => void)[] = [];
  const segmenter: Segmenter = {
    config: { name: 'loaded' } as KMaXConfig,
    classes: [],
    segment: async (image) => ({ panoptic: { width: image.width, height: image.height, ids: new Int32Array(image.width * image.height), segments: [] }, timings: [], inputSize: [1, 1] }),
    dispose: () => undefined,
  };
  const handler = new SegmenterWorkerHandler({
    post: (reply) => queueMicrotask(() => listeners.forEach((l) => l({ data: structuredClone(reply) } as MessageEvent<Reply>))),
    chooseBackend: async () => ({ backend: 'cpu', skipped: [] }),
    restartBackend: async () => ({ backend: 'cpu', skipped: [] }),
    watchDeviceLoss: () => undefined,
    loseDevice: () => false,
    loadSegmenter: async () => segmenter,
    ...env,
  });
  const worker: WorkerLike = {
    postMessage: (message) => void handler.handle(structuredClone(message) as Request),
    addEventListener: (type: string, listener: (event: never) => void) => {
      if (type === 'message') listeners.push(listener as (event: MessageEvent<Reply>) => void);
    },
    terminate: () => undefined,
  };
  return new SegmenterWorkerConnection(worker);
}

describe('the worker downloads a zoo checkpoint', () => {
  it('streams it into a Blob with byte progress, then converts it as a dropped file', async () => {
    for (const known of [true, false]) {
      const converted: NamedCheckpointFile[] = [];
      const connection = loopBack({
        downloadCheckpoint,
        convertCheckpoint: async (files, options, onProgress) => {
          converted.push(...files);
          expect(options).toEqual({ inputSize: [129, 129] });
          onProgress({ status: 'convert', converted: 1, total: 1 });
          return MODEL;
        },
      });
      const bytes: (number | null)[][] = [];
      const phases: string[] = [];
      const model = await connection.download(target('cors/checkpoint.pth', known), {
        inputSize: [129, 129],
        onDownload: (p) => bytes.push([p.loaded, p.total]),
        onProgress: (p) => phases.push(p.status),
      });
      expect(model).toEqual(MODEL);
      expect(converted).toHaveLength(1);
      expect(converted[0].name).toBe('zoo.pth');
      const file = new Uint8Array(await (converted[0].file as Blob).arrayBuffer());
      expect(file.byteLength).toBe(PTH.byteLength);
      expect(createHash('sha256').update(file).digest('hex')).toBe(SHA);
      expect(bytes[0]).toEqual([0, PTH.byteLength]);
      expect(bytes.at(-1)).toEqual([PTH.byteLength, PTH.byteLength]);
      expect(bytes.length).toBeGreaterThan(2);
      expect(phases).toEqual(['convert']);
    }
  });

  it('runs beside the queue: the loaded model answers while a download waits', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const connection = loopBack({
      downloadCheckpoint: async () => {
        await gate;
        return { name: 'zoo.pth', file: PTH };
      },
      convertCheckpoint: async () => MODEL,
    });
    const segmenter = await connection.load({ kind: 'url', url: '/m/model.json' });
    const downloading = connection.download(target('cors/checkpoint.pth'), {});
    const result = await segmenter.segment({ width: 2, height: 1, channels: 3, data: new Uint8Array(6) });
    expect(result.panoptic.width).toBe(2);
    release();
    expect(await downloading).toEqual(MODEL);
  });

  it('a cancel stops the download and nothing is converted', async () => {
    let converted = 0;
    const connection = loopBack({
      downloadCheckpoint: (_target, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
      convertCheckpoint: async () => {
        converted++;
        return MODEL;
      },
    });
    const controller = new AbortController();
    const downloading = connection.download(target('cors/checkpoint.pth'), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await expect(downloading).rejects.toBeInstanceOf(CancelledError);
    expect(converted).toBe(0);
  });

  it('a refused host reaches the page as ZooHostRefusedError, other failures as ZooDownloadError', async () => {
    const connection = loopBack({ downloadCheckpoint, convertCheckpoint: async () => MODEL });
    const refused = await connection.download({ ...target('x'), url: 'http://127.0.0.1:1/x.pth' }, {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RemoteError);
    expect(refused).toMatchObject({ name: 'ZooHostRefusedError', message: expect.stringMatching(/^127\.0\.0\.1:1 refused the download/) });
    const wrong = await connection.download({ ...target('cors/checkpoint.pth'), bytes: PTH.byteLength - 1 }, {}).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ name: 'ZooDownloadError', message: `${host.url.slice(7)} announces ${PTH.byteLength} bytes, the catalogue says ${PTH.byteLength - 1}: not the published file` });
  });

  it('a cut-off download resumes on the next Get with a Range request after the bytes it kept; the whole file is checked', async () => {
    for (const [route, resumed] of [['cut', true], ['cutwhole', false]] as const) {
      host.requests.length = 0;
      const got: Uint8Array[] = [];
      const connection = loopBack({
        downloadCheckpoint,
        convertCheckpoint: async (files) => {
          got.push(new Uint8Array(await (files[0].file as Blob).arrayBuffer()));
          return MODEL;
        },
      });
      const bytes: number[] = [];
      const first = await connection.download(target(`${route}/checkpoint.pth`), { onDownload: (p) => bytes.push(p.loaded) }).catch((e: unknown) => e);
      expect(first).toMatchObject({ name: 'ZooDownloadError', message: expect.stringMatching(/broke after \d+ of \d+ bytes/) });
      const kept = bytes.at(-1) as number;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(PTH.byteLength);
      const again: number[] = [];
      expect(await connection.download(target(`${route}/checkpoint.pth`), { onDownload: (p) => again.push(p.loaded) })).toEqual(MODEL);
      // The host's 206 goes on after the kept bytes; a host that ignores the Range (200) starts the file over.
      expect(host.requests).toEqual([
        { path: `/${route}/checkpoint.pth`, range: undefined },
        { path: `/${route}/checkpoint.pth`, range: `bytes=${kept}-` },
      ]);
      expect(again[0]).toBe(resumed ? kept : 0);
      expect(got).toHaveLength(1);
      expect(createHash('sha256').update(got[0]).digest('hex')).toBe(SHA);
    }
  });

  it('a cancelled download keeps nothing: the next Get starts from the first byte', async () => {
    host.requests.length = 0;
    let converted = 0;
    const connection = loopBack({ downloadCheckpoint, convertCheckpoint: async () => (converted++, MODEL) });
    const controller = new AbortController();
    const loaded: number[] = [];
    const cancelled = connection
      .download(target('slow/checkpoint.pth'), { signal: controller.signal, onDownload: (p) => (loaded.push(p.loaded), p.loaded > 0 && controller.abort()) })
      .catch((e: unknown) => e);
    expect(await cancelled).toBeInstanceOf(CancelledError);
    expect(loaded.at(-1)).toBeLessThan(PTH.byteLength);
    expect(converted).toBe(0);
    expect(await connection.download(target('cors/checkpoint.pth'), {})).toEqual(MODEL);
    expect(host.requests.map((r) => r.range)).toEqual([undefined, undefined]);
  });
});
