import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * One HTTP download of a zoo file, streamed chunk by chunk to the caller (a
 * `.part` file in the CLI, one buffer in the Worker), with resume from a byte
 * offset (HTTP Range), the size checked against the host's headers and the
 * catalogue before any byte is kept, and the SHA-256 checked at the end. Uses
 * only `fetch`, so it runs in Node and in a Worker.
 */

/** What went wrong, so that the CLI and the page can say what to do next. */
export type DownloadFailure =
  /** No answer a script may read: CORS refused, DNS, connection refused (fetch's TypeError). */
  | 'refused'
  /** An answer other than 200/206 (403, 404...). */
  | 'http'
  /** The host announces another size than the catalogue's. */
  | 'size'
  /** The connection ended before the announced size. */
  | 'truncated'
  /** Every byte came, but not the published ones. */
  | 'hash';

export class ZooDownloadError extends Error {
  /** A refusal has its own name, which survives the worker boundary: the page then offers the link and the drop target. */
  override readonly name: 'ZooDownloadError' | 'ZooHostRefusedError';
  constructor(
    message: string,
    readonly failure: DownloadFailure,
    /** Bytes of the file now held (for a resume). */
    readonly received = 0,
  ) {
    super(message);
    this.name = failure === 'refused' ? 'ZooHostRefusedError' : 'ZooDownloadError';
  }
}

export interface DownloadTarget {
  readonly url: string;
  /** Exact size where known. */
  readonly bytes: number | null;
  readonly sha256: string | null;
}

export interface DownloadProgress {
  /** Bytes of the file held, counting a resumed prefix. */
  readonly loaded: number;
  /** The whole file's size, when the host or the catalogue says it. */
  readonly total: number | null;
}

export interface DownloadOptions {
  /** Bytes already held (a `.part` file): asks for the rest with a Range request. */
  readonly offset?: number;
  /** SHA-256 state over the bytes already held (required with an offset when the hash is checked). */
  readonly hash?: ReturnType<typeof sha256.create>;
  readonly signal?: AbortSignal;
  /**
   * Called once the host's answer is checked, before any body byte: `start` is where the body goes in the file
   * (0 when the host ignored the Range), `hash` the SHA-256 state the body's bytes go into (a new one from 0).
   */
  readonly onStart?: (start: number, total: number | null, hash: ReturnType<typeof sha256.create>) => void | Promise<void>;
  /** Each body chunk, in order. */
  readonly onChunk: (chunk: Uint8Array) => void | Promise<void>;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadResult {
  readonly bytes: number;
  readonly sha256: string;
}

export async function download(target: DownloadTarget, options: DownloadOptions): Promise<DownloadResult> {
  const offset = options.offset ?? 0;
  let response: Response;
  try {
    response = await fetch(target.url, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    throw new ZooDownloadError(`${hostOf(target.url)} refused the download (${(error as Error).message})`, 'refused');
  }
  const { start, total } = checkAnswer(target, response, offset);
  // A host that ignores Range sends the whole file again: start over.
  const hash = start === 0 ? sha256.create() : (options.hash ?? sha256.create());
  await options.onStart?.(start, total, hash);
  let loaded = start;
  options.onProgress?.({ loaded, total });
  const reader = response.body?.getReader();
  try {
    for (;;) {
      if (reader === undefined) break;
      const { done, value } = await reader.read();
      if (done) break;
      if (total !== null && loaded + value.byteLength > total) {
        throw new ZooDownloadError(`${hostOf(target.url)} sent more than the ${total} bytes it announced`, 'size', loaded);
      }
      await options.onChunk(value);
      hash.update(value);
      loaded += value.byteLength;
      options.onProgress?.({ loaded, total });
    }
  } catch (error) {
    if (options.signal?.aborted === true || error instanceof ZooDownloadError) throw error;
    throw new ZooDownloadError(`the connection to ${hostOf(target.url)} broke after ${loaded} of ${total ?? 'an unknown number of'} bytes (${(error as Error).message})`, 'truncated', loaded);
  }
  if (total !== null && loaded < total) {
    throw new ZooDownloadError(`the download from ${hostOf(target.url)} stopped after ${loaded} of ${total} bytes`, 'truncated', loaded);
  }
  if (target.bytes !== null && loaded !== target.bytes) {
    throw new ZooDownloadError(`the file has ${loaded} bytes, the catalogue says ${target.bytes}`, 'size', loaded);
  }
  const digest = bytesToHex(hash.digest());
  if (target.sha256 !== null && digest !== target.sha256) {
    throw new ZooDownloadError(`the file's SHA-256 is ${digest}, the published one ${target.sha256}: it is not the published file`, 'hash', loaded);
  }
  return { bytes: loaded, sha256: digest };
}

/** Where the body starts in the file and the whole file's size, or why the answer is refused. */
function checkAnswer(target: DownloadTarget, response: Response, offset: number): { start: number; total: number | null } {
  const host = hostOf(target.url);
  if (response.status !== 200 && response.status !== 206) {
    throw new ZooDownloadError(`${host} answered ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`} for ${target.url}`, 'http');
  }
  let start = 0;
  let total: number | null;
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('Content-Range') ?? '');
    if (range === null || Number(range[1]) !== offset) {
      throw new ZooDownloadError(`${host} answered the resume with another range (${response.headers.get('Content-Range') ?? 'none'}) than bytes ${offset}-`, 'http');
    }
    start = offset;
    total = Number(range[3]);
  } else {
    const length = response.headers.get('Content-Length');
    // A compressed transfer's length is not the file's.
    const encoded = (response.headers.get('Content-Encoding') ?? 'identity') !== 'identity';
    total = length === null || encoded ? null : Number(length);
  }
  if (total !== null && target.bytes !== null && total !== target.bytes) {
    throw new ZooDownloadError(`${host} announces ${total} bytes, the catalogue says ${target.bytes}: not the published file`, 'size');
  }
  return { start, total: total ?? target.bytes };
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
