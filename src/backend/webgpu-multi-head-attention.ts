import { registerKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { HEAD_RETRIEVAL_KERNEL, HEAD_ATTENTION_KERNEL } from '../model/layers/multi-head-attention';

/**
 * A multi-head attention's two batched products, each one pass that reads q, k, v and the
 * relative-position embeddings where they lie (model/layers/multi-head-attention.ts gives
 * the layouts) and applies the BatchNorm scales. tfjs would transpose every operand to
 * batch its products, then scale and sum the terms in passes of their own. FlatProgram is
 * their common shell (flat dispatch over `threads`); `positions` adds the relative-position
 * terms (the axial attention).
 */
abstract class FlatProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  /** @param threads the threads' extent: the output's by default, one per output value. */
  constructor(
    readonly outputShape: [number, number, number],
    protected readonly positions: boolean,
    name: string,
    threads: number[] = outputShape,
  ) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(threads);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, threads, this.workgroupSize);
    this.shaderKey = `${name}_${positions ? 'positions' : 'content'}`;
  }

  abstract getUserCode(): string;
}

/**
 * out[l, n, m] with n = b * heads + h: the softmax over m of the content logit (and the
 * query- and key-position logits), each times its head's scale. A thread per row (l, n)
 * writes the row's logits, then exp(logit - max), then divides by their sum, as tfjs's
 * softmax does, so the logits never make a pass of their own.
 */
class AttentionProgram extends FlatProgram {
  readonly variableNames: string[];

  constructor(outputShape: [number, number, number], positions: boolean) {
    super(outputShape, positions, 'kmax_head_attention', [outputShape[0] * outputShape[1]]);
    this.variableNames = positions ? ['q', 'k', 'norm', 'eq', 'ek'] : ['q', 'k', 'norm'];
  }

  getUserCode(): string {
    const p = this.positions;
    return `
      fn main(row : i32) {
        let length = uniforms.qShape[1];
        let heads = uniforms.qShape[2];
        let depth = uniforms.qShape[3];
        let sequences = uniforms.outShape[1];
        if (row >= length * sequences) {
          return;
        }
        let n = row % sequences;
        let l = row / sequences;
        let b = n / heads;
        let h = n % heads;
        let queryAt = ((b * length + l) * heads + h) * depth;
        let base = row * length;
        var top = -uniforms.INFINITY;
        for (var m = 0; m < length; m++) {
          let keyAt = ((b * length + m) * heads + h) * depth;
          var content = 0.0;
          ${p ? 'var queryPosition = 0.0;\n          var keyPosition = 0.0;' : ''}
          for (var d = 0; d < depth; d++) {
            let qd = q[queryAt + d];
            let kd = k[keyAt + d];
            content += qd * kd;
            ${p ? 'queryPosition += qd * eq[(d * length + l) * length + m];\n            keyPosition += kd * ek[(d * length + m) * length + l];' : ''}
          }
          let logit = content * norm[h]${p ? ' + queryPosition * norm[heads + h] + keyPosition * norm[2 * heads + h]' : ''};
          result[base + m] = logit;
          top = max(top, logit);
        }
        var total = 0.0;
        for (var m = 0; m < length; m++) {
          let e = exp(result[base + m] - top);
          result[base + m] = e;
          total += e;
        }
        for (var m = 0; m < length; m++) {
          result[base + m] = result[base + m] / total;
        }
      }
    `;
  }
}

/** out[b, l, c] with c = h * dv + e: the attention-weighted values (and value-position embeddings), each through its BN, summed. */
class RetrievalProgram extends FlatProgram {
  readonly variableNames: string[];

  constructor(outputShape: [number, number, number], positions: boolean) {
    super(outputShape, positions, 'kmax_head_retrieval');
    this.variableNames = positions ? ['attention', 'v', 'scale', 'shift', 'ev'] : ['attention', 'v', 'scale', 'shift'];
  }

  getUserCode(): string {
    const p = this.positions;
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
        ${p ? 'var position = 0.0;' : ''}
        for (var m = 0; m < length; m++) {
          let a = attention[rowAt + m];
          content += a * v[((b * length + m) * heads + h) * depth + e];
          ${p ? 'position += a * ev[(m * length + l) * depth + e];' : ''}
        }
        setOutputAtIndex(index, ${p ? 'content * scale[c] + position * scale[channels + c] + (shift[c] + shift[channels + c])' : 'content * scale[c] + shift[c]'});
      }
    `;
  }
}

registerKernel({
  kernelName: HEAD_ATTENTION_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { q, k, norm, eq, ek } = inputs as Record<'q' | 'k' | 'norm', TensorInfo> & Partial<Record<'eq' | 'ek', TensorInfo>>;
    const [batch, length, heads] = q.shape;
    const positions = eq !== undefined && ek !== undefined ? [eq, ek] : [];
    const program = new AttentionProgram([length, batch * heads, length], positions.length > 0);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [q, k, norm, ...positions], 'float32');
  },
});

registerKernel({
  kernelName: HEAD_RETRIEVAL_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { attention, v, scale, shift, ev } = inputs as Record<'attention' | 'v' | 'scale' | 'shift', TensorInfo> & Partial<Record<'ev', TensorInfo>>;
    const [batch, length, heads, depth] = v.shape;
    const program = new RetrievalProgram([batch, length, heads * depth], ev !== undefined);
    return (backend as WebGPUBackend).runWebGPUProgram(program, ev === undefined ? [attention, v, scale, shift] : [attention, v, scale, shift, ev], 'float32');
  },
});
