import { registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { MINOR_BATCH_MATMUL_KERNEL } from '../model/layers/batch-matmul';

/**
 * out[m, n, p] = sum_k a[m, k, n] b[k, n, p], reading both operands where they lie: tfjs
 * would transpose each to a batch-major layout, multiply, and transpose back (four passes).
 * A thread per output; neighbouring threads share a[m, k, n] and read b[k, n, p] contiguously.
 * The sum runs over k in order, as tfjs's matMul does.
 */
class MinorBatchMatMulProgram implements WebGPUProgram {
  readonly variableNames = ['A', 'B'];
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey = 'kmax_minor_batch_matmul';

  constructor(readonly outputShape: [number, number, number]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) {
          return;
        }
        let depth = uniforms.aShape[1];
        let batch = uniforms.outShape[1];
        let width = uniforms.outShape[2];
        let p = index % width;
        let n = (index / width) % batch;
        let m = index / (width * batch);
        var sum = 0.0;
        for (var k = 0; k < depth; k++) {
          sum += A[(m * depth + k) * batch + n] * B[(k * batch + n) * width + p];
        }
        setOutputAtIndex(index, sum);
      }
    `;
  }
}

registerKernel({
  kernelName: MINOR_BATCH_MATMUL_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const program = new MinorBatchMatMulProgram([a.shape[0], a.shape[2], b.shape[2]]);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [a, b], 'float32');
  },
});
