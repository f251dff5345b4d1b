import { registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { AXIAL_RETRIEVAL_KERNEL, AXIAL_SIMILARITY_KERNEL } from '../model/pixel-decoder/axial-attention';

/**
 * The axial attention's two batched products, each in one pass reading q, k, v and the
 * position embeddings where they lie (model/pixel-decoder/axial-attention.ts gives the
 * layouts). tfjs would transpose every operand to batch its products, and scale and sum
 * the terms in passes of their own: a dozen dispatches and as many copies per product.
 * A thread per output value.
 */
abstract class FlatProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  abstract readonly shaderKey: string;
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(readonly outputShape: [number, number, number]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  abstract getUserCode(): string;
}

/** out[l, n, m] with n = b * heads + h: the content, query-position and key-position logits, each times its head's BN scale. */
class SimilarityProgram extends FlatProgram {
  readonly variableNames = ['q', 'k', 'eq', 'ek', 'norm'];
  readonly shaderKey = 'kmax_axial_similarity';

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) {
          return;
        }
        let length = uniforms.qShape[1];
        let heads = uniforms.qShape[2];
        let depth = uniforms.qShape[3];
        let sequences = uniforms.outShape[1];
        let m = index % length;
        let n = (index / length) % sequences;
        let l = index / (length * sequences);
        let b = n / heads;
        let h = n % heads;
        let queryAt = ((b * length + l) * heads + h) * depth;
        let keyAt = ((b * length + m) * heads + h) * depth;
        var content = 0.0;
        var queryPosition = 0.0;
        var keyPosition = 0.0;
        for (var d = 0; d < depth; d++) {
          let qd = q[queryAt + d];
          let kd = k[keyAt + d];
          content += qd * kd;
          queryPosition += qd * eq[(d * length + l) * length + m];
          keyPosition += kd * ek[(d * length + m) * length + l];
        }
        setOutputAtIndex(index, content * norm[h] + queryPosition * norm[heads + h] + keyPosition * norm[2 * heads + h]);
      }
    `;
  }
}

/** out[b, l, c] with c = h * dv + e: the attention-weighted values and value-position embeddings, each through its BN, summed. */
class RetrievalProgram extends FlatProgram {
  readonly variableNames = ['attention', 'v', 'ev', 'scale', 'shift'];
  readonly shaderKey = 'kmax_axial_retrieval';

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) {
          return;
        }
        let length = uniforms.vShape[1];
        let heads = uniforms.vShape[2];
        let depth = uniforms.vShape[3];
        let channels = heads * depth;
        let c = index % channels;
        let l = (index / channels) % length;
        let b = index / (channels * length);
        let h = c / depth;
        let e = c % depth;
        let rowAt = (l * uniforms.attentionShape[1] + b * heads + h) * length;
        var content = 0.0;
        var position = 0.0;
        for (var m = 0; m < length; m++) {
          let a = attention[rowAt + m];
          content += a * v[((b * length + m) * heads + h) * depth + e];
          position += a * ev[(m * length + l) * depth + e];
        }
        setOutputAtIndex(index, content * scale[c] + position * scale[channels + c] + (shift[c] + shift[channels + c]));
      }
    `;
  }
}

registerKernel({
  kernelName: AXIAL_SIMILARITY_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { q, k, eq, ek, norm } = inputs as Record<'q' | 'k' | 'eq' | 'ek' | 'norm', TensorInfo>;
    const [batch, length, heads] = q.shape;
    const program = new SimilarityProgram([length, batch * heads, length]);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [q, k, eq, ek, norm], 'float32');
  },
});

registerKernel({
  kernelName: AXIAL_RETRIEVAL_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { attention, v, ev, scale, shift } = inputs as Record<'attention' | 'v' | 'ev' | 'scale' | 'shift', TensorInfo>;
    const [batch, length, heads, depth] = v.shape;
    const program = new RetrievalProgram([batch, length, heads * depth]);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [attention, v, ev, scale, shift], 'float32');
  },
});
