import * as tf from '@tensorflow/tfjs-core';
import type { BatchNorm } from './batch-norm';
import { isCalibrating } from './calibration';
import { hasOwnKernel, runOwnKernel } from './own-kernel';

/**
 * A backend may register these two kernels, the batched products of a multi-head attention
 * whose logits and outputs go through BatchNorms (the axial attention of the pixel decoder
 * and Axial-ResNet, spec 3.4; the kMaX layers' self-attention, spec 3.5), each in one pass
 * where tfjs's ops take a dozen (transposes to batch the products, the scales, the sums):
 * - attention: inputs `q`, `k` [B, L, h, d], `norm` [h] (the similarity BN's scales), and
 *   with relative positions `eq` [d, l, m], `ek` [d, m, l] and `norm` [3h] (content,
 *   query-position and key-position scales); out `[L(query), B*h, L(key)]`, the softmax
 *   over keys of the terms, each times its head's scale, summed. The BN shifts are left
 *   out: per head they add one constant to every logit, which the softmax ignores.
 * - retrieval: inputs `attention` [l, B*h, m], `v` [B, L, h, dv], `scale`, `shift` [Cv], and
 *   with relative positions `ev` [m, l, dv] and `scale`, `shift` [2 Cv] (content, then
 *   position); out `[B, L, Cv]`, each retrieved term through its BN, summed.
 * src/backend/webgpu-multi-head-attention.ts does for WebGPU.
 */
export const HEAD_ATTENTION_KERNEL = 'KmaxHeadAttention';
export const HEAD_RETRIEVAL_KERNEL = 'KmaxHeadRetrieval';

export interface OwnAttentionInputs {
  /** q, k `[B, L, h, d]`; v `[B, L, h, dv]`. */
  readonly q: tf.Tensor4D;
  readonly k: tf.Tensor4D;
  readonly v: tf.Tensor4D;
  /** The BatchNorms of the logits (its scales; [h] or [3h]) and of the retrieved values ([Cv] or [2 Cv]). */
  readonly similarityNorm: BatchNorm;
  readonly outputNorm: BatchNorm;
  /** Relative-position embeddings, laid out as above. */
  readonly positions?: { readonly eq: tf.Tensor3D; readonly ek: tf.Tensor3D; readonly ev: tf.Tensor3D };
}

/**
 * The attention through the backend's own kernels, `[B, L, Cv]`; undefined where the
 * backend has none, or while calibrating (the BatchNorms then see their inputs, which
 * these kernels never materialise).
 */
export function ownMultiHeadAttention({ q, k, v, similarityNorm, outputNorm, positions }: OwnAttentionInputs): tf.Tensor3D | undefined {
  if (isCalibrating() || !hasOwnKernel(HEAD_ATTENTION_KERNEL) || !hasOwnKernel(HEAD_RETRIEVAL_KERNEL)) return undefined;
  return tf.tidy(() => {
    const attention = runOwnKernel(HEAD_ATTENTION_KERNEL, { q, k, norm: similarityNorm.affine().scale, ...(positions && { eq: positions.eq, ek: positions.ek }) }) as tf.Tensor;
    return runOwnKernel(HEAD_RETRIEVAL_KERNEL, { attention, v, ...outputNorm.affine(), ...(positions && { ev: positions.ev }) }) as tf.Tensor3D;
  });
}
