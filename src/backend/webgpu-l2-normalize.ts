import { registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { L2_NORMALIZE_KERNEL } from '../model/layers/l2-normalize';
import { float32Literal } from './float-literal';
import { RowProgram } from './webgpu-row-program';

/**
 * Each row of `x` [rows, C] divided by max(its L2 norm, floor), a thread per row: the
 * composite's float32 steps (sum of squares, sqrt, max, divide) in one pass
 * (model/layers/l2-normalize.ts).
 */
function l2NormalizeProgram(shape: [number, number], floor: number): RowProgram {
  return new RowProgram(
    ['x'],
    shape,
    `kmax_l2_normalize_${floor}`,
    `
        var squares = 0.0;
        for (var c = 0; c < channels; c++) {
          squares += x[base + c] * x[base + c];
        }
        let norm = max(sqrt(squares), ${float32Literal(floor)});
        for (var c = 0; c < channels; c++) {
          setOutputAtIndex(base + c, x[base + c] / norm);
        }`,
  );
}

registerKernel({
  kernelName: L2_NORMALIZE_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const program = l2NormalizeProgram([x.shape[0], x.shape[1]], (attrs as { floor: number }).floor);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [x], 'float32');
  },
});
