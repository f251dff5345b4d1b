import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Connect, type Plugin } from 'vite';

const MODELS_DIR = path.resolve(import.meta.dirname, 'models');

/** The served model list: models/manifest.json if present, else every folder holding a model.json. */
function modelManifest(): string {
  const file = path.join(MODELS_DIR, 'manifest.json');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const folders = existsSync(MODELS_DIR) ? readdirSync(MODELS_DIR).filter((d) => existsSync(path.join(MODELS_DIR, d, 'model.json'))) : [];
  // The demo model first: it is what a visitor should see.
  folders.sort((a, b) => Number(b === 'demo') - Number(a === 'demo') || a.localeCompare(b));
  return JSON.stringify({ models: folders.map((id) => ({ id, name: id, path: `${id}/model.json` })) });
}

/** Serves models/ at /models/ in dev and preview, and copies it into the build. */
function serveModels(): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]);
    if (!url.startsWith('/models/')) return next();
    if (url === '/models/manifest.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(modelManifest());
      return;
    }
    const file = path.resolve(MODELS_DIR, `.${url.slice('/models'.length)}`);
    if (!file.startsWith(MODELS_DIR + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
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
      const out = options.dir ?? path.resolve(import.meta.dirname, 'dist');
      if (existsSync(MODELS_DIR)) await cp(MODELS_DIR, path.join(out, 'models'), { recursive: true });
      await mkdir(path.join(out, 'models'), { recursive: true });
      await writeFile(path.join(out, 'models', 'manifest.json'), modelManifest());
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
