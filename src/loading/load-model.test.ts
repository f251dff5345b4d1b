import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelFiles } from '../test-utils/fixtures';
import { fetchModel, type LoadProgress } from './load-model';
import { manifestBytes, parseModelJson } from './model-folder';

describe('fetchModel', () => {
  let files: Map<string, Uint8Array>;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    files = await fixtureModelFiles('r50-coco-4stage');
    server = createServer((req, res) => {
      const body = files.get((req.url ?? '').replace('/model/', ''));
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': body.byteLength }).end(Buffer.from(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('streams every shard from a URL with a well-formed progress stream', async () => {
    const events: LoadProgress[] = [];
    const { shards } = await fetchModel({ kind: 'url', url: `${base}model.json` }, (e) => events.push(e));
    const total = manifestBytes(parseModelJson(new TextDecoder().decode(files.get('model.json'))));
    expect(events[0]).toEqual({ status: 'initiate', loaded: 0, total });
    expect(events.at(-1)).toEqual({ status: 'done', loaded: total, total });
    for (let i = 1; i < events.length; i++) {
      expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
      expect(events[i].total).toBe(total);
    }
    for (const [name, bytes] of shards) expect(Buffer.from(bytes).equals(Buffer.from(files.get(name) ?? []))).toBe(true);
  });

  it('names the URL of a missing model', async () => {
    await expect(fetchModel({ kind: 'url', url: `${base}nothing.json` })).rejects.toThrow(`could not fetch ${base}nothing.json: HTTP 404`);
  });

  it('refuses a file that is not a kMaX Lens model.json', async () => {
    const bad = new Map([['model.json', new TextEncoder().encode('{"format": "tfjs-layers"}')]]);
    await expect(fetchModel({ kind: 'files', files: bad })).rejects.toThrow(/is not a kMaX Lens model \(format "tfjs-layers"/);
  });

  it('refuses a trained attention it does not know, and keeps a known one', async () => {
    const files = await fixtureModelFiles('r50-coco-4stage');
    const json = JSON.parse(new TextDecoder().decode(files.get('model.json'))) as Record<string, Record<string, unknown>>;
    const withTrained = (mode: string): Map<string, Uint8Array> =>
      new Map([...files, ['model.json', new TextEncoder().encode(JSON.stringify({ ...json, provenance: { ...json.provenance, trainedAttention: mode } }))]]);
    await expect(fetchModel({ kind: 'files', files: withTrained('argmax') })).rejects.toThrow(
      'model.json: provenance.trainedAttention is "argmax", expected one of kmeans, softmax, masked, cluster-softmax',
    );
    expect((await fetchModel({ kind: 'files', files: withTrained('masked') })).modelJson.provenance.trainedAttention).toBe('masked');
  });
});
