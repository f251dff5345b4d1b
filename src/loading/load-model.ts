import { manifestBytes, parseModelJson, ModelFormatError } from './model-folder';
import type { ModelJson } from './model-format';

/** Where a model comes from: a served folder (its model.json URL) or files in memory. */
export type ModelSource =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'files'; readonly files: ReadonlyMap<string, Uint8Array> };

/**
 * Progress of a model load, in the manner of transformers.js: `initiate` once the
 * manifest is read (total known up front), `progress` per chunk, `done` when all
 * bytes are in, `ready` once the model is built. `loaded` never decreases.
 */
export interface LoadProgress {
  readonly status: 'initiate' | 'progress' | 'done' | 'ready';
  readonly loaded: number;
  readonly total: number;
  readonly file?: string;
}

export type ProgressCallback = (event: LoadProgress) => void;

export interface FetchedModel {
  readonly modelJson: ModelJson;
  readonly shards: ReadonlyMap<string, Uint8Array>;
}

/** Reads model.json and every shard of a model, reporting bytes as they arrive. */
export async function fetchModel(source: ModelSource, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<FetchedModel> {
  if (source.kind === 'files') {
    const json = source.files.get('model.json');
    if (json === undefined) throw new ModelFormatError('no model.json among the model files');
    return readShards(parseModelJson(new TextDecoder().decode(json)), onProgress, async (path, onChunk) => {
      const bytes = source.files.get(path);
      if (bytes === undefined) throw new ModelFormatError(`weight shard "${path}" is missing from the model files`);
      onChunk(bytes.byteLength);
      return bytes;
    });
  }
  const modelJson = parseModelJson(await (await fetchOk(source.url, signal)).text(), source.url);
  return readShards(modelJson, onProgress, async (path, onChunk) =>
    readBody(await fetchOk(new URL(path, new URL(source.url, baseHref())).toString(), signal), onChunk),
  );
}

/** Reads every shard the manifest names, in order; the total is known before the first byte. */
async function readShards(
  modelJson: ModelJson,
  onProgress: ProgressCallback | undefined,
  read: (path: string, onChunk: (bytes: number) => void) => Promise<Uint8Array>,
): Promise<FetchedModel> {
  const total = manifestBytes(modelJson);
  onProgress?.({ status: 'initiate', loaded: 0, total });
  const shards = new Map<string, Uint8Array>();
  let loaded = 0;
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) {
      const bytes = await read(path, (n) => {
        loaded += n;
        onProgress?.({ status: 'progress', loaded, total, file: path });
      });
      shards.set(path, bytes);
    }
  }
  onProgress?.({ status: 'done', loaded, total });
  return { modelJson, shards };
}

function baseHref(): string {
  return typeof location !== 'undefined' ? location.href : 'file:///';
}

async function fetchOk(url: string, signal?: AbortSignal): Promise<Response> {
  const response = await fetch(url, { signal });
  if (!response.ok) throw new ModelFormatError(`could not fetch ${url}: HTTP ${response.status}`);
  return response;
}

async function readBody(response: Response, onChunk: (bytes: number) => void): Promise<Uint8Array> {
  if (response.body === null) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onChunk(bytes.byteLength);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    onChunk(value.byteLength);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
