import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runKmax } from '../run-in-process';
import type { StageStats } from './bench-runs';

const DEMO = fileURLToPath(new URL('../../models/demo', import.meta.url));

interface BenchJson {
  readonly backend: string;
  readonly adapter?: string;
  readonly inputSize: readonly number[];
  readonly runs: number;
  readonly warmUpMs: number;
  readonly stages: readonly StageStats[];
}

async function bench(...argv: string[]): Promise<BenchJson> {
  const { code, stdout, stderr } = await runKmax('bench', '--model', DEMO, '--runs', '2', '--json', ...argv);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as BenchJson;
}

/** Every stage of the engine is timed, and the network is the sum of its stages. */
function expectFullReport(report: BenchJson): void {
  const stages = new Map(report.stages.map((s) => [s.stage, s]));
  const layers = Array.from({ length: 6 }, (_, i) => `kmax layer ${i + 1}`);
  for (const name of ['preprocess', 'backbone', 'pixel decoder', ...layers, 'final head', 'postprocess', 'network', 'end-to-end']) expect(stages.has(name), name).toBe(true);
  for (const s of report.stages) expect(s.minMs <= s.medianMs && s.medianMs <= s.maxMs, s.stage).toBe(true);
  const network = ['backbone', 'pixel decoder', ...layers, 'final head'].reduce((sum, name) => sum + (stages.get(name)?.minMs ?? 0), 0);
  expect(stages.get('network')?.minMs).toBeGreaterThanOrEqual(network - 1e-6);
  expect(report.warmUpMs).toBeGreaterThan(0);
  expect(report.runs).toBe(2);
  expect(report.inputSize).toEqual([129, 129]);
}

/** The demo model's budgets (issue 4): a run at its input size, end to end, median. */
function expectWithin(report: BenchJson, budgetMs: number): void {
  const endToEnd = report.stages.find((s) => s.stage === 'end-to-end');
  expect(endToEnd?.medianMs).toBeLessThan(budgetMs);
}

describe('kmax bench on the demo model', () => {
  it('times every stage on wasm in Node, within 1 s a run', async () => {
    const report = await bench('--backend', 'wasm');
    expect(report.backend).toBe('wasm');
    expectFullReport(report);
    expectWithin(report, 1_000);
  });

  it('times every stage on WebGPU in headless Chromium, within 15 s a run, with no console warning', async () => {
    const report = await bench('--backend', 'webgpu');
    expect(report.backend).toBe('webgpu');
    expect(report.adapter).toMatch(/\S/);
    expectFullReport(report);
    expectWithin(report, 15_000);
  }, 300_000);
});
