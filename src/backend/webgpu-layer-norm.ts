import { registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { LAYER_NORM_KERNEL } from '../model/layers/layer-norm';
import { float32Literal } from './float-literal';
import { RowProgram } from './webgpu-row-program';

/**
 * LayerNorm over the last axis of `x` [rows, C] in one pass: a thread per row sums the
 * mean, then the biased variance, then writes (x - mean) * rsqrt(var + eps) * gamma + beta,
 * the composite's steps in its order (model/layers/layer-norm.ts).
 */
function layerNormProgram(shape: [number, number], epsilon: number): RowProgram {
  return new RowProgram(
    ['x', 'gamma', 'beta'],
    shape,
    `kmax_layer_norm_${epsilon}`,
    `
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
        let scale = inverseSqrt(squares / f32(channels) + ${float32Literal(epsilon)});
        for (var c = 0; c < channels; c++) {
          setOutputAtIndex(base + c, (x[base + c] - mean) * scale * gamma[c] + beta[c]);
        }`,
  );
}

registerKernel({
  kernelName: LAYER_NORM_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
    const [rows, channels] = x.shape;
    const program = layerNormProgram([rows, channels], (attrs as { epsilon: number }).epsilon);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [x, gamma, beta], 'float32');
  },
});
