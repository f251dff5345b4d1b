import type { sha256 } from '@noble/hashes/sha2.js';
import type { NamedCheckpointFile } from '../checkpoints/convert';
import { download, ZooDownloadError, type DownloadProgress, type DownloadTarget } from '../zoo/download';

/** A zoo file to download in the worker: where, what it is called, and what the catalogue knows of it. */
export interface ZooDownloadTarget extends DownloadTarget {
  readonly fileName: string;
}

/** Chunks are gathered into a Blob in steps of this many bytes (the Blob holds them outside the JS heap). */
const FOLD_BYTES = 16 * 1024 * 1024;

/** The bytes of one file received so far, and the SHA-256 state over them. */
class Received {
  private blob = new Blob([]);
  private pending: Uint8Array<ArrayBuffer>[] = [];
  private pendingBytes = 0;
  bytes = 0;

  constructor(public hash: ReturnType<typeof sha256.create> | undefined) {}

  add(chunk: Uint8Array): void {
    this.pending.push(chunk as Uint8Array<ArrayBuffer>);
    this.pendingBytes += chunk.byteLength;
    this.bytes += chunk.byteLength;
    if (this.pendingBytes >= FOLD_BYTES) this.fold();
  }

  file(): Blob {
    this.fold();
    return this.blob;
  }

  private fold(): void {
    this.blob = new Blob([this.blob, ...this.pending]);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/**
 * What a cut-off download left, by file (url, size and hash): the next Get of the
 * same file asks the host for the rest (HTTP Range) instead of starting over.
 */
const cutOff = new Map<string, Received>();

/**
 * Downloads a zoo checkpoint in the worker, for the converter. The body goes into a
 * Blob as it comes (never one buffer of the whole file), which the converter then
 * reads by range as it reads a dropped file. A download whose connection broke
 * keeps its bytes: the next call for the same file resumes after them, with the
 * 206 and Content-Range checked (a host that ignores the Range starts it over) and
 * the size and SHA-256 checked over the whole file at the end. A cancelled or
 * refused download keeps nothing.
 */
export async function downloadCheckpoint(
  target: ZooDownloadTarget,
  signal: AbortSignal,
  onProgress: (progress: DownloadProgress) => void,
): Promise<NamedCheckpointFile> {
  const key = JSON.stringify([target.url, target.bytes, target.sha256]);
  let received = cutOff.get(key) ?? new Received(undefined);
  cutOff.delete(key);
  try {
    await download(target, {
      signal,
      offset: received.bytes,
      ...(received.hash === undefined ? {} : { hash: received.hash }),
      onStart: (start, _total, hash) => {
        if (start === 0) received = new Received(hash);
        else received.hash = hash;
      },
      onChunk: (chunk) => received.add(chunk),
      onProgress,
    });
  } catch (error) {
    if (!signal.aborted && error instanceof ZooDownloadError && error.failure === 'truncated' && received.bytes > 0) cutOff.set(key, received);
    throw error;
  }
  return { name: target.fileName, file: received.file() };
}
