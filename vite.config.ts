import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Connect, type Plugin } from 'vite';

const MODELS_DIR = path.resolve(import.meta.dirname, 'models');

/**
 * Extra model roots for dev and preview only (the e2e tests' tiny model), from
 * KMAX_EXTRA_MODELS (paths joined with the OS delimiter); never copied into a build.
 */
const EXTRA_DIRS = (process.env.KMAX_EXTRA_MODELS ?? '').split(path.delimiter).filter((d) => d !== '').map((d) => path.resolve(d));

/** The model list: models/manifest.json if present, else every folder holding a model.json, demo first. */
function modelManifest(roots: readonly string[]): string {
  const file = path.join(MODELS_DIR, 'manifest.json');
  type Entry = { id: string; name: string; path: string; samples?: string[] };
  const listed: Entry[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { models: Entry[] }).models : [];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const id of readdirSync(root)) {
      if (!existsSync(path.join(root, id, 'model.json')) || listed.some((m) => m.id === id)) continue;
      const samplesDir = path.join(root, id, 'samples');
      const samples = existsSync(samplesDir) ? readdirSync(samplesDir).filter((f) => /\.png$/i.test(f)).sort().map((f) => `${id}/samples/${f}`) : [];
      listed.push({ id, name: id, path: `${id}/model.json`, ...(samples.length > 0 && { samples }) });
    }
  }
  listed.sort((a, b) => Number(b.id === 'demo') - Number(a.id === 'demo'));
  return JSON.stringify({ models: listed });
}

/** Serves models/ (and the extra roots) at /models/ in dev and preview, and copies models/ into the build. */
function serveModels(): Plugin {
  const roots = [MODELS_DIR, ...EXTRA_DIRS];
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]);
    if (!url.startsWith('/models/')) return next();
    if (url === '/models/manifest.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(modelManifest(roots));
      return;
    }
    const file = roots.map((root) => path.resolve(root, `.${url.slice('/models'.length)}`)).find((f) => roots.some((r) => f.startsWith(r + path.sep)) && existsSync(f) && statSync(f).isFile());
    if (file === undefined) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    res.setHeader('Content-Length', statSync(file).size);
    createReadStream(file).pipe(res);
  };
  return {
    name: 'kmax-serve-models',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
    async writeBundle(options) {
      const out = path.join(options.dir ?? path.resolve(import.meta.dirname, 'dist'), 'models');
      if (existsSync(MODELS_DIR)) await cp(MODELS_DIR, out, { recursive: true });
      await mkdir(out, { recursive: true });
      await writeFile(path.join(out, 'manifest.json'), modelManifest([MODELS_DIR]));
    },
  };
}

/** Production pages may talk to their own origin only: no CDN, no image upload anywhere. */
function contentSecurityPolicy(): Plugin {
  const policy = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "img-src 'self' blob: data:",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self' blob: data:",
    "media-src 'self' blob: mediastream:",
  ].join('; ');
  return {
    name: 'kmax-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  plugins: [react(), serveModels(), contentSecurityPolicy()],
  publicDir: 'public',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
