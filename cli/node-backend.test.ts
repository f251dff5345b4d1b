import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { runKmax } from './run-in-process';
import { NODE_WASM_MAX_THREADS, selectNodeBackend } from './node-backend';

const DEMO = fileURLToPath(new URL('../models/demo', import.meta.url));

describe('wasm threads in Node', () => {
  it('uses the threads the backend reports, by default and when asked for one', async () => {
    await expect(selectNodeBackend('wasm')).resolves.toEqual({ threads: NODE_WASM_MAX_THREADS });
    expect(getThreadsCount()).toBe(NODE_WASM_MAX_THREADS);
    await expect(selectNodeBackend('wasm', 1)).resolves.toEqual({ threads: 1 });
    expect(getThreadsCount()).toBe(1);
  });

  it('refuses more threads than the Node build has, saying why, before loading anything', async () => {
    for (const command of ['bench', 'segment']) {
      const argv = command === 'segment' ? ['segment', 'missing.png', '--out', 'nowhere'] : ['bench'];
      const { code, stderr } = await runKmax(...argv, '--model', DEMO, '--backend', 'wasm', '--threads', '2');
      expect(code, command).toBe(1);
      expect(stderr, command).toMatch(/--threads 2 refused: .*no threaded build in Node\.js/);
    }
  });

  it('reports the thread count in kmax bench', async () => {
    const { code, stdout } = await runKmax('bench', '--model', DEMO, '--backend', 'wasm', '--runs', '1', '--size', '65', '--json');
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { threads: number }).threads).toBe(getThreadsCount());
  });
});
