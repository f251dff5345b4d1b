import type { ClassInfo, KMaXConfig } from '../model/config';
import { manifestBytes, parseModelJson, type ModelFiles, type StreamedModelFolder } from './model-folder';
import type { Provenance } from './model-format';

/**
 * Converted models kept in the browser, in Cache Storage: each file of a model
 * folder (model.json and its shards) is one cache entry under a per-model path.
 * model.json is written last and removed first, so it marks a complete model: an
 * interrupted save leaves no half model in the list. Usable on the page (list,
 * delete) and in the worker (save, read), which share the origin's storage.
 */

/** What the model picker shows of a stored model, read from its model.json. */
export interface StoredModel {
  readonly id: string;
  readonly name: string;
  readonly config: KMaXConfig;
  readonly classes: readonly ClassInfo[];
  readonly provenance: Provenance;
  /** Weight bytes in storage. */
  readonly bytes: number;
}

export interface StoreProgress {
  readonly status: 'store';
  readonly stored: number;
  readonly total: number;
}

/** The browser refused storage, or it ran out: the message says which and what to do. */
export class ModelStorageError extends Error {
  override readonly name = 'ModelStorageError';
}

const CACHE_NAME = 'kmax-lens-converted-models';
const MODEL_JSON = 'model.json';
/** Id prefix of stored models, which keeps them apart from served folders. */
export const STORED_ID_PREFIX = 'converted-';

/** Opens the store; a browser without Cache Storage, or one that refuses it, gets ModelStorageError. */
export async function openModelStore(storage: CacheStorage | undefined = globalThis.caches): Promise<ModelStore> {
  if (storage === undefined) {
    throw new ModelStorageError(
      'This browser offers no Cache Storage here (it needs https or localhost), so converted models cannot be kept. Serve the app over https.',
    );
  }
  try {
    return new ModelStore(await storage.open(CACHE_NAME));
  } catch (error) {
    throw new ModelStorageError(
      `The browser refused storage for converted models (${messageOf(error)}). Private windows and "block site data" settings do this; allow site data for this page and try again.`,
    );
  }
}

/** The id a checkpoint's model is stored under: the same file converted twice replaces itself. */
export function storedModelId(provenance: Provenance): string {
  const sha = provenance.files?.[0]?.sha256 ?? provenance.sha256;
  if (sha === undefined) throw new ModelStorageError('a converted model needs the SHA-256 of its source file in its provenance');
  return `${STORED_ID_PREFIX}${sha.slice(0, 16)}`;
}

export const isStoredModelId = (id: string): boolean => id.startsWith(STORED_ID_PREFIX);

export class ModelStore {
  constructor(private readonly cache: Cache) {}

  /** Every complete stored model, oldest first. */
  async list(): Promise<StoredModel[]> {
    const models: StoredModel[] = [];
    for (const request of await this.cache.keys()) {
      const id = idOfModelJson(request.url);
      if (id === undefined) continue;
      const response = await this.cache.match(request);
      if (response !== undefined) models.push(describe(id, await response.text()));
    }
    return models.sort((a, b) => (a.provenance.createdAt ?? '').localeCompare(b.provenance.createdAt ?? ''));
  }

  /**
   * Writes a model folder shard by shard, model.json last; on failure nothing of it
   * stays. A streamed folder's shards are made one at a time as they are written.
   */
  async save(id: string, folder: ModelFiles | StreamedModelFolder, onProgress?: (progress: StoreProgress) => void): Promise<StoredModel> {
    const streamed = isStreamed(folder) ? folder : streamedOf(folder);
    const total = streamed.totalBytes;
    let stored = 0;
    await this.delete(id);
    let json: string;
    try {
      for (const [name, bytes] of streamed.shards()) {
        await this.cache.put(keyOf(id, name), new Response(bytes as Uint8Array<ArrayBuffer>));
        stored += bytes.byteLength;
        onProgress?.({ status: 'store', stored, total });
      }
      json = JSON.stringify(streamed.modelJson());
      await this.cache.put(keyOf(id, MODEL_JSON), new Response(json, { headers: { 'Content-Type': 'application/json' } }));
    } catch (error) {
      await this.delete(id).catch(() => undefined);
      const full = error instanceof DOMException && error.name === 'QuotaExceededError';
      throw new ModelStorageError(
        full
          ? `Not enough storage for this model (${megabytes(total)}): delete a stored model or free disk space, then convert again.`
          : `The browser refused to store the converted model (${messageOf(error)}).`,
      );
    }
    return describe(id, json);
  }

  /** model.json and every shard of a stored model, by file name (a load's `files` source). */
  async read(id: string): Promise<Map<string, Uint8Array>> {
    const json = await this.cache.match(keyOf(id, MODEL_JSON));
    if (json === undefined) throw new ModelStorageError(`The converted model "${id}" is no longer stored (deleted, or the browser cleared site data): convert its checkpoint again.`);
    const files = new Map<string, Uint8Array>([[MODEL_JSON, new Uint8Array(await json.arrayBuffer())]]);
    const modelJson = parseModelJson(new TextDecoder().decode(files.get(MODEL_JSON)), `stored model ${id}`);
    for (const name of modelJson.weightsManifest.flatMap((group) => group.paths)) {
      const shard = await this.cache.match(keyOf(id, name));
      if (shard !== undefined) files.set(name, new Uint8Array(await shard.arrayBuffer()));
    }
    return files;
  }

  /** Removes a stored model (model.json first); false when there was none. */
  async delete(id: string): Promise<boolean> {
    const existed = await this.cache.delete(keyOf(id, MODEL_JSON));
    const prefix = keyOf(id, '');
    for (const request of await this.cache.keys()) {
      if (request.url.startsWith(prefix)) await this.cache.delete(request);
    }
    return existed;
  }
}

function isStreamed(folder: ModelFiles | StreamedModelFolder): folder is StreamedModelFolder {
  return typeof folder.shards === 'function';
}

function streamedOf(folder: ModelFiles): StreamedModelFolder {
  return {
    totalBytes: [...folder.shards.values()].reduce((n, b) => n + b.byteLength, 0),
    shards: () => folder.shards.entries(),
    modelJson: () => folder.modelJson,
  };
}

/** Cache keys must be http(s) URLs; they are never fetched. */
function keyOf(id: string, file: string): string {
  const origin = globalThis.location?.origin ?? 'http://localhost';
  return `${origin}/kmax-lens/converted-models/${encodeURIComponent(id)}/${file}`;
}

function idOfModelJson(url: string): string | undefined {
  const match = /\/kmax-lens\/converted-models\/([^/]+)\/model\.json$/.exec(url);
  return match === null ? undefined : decodeURIComponent(match[1]);
}

function describe(id: string, json: string): StoredModel {
  const modelJson = parseModelJson(json, `stored model ${id}`);
  const file = modelJson.provenance.files?.[0]?.name ?? modelJson.provenance.fileName;
  return {
    id,
    name: file === undefined ? modelJson.config.name : `${file} · ${modelJson.config.name}`,
    config: modelJson.config,
    classes: modelJson.classes,
    provenance: modelJson.provenance,
    bytes: manifestBytes(modelJson),
  };
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
