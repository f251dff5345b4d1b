import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'vite';
import pkg from './package.json' with { type: 'json' };

/**
 * The npm package's JavaScript (dist-lib/): the engine, the checkpoint readers and the
 * `kmax` CLI as ES modules for Node and bundlers. Sources import without file extensions
 * and import JSON tables, which Node's ESM loader refuses, so a bundler writes the
 * modules rather than tsc; tsc writes only the declarations (tsconfig.lib.json).
 * Every dependency stays an import, so the user's tfjs-core is the one the engine uses.
 */
const external = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies), ...Object.keys(pkg.devDependencies)];
const isExternal = (id: string): boolean =>
  id.startsWith('node:') || builtinModules.includes(id) || external.some((name) => id === name || id.startsWith(`${name}/`));

export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist-lib',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    sourcemap: true,
    ssr: true,
    lib: {
      entry: {
        index: path.resolve(import.meta.dirname, 'src/segmenter/index.ts'),
        checkpoints: path.resolve(import.meta.dirname, 'src/checkpoints/index.ts'),
        backend: path.resolve(import.meta.dirname, 'src/backend/index.ts'),
        cli: path.resolve(import.meta.dirname, 'cli/main.ts'),
      },
      formats: ['es'],
    },
    rollupOptions: { external: isExternal, output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' } },
  },
});
