import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Connect, type Plugin } from 'vite';
import { modelManifest } from './scripts/model-manifest';

const MODELS_DIR = path.resolve(import.meta.dirname, 'models');
const PUBLIC_DIR = path.resolve(import.meta.dirname, 'public');
const SERVICE_WORKER = path.resolve(import.meta.dirname, 'src/sw/service-worker.ts');

/**
 * Extra model roots for dev and preview only (the e2e tests' tiny model), from
 * KMAX_EXTRA_MODELS (paths joined with the OS delimiter); never copied into a build.
 */
const EXTRA_DIRS = (process.env.KMAX_EXTRA_MODELS ?? '').split(path.delimiter).filter((d) => d !== '').map((d) => path.resolve(d));

/** Serves models/ (and the extra roots) at /models/ in dev and preview, and copies models/ into the build. */
function serveModels(): Plugin {
  const roots = [MODELS_DIR, ...EXTRA_DIRS];
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]);
    if (!url.startsWith('/models/')) return next();
    if (url === '/models/manifest.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(modelManifest(path.join(MODELS_DIR, 'manifest.json'), roots));
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
      await writeFile(path.join(out, 'manifest.json'), modelManifest(path.join(MODELS_DIR, 'manifest.json'), [MODELS_DIR]));
    },
  };
}

/** Every file under `dir`, as paths relative to it with forward slashes. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(path.join(dir, f)).isFile())
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/**
 * The Service Worker (src/sw/service-worker.ts) is built as its own entry at the root as
 * sw.js, so that its scope is the whole app; then its placeholders become the list of files to
 * cache (the build's output, public/, models/ and the manifest, all relative to the app) and a
 * version hashed over those files' names and contents.
 */
function offlineApp(): Plugin {
  return {
    name: 'kmax-offline-app',
    apply: 'build',
    async writeBundle(options, bundle) {
      const out = options.dir ?? path.resolve(import.meta.dirname, 'dist');
      const hash = createHash('sha256');
      const files: string[] = [];
      for (const [name, item] of Object.entries(bundle).sort(([a], [b]) => a.localeCompare(b))) {
        if (name === 'sw.js' || name.endsWith('.map')) continue;
        // index.html is cached as './', the URL the page is opened at.
        if (name !== 'index.html') files.push(name);
        hash.update(name).update(item.type === 'chunk' ? item.code : item.source);
      }
      const copied = [...filesUnder(PUBLIC_DIR).map((f) => [f, path.join(PUBLIC_DIR, f)]), ...filesUnder(MODELS_DIR).map((f) => [`models/${f}`, path.join(MODELS_DIR, f)])];
      for (const [name, source] of copied) {
        files.push(name);
        hash.update(name).update(await readFile(source));
      }
      const manifest = modelManifest(path.join(MODELS_DIR, 'manifest.json'), [MODELS_DIR]);
      hash.update(manifest);
      files.push('models/manifest.json', './');
      const worker = path.join(out, 'sw.js');
      const code = (await readFile(worker, 'utf8'))
        .replace(/(["'`])__KMAX_PRECACHE__\1/, JSON.stringify(JSON.stringify(files)))
        .replace('__KMAX_VERSION__', hash.digest('hex').slice(0, 16));
      if (code.includes('__KMAX_')) throw new Error('sw.js: a placeholder was not replaced');
      await writeFile(worker, code);
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

/**
 * Two build-time fixes to tfjs-backend-wasm 4.22's threaded build, without which the page's wasm
 * runs one thread (src/worker/segmenter.worker.ts asks for one per logical core):
 * - It starts each pthread Worker from `factory.toString()` (its `mainScriptUrlOrBlob`), so that
 *   function must use nothing from outside itself. It reads its closure's `_scriptDir` only under
 *   `typeof _scriptDir !== "undefined"`, which the minifier, seeing the variable declared, folds
 *   to `e!==void 0&&e`: "e is not defined" in every pthread Worker, and the segmenter Worker died
 *   with it. Without the closure variable the test is a `typeof` of a global, false everywhere;
 *   tfjs passes the script and .wasm URLs itself (mainScriptUrlOrBlob, locateFile).
 * - Its C++ (backend.cc, init_with_threads_count) caps the pool at
 *   emscripten_num_logical_cores() / 2, taking every core for two hyperthreads: on a machine
 *   with navigator.hardwareConcurrency 2 (or 3) any count asked for became 1. The count the
 *   browser gives is what may run at once, so the glue hands the C++ twice it, and the cap that
 *   remains is the one asked for (and the 8 Workers the build pre-creates).
 */
function tfjsWasmThreads(): Plugin {
  const closure = /var _scriptDir = typeof document[^\n]*\n\s*if \(typeof __filename !== 'undefined'\) _scriptDir = _scriptDir \|\| __filename;\n/;
  const cores = 'function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;return navigator["hardwareConcurrency"]}';
  return {
    name: 'kmax-tfjs-wasm-threads',
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith('tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js')) return null;
      if (!closure.test(code) || !code.includes(cores)) throw new Error(`${id} is not tfjs-backend-wasm 4.22's threaded build: check how its pthread Workers start and how many it runs`);
      return { code: code.replace(closure, '').replace(cores, cores.replace('return navigator["hardwareConcurrency"]', 'return 2*navigator["hardwareConcurrency"]')), map: null };
    },
  };
}

/**
 * Cross-origin isolation (COOP + COEP) lets tfjs-wasm run threads (SharedArrayBuffer); every
 * request of the app is same-origin, so `require-corp` blocks nothing. Static hosts should send
 * the same two headers (README, "Deploying").
 */
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  // Relative URLs everywhere: the build works from any sub-path of a static host.
  base: './',
  plugins: [react(), serveModels(), contentSecurityPolicy(), offlineApp()],
  publicDir: 'public',
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  // The dev server pre-bundles tfjs: the same fixes there (the benchmark page runs tfjs-wasm on its main thread).
  optimizeDeps: { rolldownOptions: { plugins: [tfjsWasmThreads()] } },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: { index: path.resolve(import.meta.dirname, 'index.html'), sw: SERVICE_WORKER },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
