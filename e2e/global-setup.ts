import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Writes the tiny test model in a separate Node process (tsx), where the engine's JSON imports load as in Vitest. */
export default function globalSetup(): void {
  execFileSync('npx', ['tsx', path.join(import.meta.dirname, 'tiny-model.ts')], { stdio: 'inherit', cwd: path.resolve(import.meta.dirname, '..') });
}
