import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../layers/batch-norm';
import { isCalibrating } from '../layers/calibration';
import { Conv1dBN } from '../layers/conv';
import type { WeightReader } from '../weights';
import { RELATIVE_POSITION_ROWS, relativePositionIndex } from './relative-position';

export interface AxialAttentionShape {
  readonly inChannels: number;
  /** Total query/key depth Ck. */
  readonly keyChannels: number;
  /** Total value depth Cv (the output width). */
  readonly valueChannels: number;
  readonly heads: number;
}

/**
 * 1-D position-sensitive self-attention of Axial-DeepLab (spec 3.4, steps 1-8), on
 * B sequences of length L at once: `[B, L, inChannels] -> [B, L, valueChannels]`.
 * Logits are q.k + q.E_q + k.E_k with no 1/sqrt(d) (T5): a BatchNorm per (term, head)
 * replaces the scaling. Heads are contiguous channel blocks (T6).
 */
export class AxialAttention {
  private readonly qkv: Conv1dBN;
  private readonly queryTable: tf.Tensor2D;
  private readonly keyTable: tf.Tensor2D;
  private readonly valueTable: tf.Tensor2D;
  /** 3 x heads channels: [content h0.., query-rpe h0.., key-rpe h0..] (T7). */
  private readonly similarityNorm: BatchNorm;
  /** 2 x Cv channels: [content retrieval | value-rpe retrieval] (T7). */
  private readonly outputNorm: BatchNorm;
  private readonly keyDepth: number;
  private readonly valueDepth: number;

  constructor(weights: WeightReader, prefix: string, private readonly shape: AxialAttentionShape) {
    const { inChannels, keyChannels, valueChannels, heads } = shape;
    if (keyChannels % heads !== 0 || valueChannels % heads !== 0) {
      throw new Error(`${prefix}: ${keyChannels} key / ${valueChannels} value channels do not split into ${heads} heads`);
    }
    this.keyDepth = keyChannels / heads;
    this.valueDepth = valueChannels / heads;
    this.qkv = new Conv1dBN(
      weights,
      { conv: `${prefix}.qkv_transform.conv`, norm: `${prefix}._batch_norm_qkv` },
      inChannels,
      2 * keyChannels + valueChannels,
    );
    const table = (name: string, depth: number) =>
      weights.take(`${prefix}._${name}_rpe._embeddings.weight`, [RELATIVE_POSITION_ROWS, depth]) as tf.Tensor2D;
    this.queryTable = table('query', this.keyDepth);
    this.keyTable = table('key', this.keyDepth);
    this.valueTable = table('value', this.valueDepth);
    this.similarityNorm = new BatchNorm(weights, `${prefix}._batch_norm_similarity`, 3 * heads);
    this.outputNorm = new BatchNorm(weights, `${prefix}._batch_norm_retrieved_output`, 2 * valueChannels);
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const [batch, length, inChannels] = x.shape;
    const { keyChannels, valueChannels, heads } = this.shape;
    const positions = relativePositionIndex(length);
    return tf.tidy(() => {
      // 1-2. qkv = BN(x W), split [q | k | v], heads as [B, h, L, d].
      const qkv = this.qkv.apply(tf.reshape(x, [batch * length, inChannels]));
      const [q, k, v] = tf.split(qkv, [keyChannels, keyChannels, valueChannels], 1);
      const toHeads = (t: tf.Tensor, depth: number) =>
        tf.transpose(tf.reshape(t, [batch, length, heads, depth]), [0, 2, 1, 3]) as tf.Tensor4D;
      const qh = toHeads(q, this.keyDepth);
      const kh = toHeads(k, this.keyDepth);
      const vh = toHeads(v, this.valueDepth);

      // 3. E[l, m] = T[m - l + 254], [L, L, d].
      const index = tf.tensor1d(positions, 'int32');
      const embed = (table: tf.Tensor2D, depth: number) =>
        tf.reshape(tf.gather(table, index), [length, length, depth]) as tf.Tensor3D;

      // 4-5. Three logit terms [B, h, L(query), L(key)], each BN'd, then summed.
      const similarity = sumOfNormalisedTerms<tf.Tensor4D>(
        this.similarityNorm,
        [
          tf.matMul(qh, kh, false, true),
          this.queryPositionLogits(qh, embed(this.queryTable, this.keyDepth)),
          this.keyPositionLogits(kh, embed(this.keyTable, this.keyDepth)),
        ],
        1,
      );
      // 6. Softmax over keys (tfjs kernels subtract the row max first).
      const attention = tf.softmax(similarity);
      // 7-8. Retrieve values and value-position embeddings, BN each, sum.
      const content = tf.reshape(tf.transpose(tf.matMul(attention, vh), [0, 2, 1, 3]), [batch, length, valueChannels]);
      const position = this.positionRetrieval(attention, embed(this.valueTable, this.valueDepth));
      return sumOfNormalisedTerms(this.outputNorm, [content as tf.Tensor3D, position], 2);
    });
  }

  /** S_q[b,h,l,m] = q[b,h,l] . E_q[l,m], batched over the query position l (Appendix B). */
  private queryPositionLogits(q: tf.Tensor4D, embedding: tf.Tensor3D): tf.Tensor4D {
    const [batch, heads, length] = q.shape;
    const byQuery = tf.matMul(byPosition(q), embedding, false, true); // [l, B*h, m]
    return tf.transpose(tf.reshape(byQuery, [length, batch, heads, length]), [1, 2, 0, 3]);
  }

  /** S_k[b,h,l,m] = k[b,h,m] . E_k[l,m], batched over the key position m (Appendix B). */
  private keyPositionLogits(k: tf.Tensor4D, embedding: tf.Tensor3D): tf.Tensor4D {
    const [batch, heads, length] = k.shape;
    const embeddingByKey = tf.transpose(embedding, [1, 0, 2]); // [m, l, d]
    const byKey = tf.matMul(byPosition(k), embeddingByKey, false, true); // [m, B*h, l]
    return tf.transpose(tf.reshape(byKey, [length, batch, heads, length]), [1, 2, 3, 0]);
  }

  /** O_r[b,l,h*dv+d] = sum_m A[b,h,l,m] E_v[l,m,d], batched over l. */
  private positionRetrieval(attention: tf.Tensor4D, embedding: tf.Tensor3D): tf.Tensor3D {
    const [batch, , length] = attention.shape;
    const retrieved = tf.matMul(byPosition(attention), embedding); // [l, B*h, dv]
    return tf.transpose(tf.reshape(retrieved, [length, batch, this.shape.valueChannels]), [1, 0, 2]);
  }
}

/**
 * A BatchNorm over several terms at once, its channels laid out term after term
 * ([term 0 channels | term 1 channels | ...], spec T7): each term is normalised
 * with its own block, then the terms are summed. `channelAxis` is the axis of a
 * term that carries its channels.
 */
function sumOfNormalisedTerms<T extends tf.Tensor>(norm: BatchNorm, terms: readonly T[], channelAxis: number): T {
  const stacked = tf.stack(terms as T[]); // [terms, ...term shape]
  const axis = channelAxis + 1;
  if (isCalibrating()) {
    // Channels last, term-major, so channel (term, c) sits at term * C + c.
    const others = stacked.shape.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
    norm.calibrate(tf.reshape(tf.transpose(stacked, [...others, 0, axis]), [-1, norm.channels]));
  }
  const { scale, shift } = norm.affine();
  const broadcast = stacked.shape.map((d, i) => (i === 0 || i === axis ? d : 1));
  return tf.sum(tf.add(tf.mul(stacked, tf.reshape(scale, broadcast)), tf.reshape(shift, broadcast)), 0) as T;
}

/** [B, h, L, d] -> [L, B*h, d]: the position becomes the matMul batch axis. */
function byPosition(t: tf.Tensor4D): tf.Tensor3D {
  const [batch, heads, length, depth] = t.shape;
  return tf.reshape(tf.transpose(t, [2, 0, 1, 3]), [length, batch * heads, depth]);
}
