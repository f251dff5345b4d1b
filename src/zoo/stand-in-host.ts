import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server on 127.0.0.1 standing in for the zoo's hosts in tests
 * (never a real host). The first path segment picks how it behaves:
 *  - `cors/FILE`: serves FILE with `Access-Control-Allow-Origin: *` and byte ranges (the Hugging Face Hub);
 *  - `nocors/FILE`: the same without CORS headers (a host a web page cannot read);
 *  - `cut/FILE`: the first answer announces the whole file and breaks the connection
 *    half-way, later ones serve it (with CORS and ranges);
 *  - `cutwhole/FILE`: the same, but later answers ignore Range (200, the whole file);
 *  - `slow/FILE`: serves it with CORS in 64 KiB pieces, one every 200 ms (a download to cancel);
 *  - `forbidden/...`: 403; anything else: 404.
 */
export interface StandInHost {
  readonly url: string;
  /** Each request's path and Range header, in order. */
  readonly requests: { readonly path: string; readonly range: string | undefined }[];
  /** Paths of `slow/` answers the client closed before their last byte (a cancelled download). */
  readonly abandoned: string[];
  close(): Promise<void>;
}

export async function startStandInHost(files: ReadonlyMap<string, Uint8Array>, port = 0): Promise<StandInHost> {
  const requests: { path: string; range: string | undefined }[] = [];
  const abandoned: string[] = [];
  const cutDone = new Set<string>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push({ path: url, range: req.headers.range });
    const [, mode, name] = /^\/([a-z]+)\/(.+)$/.exec(url) ?? [];
    const body = name === undefined ? undefined : files.get(name);
    const cors = mode === 'cors' || mode === 'cut' || mode === 'cutwhole' || mode === 'slow';
    if (cors) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range');
      // Range is not a CORS-safelisted header for every value: answer the preflight.
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Headers', 'Range');
        res.writeHead(204).end();
        return;
      }
    }
    if (mode === 'forbidden') return void res.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden');
    if (body === undefined || !(cors || mode === 'nocors')) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    if (mode === 'slow') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.byteLength });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(body.subarray(at, at + 65536));
        at += 65536;
        if (at >= body.byteLength) {
          clearInterval(timer);
          res.end();
        }
      }, 200);
      res.on('close', () => {
        clearInterval(timer);
        if (!res.writableFinished) abandoned.push(url);
      });
      return;
    }
    if ((mode === 'cut' || mode === 'cutwhole') && !cutDone.has(name + mode)) {
      cutDone.add(name + mode);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.byteLength });
      // The cut comes a second after the first half went out: a client (Chromium's network
      // service) that sees the end together with the data may drop the data, and the cut would
      // come at byte 0, leaving nothing to resume.
      res.write(body.subarray(0, body.byteLength >> 1), () => setTimeout(() => res.destroy(), 1000));
      return;
    }
    const range = mode === 'cutwhole' ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range === null ? 0 : Number(range[1]);
    if (start >= body.byteLength && range !== null) return void res.writeHead(416, { 'Content-Range': `bytes */${body.byteLength}` }).end();
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream', 'Content-Length': body.byteLength - start, 'Accept-Ranges': 'bytes' };
    if (range !== null) headers['Content-Range'] = `bytes ${start}-${body.byteLength - 1}/${body.byteLength}`;
    res.writeHead(range === null ? 200 : 206, headers).end(body.subarray(start));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A catalogue entry (as catalogue.json spells it) for the r50 test fixture `file`
 * served by a stand-in host at `origin` under `route`; `overrides` replace fields.
 */
export function standInEntry(origin: string, file: Uint8Array, name: string, route: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    source: 'coconut',
    dataset: 'COCO',
    classes: 'coco',
    backbone: 'ResNet (test fixture)',
    pq: null,
    pqNote: 'a test fixture',
    inputSize: [1281, 1281],
    bytes: file.byteLength,
    sha256: createHash('sha256').update(file).digest('hex'),
    url: `${origin}/${route}`,
    fileName: `${name}.pth`,
    format: 'pytorch',
    access: 'direct',
    preset: 'coco-r50',
    page: `${origin}/`,
    ...overrides,
  };
}
