import type { NamedCheckpointFile } from '../checkpoints/convert';
import { download, type DownloadProgress, type DownloadTarget } from '../zoo/download';

/** A zoo file to download in the worker: where, what it is called, and what the catalogue knows of it. */
export interface ZooDownloadTarget extends DownloadTarget {
  readonly fileName: string;
}

/**
 * Downloads a zoo checkpoint in the worker, for the converter. The body is
 * streamed into one buffer of the announced size (checked against the
 * catalogue first), so the page holds the file once, as a dropped file would
 * be once read; without an announced size the chunks are joined at the end.
 */
export async function downloadCheckpoint(
  target: ZooDownloadTarget,
  signal: AbortSignal,
  onProgress: (progress: DownloadProgress) => void,
): Promise<NamedCheckpointFile> {
  let buffer: Uint8Array | undefined;
  const chunks: Uint8Array[] = [];
  let filled = 0;
  await download(target, {
    signal,
    onStart: (_start, total) => {
      if (total !== null) buffer = new Uint8Array(total);
    },
    onChunk: (chunk) => {
      if (buffer === undefined) chunks.push(chunk);
      else buffer.set(chunk, filled);
      filled += chunk.byteLength;
    },
    onProgress,
  });
  return { name: target.fileName, file: buffer ?? join(chunks, filled) };
}

function join(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
