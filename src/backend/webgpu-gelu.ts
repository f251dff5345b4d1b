import { backend_util, registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { GELU_KERNEL } from '../model/layers/activations';
import { float32Literal } from './float-literal';

/**
 * GELU as one elementwise pass: the same float32 steps as the composite in
 * model/layers/activations.ts (x * 0.5, times erf(x * 0.70710677) + 1), with erf as
 * tfjs's own WebGPU kernel computes it (Abramowitz-Stegun 7.1.26, tfjs's constants),
 * so results match the five-kernel chain it replaces.
 */
class GeluProgram implements WebGPUProgram {
  readonly variableNames = ['A'];
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [128, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey = 'kmax_gelu';

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn erfApprox(a : f32) -> f32 {
        let t = 1.0 / (1.0 + ${float32Literal(backend_util.ERF_P)} * abs(a));
        return sign(a) * (1.0 - (((((${float32Literal(backend_util.ERF_A5)} * t + ${float32Literal(backend_util.ERF_A4)}) * t) + ${float32Literal(backend_util.ERF_A3)}) * t + ${float32Literal(backend_util.ERF_A2)}) * t + ${float32Literal(backend_util.ERF_A1)}) * t * exp(-abs(a) * abs(a)));
      }
      fn main(index : i32) {
        if (index < uniforms.size) {
          let x = getAByOutputIndex(index);
          setOutputAtIndex(index, (x * 0.5) * (erfApprox(x * ${float32Literal(Math.SQRT1_2)}) + 1.0));
        }
      }
    `;
  }
}

registerKernel({
  kernelName: GELU_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as TensorInfo;
    return (backend as WebGPUBackend).runWebGPUProgram(new GeluProgram([...x.shape]), [x], 'float32');
  },
});
