import { SegmenterWorkerConnection } from '../worker/client';

let connection: SegmenterWorkerConnection | undefined;

/** The one segmenter worker of the page, started on first use. */
export function engine(): SegmenterWorkerConnection {
  connection ??= new SegmenterWorkerConnection(new Worker(new URL('../worker/segmenter.worker.ts', import.meta.url), { type: 'module', name: 'kmax-segmenter' }));
  return connection;
}
