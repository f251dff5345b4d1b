/**
 * Counts the WebGPU work of a page at the API, below tfjs: compute dispatches
 * (GPUComputePassEncoder.dispatchWorkgroups), bytes mapped for reading (every read back
 * to the CPU goes through GPUBuffer.mapAsync with MAP_READ) and the bytes of live GPU
 * buffers (createBuffer minus destroy; tfjs pools its buffers, so this is what the page
 * holds on the GPU, weights included), and the compute pipelines created. Counting at the API sees our WGSL kernels and
 * tfjs's alike, and cannot miss a read path of the backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Segmenter, SegmentOptions, RgbImage } from '../../src/segmenter/types';

/** What one run did on the GPU. */
export interface RunCounters {
  readonly dispatches: number;
  /** Bytes copied back to the CPU (mapAsync for reading), and in how many reads. */
  readonly bytesReadBack: number;
  readonly readBacks: number;
  /** Live GPU buffer bytes when the run started (weights, tfjs's buffer pool). */
  readonly gpuBytesAtStart: number;
  /** The most live GPU buffer bytes during the run. */
  readonly peakGpuBytes: number;
  /** Compute pipelines created (each a shader compiled): the first run's cost, none once warm. */
  readonly pipelines: number;
}

export interface GpuCounters {
  /** Starts counting a run: the counts return to zero and the peak to the live bytes. */
  start(): void;
  read(): RunCounters;
  /** Dispatches so far in the current run. */
  dispatches(): number;
}

let installed: GpuCounters | undefined;

/** Wraps the methods `names` of a WebGPU prototype so that every call is counted first. */
function beforeEachCall<P extends object>(proto: P, names: readonly (keyof P & string)[], count: () => void): void {
  for (const name of names) {
    const original = proto[name] as (...args: unknown[]) => unknown;
    Object.assign(proto, {
      [name](this: unknown, ...args: unknown[]) {
        count();
        return original.apply(this, args);
      },
    });
  }
}

export function installGpuCounters(): GpuCounters {
  if (installed !== undefined) return installed;
  let dispatches = 0;
  let bytesReadBack = 0;
  let readBacks = 0;
  let live = 0;
  let atStart = 0;
  let peak = 0;
  let pipelines = 0;
  const sizes = new WeakMap<GPUBuffer, number>();

  beforeEachCall(GPUComputePassEncoder.prototype, ['dispatchWorkgroups', 'dispatchWorkgroupsIndirect'], () => dispatches++);
  beforeEachCall(GPUDevice.prototype, ['createComputePipeline', 'createComputePipelineAsync'], () => pipelines++);
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
    const [mode, offset = 0, size] = args;
    if ((mode & GPUMapMode.READ) !== 0) {
      readBacks++;
      bytesReadBack += size ?? this.size - offset;
    }
    return mapAsync.apply(this, args);
  };
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (this: GPUDevice, ...args: Parameters<GPUDevice['createBuffer']>) {
    const buffer = createBuffer.apply(this, args);
    sizes.set(buffer, buffer.size);
    live += buffer.size;
    peak = Math.max(peak, live);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
    const size = sizes.get(this);
    if (size !== undefined) {
      sizes.delete(this);
      live -= size;
    }
    return destroy.call(this);
  };

  installed = {
    start() {
      dispatches = 0;
      bytesReadBack = 0;
      readBacks = 0;
      pipelines = 0;
      atStart = live;
      peak = live;
    },
    read: () => ({ dispatches, bytesReadBack, readBacks, gpuBytesAtStart: atStart, peakGpuBytes: peak, pipelines }),
    dispatches: () => dispatches,
  };
  return installed;
}

/** One kernel (tfjs kernel name) within a stage: how often it ran and its GPU time. */
export interface KernelTime {
  readonly kernel: string;
  readonly calls: number;
  readonly ms: number;
}

export interface StageProfile {
  readonly stage: string;
  readonly dispatches: number;
  /** Sum of the stage's kernel times. */
  readonly kernelMs: number;
  /** Slowest first. */
  readonly kernels: readonly KernelTime[];
}

export interface KernelProfile {
  /** How kernel times were taken: GPU timestamp queries, or none where the adapter lacks them. */
  readonly timer: 'timestamp-query' | 'none';
  readonly stages: readonly StageProfile[];
}

interface ProfiledKernel {
  readonly name: string;
  readonly kernelTimeMs: number | { error: string } | Promise<number | { error: string }>;
}

/**
 * One run under tf.profile, its kernels split by stage at the segmenter's progress events
 * (the first stage holds pre-processing too, which has no event of its own). On WebGPU,
 * tfjs times each kernel with timestamp queries (a pass per program, so a profiled run is
 * slower than a plain one; the dispatches are the same). Without 'timestamp-query' the
 * backend gives no kernel time; wall time per kernel would need a synchronous read, which
 * WebGPU has not, so then only the calls and dispatches are reported.
 */
export async function profileByStage(segmenter: Segmenter, image: RgbImage, options: SegmentOptions, counters: GpuCounters, timestamps: boolean): Promise<KernelProfile> {
  const marks: { stage: string; kernels: number; dispatches: number }[] = [];
  const live = () => (tf.engine().state.activeProfile.kernels as readonly unknown[]).length;
  counters.start();
  const info = await tf.profile(async () => {
    await segmenter.segment(image, {
      ...options,
      onProgress: (event) => void marks.push({ stage: event.stage, kernels: live(), dispatches: counters.dispatches() }),
    });
  });
  const kernels = info.kernels as unknown as ProfiledKernel[];
  const stages: StageProfile[] = [];
  let from = { kernels: 0, dispatches: 0 };
  for (const mark of marks) {
    const byName = new Map<string, { calls: number; ms: number }>();
    for (const k of kernels.slice(from.kernels, mark.kernels)) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const entry = byName.get(k.name) ?? { calls: 0, ms: 0 };
      byName.set(k.name, { calls: entry.calls + 1, ms: entry.ms + ms });
    }
    const list = [...byName].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms || b.calls - a.calls);
    stages.push({ stage: mark.stage, dispatches: mark.dispatches - from.dispatches, kernelMs: list.reduce((s, k) => s + k.ms, 0), kernels: list });
    from = mark;
  }
  return { timer: timestamps ? 'timestamp-query' : 'none', stages };
}

/** The profile as a Markdown table: per stage its dispatches, kernel time and the `top` slowest kernels. */
export function profileTable(profile: KernelProfile, top = 4): string {
  const total = profile.stages.reduce((s, st) => s + st.kernelMs, 0);
  const rows = profile.stages.map((st) => {
    const share = total > 0 ? `${((100 * st.kernelMs) / total).toFixed(0)}%` : '-';
    const kernels = st.kernels
      .slice(0, top)
      .map((k) => (profile.timer === 'none' ? `${k.kernel} x${k.calls}` : `${k.kernel} x${k.calls} ${k.ms.toFixed(1)}`))
      .join(', ');
    return `| ${st.stage} | ${st.dispatches} | ${profile.timer === 'none' ? '-' : st.kernelMs.toFixed(1)} | ${share} | ${kernels} |`;
  });
  return [
    `kernel profile (${profile.timer === 'none' ? 'no timestamp-query on this adapter: calls only' : 'GPU timestamp queries, ms'})`,
    '',
    '| stage | dispatches | kernel ms | share | slowest kernels (calls, ms) |',
    '|---|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
