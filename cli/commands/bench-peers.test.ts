import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { peersInChromium } from './bench-chromium';
import { benchPeers, onnxFor } from './bench-peers';
import { peersTable, type PeerReport } from './bench-peers-run';

const DEMO = fileURLToPath(new URL('../../models/demo', import.meta.url));

/** Both sides timed with a first run apart, and ORT's logits those of our network (float32 noise: the fixtures' bound, 1e-4). */
function expectBothTimedAndEqual(report: PeerReport, runs: number): void {
  for (const side of [report.ours, report.ort]) {
    expect(side.firstRunMs, side.engine).toBeGreaterThan(0);
    expect(side.network.minMs <= side.network.medianMs && side.network.medianMs <= side.network.maxMs, side.engine).toBe(true);
    expect(side.network.minMs, side.engine).toBeGreaterThan(0);
  }
  expect(report.runs).toBe(runs);
  expect(report.parity.predLogits).toBeLessThan(1e-4);
  expect(report.parity.predMasks).toBeLessThan(1e-4);
  expect(peersTable(report)).toMatch(/ratio ours\/ORT: median \d+\.\d\d, first run \d+\.\d\d/);
}

/** The peer benchmark's plumbing, not its timings: both engines timed, on the same network. */
describe('kmax bench --peers on the demo model', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kmax-peers-'));
  });
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('exports the network to ONNX, times both engines and gets the same logits from ORT as from ours', async () => {
    const report = await benchPeers({ modelDir: DEMO, size: 129, runs: 2, threads: 1, onnxPath: path.join(dir, 'demo.onnx') });
    const stages = new Set(report.ours.stages?.map((s) => s.stage));
    const layers = Array.from({ length: 6 }, (_, i) => `kmax layer ${i + 1}`);
    for (const name of ['preprocess', 'backbone', 'pixel decoder', ...layers, 'final head', 'postprocess', 'network', 'end-to-end']) expect(stages.has(name), name).toBe(true);
    for (const side of [report.ours, report.ort]) {
      expect(side.firstRunMs, side.engine).toBeGreaterThan(0);
      expect(side.network.minMs <= side.network.medianMs && side.network.medianMs <= side.network.maxMs, side.engine).toBe(true);
      expect(side.network.minMs, side.engine).toBeGreaterThan(0);
    }
    expect(report.ours.threads).toBe(getThreadsCount());
    expect(report.ort.threads).toBe(1);
    expect(report.runs).toBe(2);
    // Float32 noise: two float32 implementations of the same graph (the fixtures' bound, 1e-4).
    expect(report.parity.predLogits).toBeLessThan(1e-4);
    expect(report.parity.predMasks).toBeLessThan(1e-4);
    const table = peersTable(report);
    expect(table).toMatch(/\| kmax-lens \| 1 \|/);
    expect(table).toMatch(/\| onnxruntime-web \| 1 \|/);
    expect(table).toMatch(/ratio ours\/ORT: median \d+\.\d\d, first run \d+\.\d\d/);
  }, 600_000);

  it('runs both on wasm at two threads in a cross-origin isolated Chromium page, each reporting the threads it got', async () => {
    const onnxPath = await onnxFor({ modelDir: DEMO, size: 129, onnxPath: path.join(dir, 'demo.onnx') });
    const report = await peersInChromium({ modelDir: DEMO, onnxPath, backend: 'wasm', threads: 2, size: 129, runs: 1 });
    expect(report.crossOriginIsolated).toBe(true);
    expect(report.device).toMatch(/^wasm in Chromium \(ours: tfjs-wasm threaded build, workers started: ours \d+, ORT [1-9]\d*\)$/);
    expect(report.ort.threads).toBe(2);
    expect(report.ours.threads).toBe(2);
    expectBothTimedAndEqual(report, 1);
  }, 600_000);

  it("runs ORT's WebGPU build against ours on WebGPU in Chromium", async () => {
    const onnxPath = await onnxFor({ modelDir: DEMO, size: 129, onnxPath: path.join(dir, 'demo.onnx') });
    const report = await peersInChromium({ modelDir: DEMO, onnxPath, backend: 'webgpu', threads: 1, size: 129, runs: 1 });
    expect(report.device).toMatch(/^webgpu in Chromium \(\S.*\)$/);
    expect(report.ours.threads).toBeUndefined();
    expectBothTimedAndEqual(report, 1);
  }, 600_000);
});
