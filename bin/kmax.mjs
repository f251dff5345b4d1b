#!/usr/bin/env node
// In a clone of the repository the TypeScript CLI runs through tsx (a dev dependency), so
// `npx kmax ...` needs no build step; the npm package has no sources and runs the compiled
// dist-lib/cli.js with plain Node.
import { existsSync } from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist-lib/cli.js'));
}
process.exitCode = await main(process.argv.slice(2));
