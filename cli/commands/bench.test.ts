import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { KernelProfile, RunCounters } from '../browser/gpu-counters';
import { runKmax } from '../run-in-process';
import type { StageStats } from './bench-runs';

const DEMO = fileURLToPath(new URL('../../models/demo', import.meta.url));

interface BenchJson {
  readonly backend: string;
  readonly adapter?: string;
  readonly inputSize: readonly number[];
  readonly runs: number;
  readonly warmUpMs: number;
  readonly warmUpGpu?: RunCounters;
  readonly stages: readonly StageStats[];
  readonly gpu?: readonly RunCounters[];
  readonly profile?: KernelProfile;
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

/**
 * What a plain run (no stage records, no dump) reads back: one float per stage with a
 * sync (pre-processing, backbone, pixel decoder, each kMaX layer, final head: the stage
 * clock), the class logits (K x (C+1)) and the stride-4 mask logits (h/4 x w/4 x K) that
 * post-processing needs, in 4-byte floats. Reading any stage output more would show.
 */
function expectedReadBack(size: number): { bytes: number; reads: number } {
  const config = (JSON.parse(readFileSync(`${DEMO}/model.json`, 'utf8')) as { config: { numClasses: number; transformerDecoder: { numClusters: number } } }).config;
  const k = config.transformerDecoder.numClusters;
  const syncs = 3 + 6 + 1;
  const low = (size - 1) / 4 + 1;
  return { bytes: 4 * (syncs + k * (config.numClasses + 1) + low * low * k), reads: syncs + 2 };
}

// Timings are the benchmark's, not the tests': these check what the bench reports, never how fast.
describe('kmax bench on the demo model', () => {
  it('times every stage on wasm in Node', async () => {
    const report = await bench('--backend', 'wasm');
    expect(report.backend).toBe('wasm');
    expectFullReport(report);
    expect(report.gpu).toBeUndefined();
  });

  it('times every stage on WebGPU in headless Chromium with no console warning, and counts its GPU work', async () => {
    const report = await bench('--backend', 'webgpu');
    expect(report.backend).toBe('webgpu');
    expect(report.adapter).toMatch(/\S/);
    expectFullReport(report);
    const gpu = report.gpu ?? [];
    expect(gpu).toHaveLength(2);
    // The same work twice: the same dispatches and the same bytes back.
    expect(gpu[0].dispatches).toBeGreaterThan(100);
    expect(gpu[1].dispatches).toBe(gpu[0].dispatches);
    // Shaders compile in the warm-up run, none afterwards.
    expect(report.warmUpGpu?.pipelines).toBeGreaterThan(20);
    for (const run of gpu) expect(run.pipelines).toBe(0);
    const { bytes, reads } = expectedReadBack(129);
    for (const run of gpu) {
      expect(run.bytesReadBack).toBe(bytes);
      expect(run.readBacks).toBe(reads);
      // The weights (about 1 MB for the demo) are on the GPU before a run; the peak holds them and the activations.
      expect(run.gpuBytesAtStart).toBeGreaterThan(1e6);
      expect(run.peakGpuBytes).toBeGreaterThan(run.gpuBytesAtStart);
    }
    // The profiled run: every network stage, the same dispatches split among them, kernels timed on the GPU.
    const profile = report.profile as KernelProfile;
    const layers = Array.from({ length: 6 }, (_, i) => `kmax layer ${i + 1}`);
    expect(profile.stages.map((s) => s.stage)).toEqual(['backbone', 'pixel decoder', ...layers, 'final head', 'postprocess']);
    expect(profile.stages.reduce((sum, s) => sum + s.dispatches, 0)).toBe(gpu[0].dispatches);
    expect(profile.timer).toBe('timestamp-query');
    const backbone = profile.stages[0];
    expect(backbone.kernels.some((k) => k.kernel === 'FusedConv2D' && k.calls >= 17 && k.ms > 0)).toBe(true);
    expect(backbone.kernelMs).toBeCloseTo(backbone.kernels.reduce((sum, k) => sum + k.ms, 0), 6);
    // GELU runs as our one-pass WebGPU kernel, never as tfjs's five-kernel chain (its Erf).
    const kernels = profile.stages.flatMap((s) => s.kernels.map((k) => k.kernel));
    expect(kernels).toContain('KmaxGelu');
    expect(kernels).not.toContain('Erf');
    // The pixel decoder's input LayerNorms likewise: one pass each, no tf.moments reductions.
    expect(profile.stages[1].kernels.find((k) => k.kernel === 'KmaxLayerNorm')?.calls).toBe(4);
    expect(kernels).not.toContain('Mean');
    // Multi-head attention as two passes that read q, k, v and the position embeddings in place: the
    // pixel decoder's axial attention (two blocks, two axes each) and each kMaX layer's self-attention,
    // with none of the batched matMuls (and the transposes that feed them) of the composite.
    for (const [stage, calls] of [['pixel decoder', 4], ...layers.map((layer) => [layer, 1] as const)] as const) {
      const stageKernels = profile.stages.find((s) => s.stage === stage)?.kernels ?? [];
      expect(stageKernels.find((k) => k.kernel === 'KmaxHeadAttention')?.calls, stage).toBe(calls);
      expect(stageKernels.find((k) => k.kernel === 'KmaxHeadRetrieval')?.calls, stage).toBe(calls);
    }
    expect(profile.stages[1].kernels.map((k) => k.kernel)).not.toContain('BatchMatMul');
    // The softmax is the attention kernel's last step: no pass of its own.
    expect(profile.stages[1].kernels.map((k) => k.kernel)).not.toContain('Softmax');
    // The predictors' pixel embeddings are L2-normalised in one pass each (six layers and the final head).
    expect(kernels.filter((k) => k === 'KmaxL2Normalize')).toHaveLength(7);
    expect(profile.stages.reduce((sum, s) => sum + (s.kernels.find((k) => k.kernel === 'KmaxL2Normalize')?.calls ?? 0), 0)).toBe(7);
  }, 400_000);
});
