import { registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { LAYER_NORM_KERNEL } from '../model/layers/layer-norm';

/**
 * LayerNorm over the last axis of `x` [rows, C] in one pass: a thread per row sums the
 * mean, then the biased variance, then writes (x - mean) * rsqrt(var + eps) * gamma + beta,
 * the composite's steps in its order (model/layers/layer-norm.ts).
 */
class LayerNormProgram implements WebGPUProgram {
  readonly variableNames = ['x', 'gamma', 'beta'];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    readonly outputShape: [number, number],
    private readonly epsilon: number,
  ) {
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
    this.shaderKey = `kmax_layer_norm_${epsilon}`;
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
        var sum = 0.0;
        for (var c = 0; c < channels; c++) {
          sum += x[base + c];
        }
        let mean = sum / f32(channels);
        var squares = 0.0;
        for (var c = 0; c < channels; c++) {
          let d = x[base + c] - mean;
          squares += d * d;
        }
        let scale = inverseSqrt(squares / f32(channels) + ${Math.fround(this.epsilon).toPrecision(9)});
        for (var c = 0; c < channels; c++) {
          setOutputAtIndex(base + c, (x[base + c] - mean) * scale * gamma[c] + beta[c]);
        }
      }
    `;
  }
}

registerKernel({
  kernelName: LAYER_NORM_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
    const [rows, channels] = x.shape;
    const program = new LayerNormProgram([rows, channels], (attrs as { epsilon: number }).epsilon);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [x, gamma, beta], 'float32');
  },
});
