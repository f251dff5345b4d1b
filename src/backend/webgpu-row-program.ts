import { webgpu_util, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * A WebGPU program with one thread per row of a [rows, C] output, for the per-row kernels
 * (LayerNorm, L2 normalisation): `rowCode` is WGSL run with `row`, `channels` and `base`
 * (the row's first index) in scope, reading the inputs named `variableNames`.
 */
export class RowProgram implements WebGPUProgram {
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly dispatchLayout = { x: [0] };
  readonly dispatch: [number, number, number];

  constructor(
    readonly variableNames: string[],
    readonly outputShape: [number, number],
    readonly shaderKey: string,
    private readonly rowCode: string,
  ) {
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
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
        ${this.rowCode}
      }
    `;
  }
}
