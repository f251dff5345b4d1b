import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIXTURES_DIR } from '../test-utils/fixtures';
import { convertCheckpoint } from '../checkpoints/convert';
import { convertToStore } from '../worker/convert-checkpoint';
import { fetchModel } from './load-model';
import { decodeModelWeights, encodeModelFolder, ModelIntegrityError } from './model-folder';
import { ModelStorageError, openModelStore, storedModelId } from './model-store';
import type { KMaXConfig } from '../model/config';

/** Cache Storage in memory (Node has none); `quota` bytes, then QuotaExceededError. */
function memoryCaches(quota = Infinity): CacheStorage & { entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  const url = (key: RequestInfo | URL) => (key instanceof Request ? key.url : String(key));
  const used = () => [...entries.values()].reduce((n, b) => n + b.byteLength, 0);
  const cache = {
    put: async (key: RequestInfo | URL, response: Response) => {
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (used() + bytes.byteLength > quota) throw new DOMException('quota', 'QuotaExceededError');
      entries.set(url(key), bytes);
    },
    match: async (key: RequestInfo | URL) => {
      const bytes = entries.get(url(key));
      return bytes === undefined ? undefined : new Response(bytes.slice());
    },
    keys: async () => [...entries.keys()].map((u) => new Request(u)),
    delete: async (key: RequestInfo | URL) => entries.delete(url(key)),
  };
  return { entries, open: async () => cache } as unknown as CacheStorage & { entries: Map<string, Uint8Array> };
}

const CONFIG = { name: 'small', inputSize: [65, 97], dataset: 'coco_panoptic' } as unknown as KMaXConfig;

function folder(sha: string, createdAt: string, values: number[]) {
  return encodeModelFolder({
    config: CONFIG,
    classes: [{ id: 0, datasetId: 1, name: 'person', isThing: true, color: [1, 2, 3] }],
    provenance: { source: 'pytorch', tool: 'test', createdAt, files: [{ name: `${sha}.pth`, bytes: 10, sha256: sha }] },
    tensors: new Map([['w', { shape: [values.length], data: new Float32Array(values) }]]),
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('model store', () => {
  it('saves, lists oldest first, reads back byte for byte, and deletes', async () => {
    const store = await openModelStore(memoryCaches());
    const a = folder('aa'.repeat(32), '2024-02-01T00:00:00Z', [1.5, -2]);
    const b = folder('bb'.repeat(32), '2024-01-01T00:00:00Z', [3]);
    const progress: number[] = [];
    const saved = await store.save(storedModelId(a.modelJson.provenance), a, (p) => progress.push(p.stored / p.total));
    await store.save(storedModelId(b.modelJson.provenance), b);
    expect(progress).toEqual([1]);
    expect(saved).toMatchObject({ id: `converted-${'a'.repeat(16)}`, name: `${'aa'.repeat(32)}.pth · small`, bytes: 8 });
    expect((await store.list()).map((m) => m.id)).toEqual([`converted-${'b'.repeat(16)}`, saved.id]);

    const files = await store.read(saved.id);
    expect([...files.keys()]).toEqual(['model.json', 'group1-shard1of1.bin']);
    expect(new Float32Array(files.get('group1-shard1of1.bin')!.slice().buffer)).toEqual(new Float32Array([1.5, -2]));
    expect(JSON.parse(new TextDecoder().decode(files.get('model.json')))).toEqual(a.modelJson);

    expect(await store.delete(saved.id)).toBe(true);
    expect(await store.delete(saved.id)).toBe(false);
    expect((await store.list()).map((m) => m.id)).toEqual([`converted-${'b'.repeat(16)}`]);
    await expect(store.read(saved.id)).rejects.toThrow(/no longer stored.*convert its checkpoint again/);
  });

  it('leaves nothing behind when the quota runs out, and says what to do', async () => {
    const caches = memoryCaches(4);
    const store = await openModelStore(caches);
    const big = folder('cc'.repeat(32), '2024-01-01T00:00:00Z', [1, 2, 3]);
    const error = await store.save('converted-c', big).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelStorageError);
    expect((error as Error).message).toMatch(/Not enough storage for this model \(0\.0 MB\): delete a stored model/);
    expect(caches.entries.size).toBe(0);
    expect(await store.list()).toEqual([]);
  });

  it('explains refused storage: no Cache Storage, or open() rejected', async () => {
    await expect(openModelStore(undefined)).rejects.toThrow(/no Cache Storage here \(it needs https or localhost\)/);
    const refusing = { open: () => Promise.reject(new DOMException('denied', 'SecurityError')) } as unknown as CacheStorage;
    const error = await openModelStore(refusing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelStorageError);
    expect((error as Error).message).toMatch(/refused storage for converted models \(denied\).*allow site data/);
  });

  it('converts the r50-coco-4stage checkpoint (a Blob) into the store, with progress in order', async () => {
    const caches = memoryCaches();
    vi.stubGlobal('caches', caches);
    const bytes = readFileSync(path.join(FIXTURES_DIR, 'r50-coco-4stage', 'checkpoint.pth'));
    const phases: string[] = [];
    const model = await convertToStore([{ name: 'checkpoint.pth', file: new Blob([bytes]) }], { inputSize: [129, 129] }, (p) => {
      if (phases.at(-1) !== p.status) phases.push(p.status);
    });
    expect(phases).toEqual(['read', 'convert', 'store']);
    expect(model.name).toBe('checkpoint.pth · detected-coco_panoptic-resnet-2-1-2-1-k24');
    expect(model.config.transformerDecoder.numClusters).toBe(24);
    expect(model.config.inputSize).toEqual([129, 129]);
    expect(model.classes).toHaveLength(133);
    expect(model.provenance.files?.[0]).toMatchObject({ name: 'checkpoint.pth', bytes: bytes.byteLength });
    const files = await (await openModelStore()).read(model.id);
    const stored = [...files.values()].slice(1).reduce((n, b) => n + b.byteLength, 0);
    expect(stored).toBe(model.bytes);
    expect(model.bytes).toBeGreaterThan(0.5 * bytes.byteLength);
    // The File was read by range and stored shard by shard: the same shards as the whole file converted at once.
    const whole = await convertCheckpoint(new Uint8Array(bytes));
    const expected = encodeModelFolder({ config: model.config, classes: model.classes, provenance: model.provenance, tensors: whole.tensors });
    expect(whole.provenance.files[0].sha256).toBe(model.provenance.files?.[0]?.sha256);
    expect([...files.keys()].slice(1)).toEqual([...expected.shards.keys()]);
    for (const [name, shard] of expected.shards) expect(Buffer.compare(files.get(name)!, shard)).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(files.get('model.json')))).toEqual(expected.modelJson);
  });

  it('a shard damaged in storage fails its load with ModelIntegrityError naming the shard', async () => {
    const caches = memoryCaches();
    const store = await openModelStore(caches);
    const a = folder('dd'.repeat(32), '2024-01-01T00:00:00Z', [1.5, -2]);
    const id = storedModelId(a.modelJson.provenance);
    await store.save(id, a);
    const key = [...caches.entries.keys()].find((k) => k.endsWith('/group1-shard1of1.bin')) as string;
    caches.entries.get(key)![3] ^= 0x01; // one bit of the first float
    const { modelJson, shards } = await fetchModel({ kind: 'files', files: await store.read(id) });
    const error = (() => {
      try {
        decodeModelWeights(modelJson, shards);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect((error as ModelIntegrityError).shard).toBe('group1-shard1of1.bin');
    expect((error as Error).message).toMatch(/^weight shard "group1-shard1of1\.bin" is corrupted: its SHA-256 is [0-9a-f]{16}… but model\.json records [0-9a-f]{16}…/);
  });
});
