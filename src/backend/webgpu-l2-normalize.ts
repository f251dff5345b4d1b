import { registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { L2_NORMALIZE_KERNEL } from '../model/layers/l2-normalize';

/**
 * Each row of `x` [rows, C] divided by max(its L2 norm, floor), a thread per row: the
 * composite's float32 steps (sum of squares, sqrt, max, divide) in one pass
 * (model/layers/l2-normalize.ts).
 */
class L2NormalizeProgram implements WebGPUProgram {
  readonly variableNames = ['x'];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    readonly outputShape: [number, number],
    private readonly floor: number,
  ) {
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
    this.shaderKey = `kmax_l2_normalize_${floor}`;
  }

  getUserCode(): string {
    return `
      fn main(row : i32) {
        let rows = uniforms.outShape[0];
        let channels = uniforms.outShape[1];
        if (row >= rows) {
          return;
        }
        let base = row * channels;
        var squares = 0.0;
        for (var c = 0; c < channels; c++) {
          squares += x[base + c] * x[base + c];
        }
        let norm = max(sqrt(squares), ${Math.fround(this.floor).toPrecision(9)});
        for (var c = 0; c < channels; c++) {
          setOutputAtIndex(base + c, x[base + c] / norm);
        }
      }
    `;
  }
}

registerKernel({
  kernelName: L2_NORMALIZE_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const program = new L2NormalizeProgram([x.shape[0], x.shape[1]], (attrs as { floor: number }).floor);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [x], 'float32');
  },
});
