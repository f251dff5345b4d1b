import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../layers/batch-norm';
import { minorBatchMatMul } from '../layers/batch-matmul';
import { isCalibrating } from '../layers/calibration';
import { Conv1dBN } from '../layers/conv';
import { ownMultiHeadAttention } from '../layers/multi-head-attention';
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

/** q, k or v of every head, `[B, L, h, d]` (heads are contiguous channel blocks, T6). */
type PerHead = tf.Tensor4D;

/**
 * 1-D position-sensitive self-attention of Axial-DeepLab (spec 3.4, steps 1-8), on
 * B sequences of length L at once: `[B, L, inChannels] -> [B, L, valueChannels]`.
 * Logits are q.k + q.E_q + k.E_k with no 1/sqrt(d) (T5): a BatchNorm per (term, head)
 * replaces the scaling. Heads are contiguous channel blocks (T6).
 *
 * Where the backend has no multi-head attention kernel of ours (model/layers/
 * multi-head-attention.ts; WebGPU has), every product is batched over one axis (the head
 * n = (b, h), or a position, as in Appendix B) and written as a `minorBatchMatMul`, its
 * operands laid out with that axis minor; the logits live as `[L(query), B*h, L(key)]`.
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
  /** The relative-position embeddings at the last length seen: weights only, so built once per size, not per run. */
  private embeddings: { length: number; query: tf.Tensor3D; key: tf.Tensor3D; value: tf.Tensor3D } | null = null;

  constructor(
    private readonly weights: WeightReader,
    prefix: string,
    private readonly shape: AxialAttentionShape,
  ) {
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
    const { query: queryEmbedding, key: keyEmbedding, value: valueEmbedding } = this.embeddingsAt(length);
    return tf.tidy(() => {
      // 1-2. qkv = BN(x W), split [q | k | v], per head.
      const [q, k, v] = this.qkv.applySplit(tf.reshape(x, [batch * length, inChannels]), [keyChannels, keyChannels, valueChannels]);
      const q4 = tf.reshape(q, [batch, length, heads, this.keyDepth]) as PerHead;
      const k4 = tf.reshape(k, [batch, length, heads, this.keyDepth]) as PerHead;
      const v4 = tf.reshape(v, [batch, length, heads, this.valueDepth]) as PerHead;
      const positions = { eq: queryEmbedding, ek: keyEmbedding, ev: valueEmbedding };
      const own = ownMultiHeadAttention({ q: q4, k: k4, v: v4, similarityNorm: this.similarityNorm, outputNorm: this.outputNorm, positions });
      if (own !== undefined) return own;

      // 4-5. Three logit terms, each BN'd per head, summed. The shifts are dropped:
      // per head they add one constant to every logit, which the softmax ignores.
      if (isCalibrating()) {
        const terms = [contentLogits(q4, k4), queryPositionLogits(q4, queryEmbedding), keyPositionLogits(k4, keyEmbedding)];
        calibrateOnTerms(this.similarityNorm, terms.map((t) => tf.reshape(t, [length, batch, heads, length])), 2);
      }
      const similarity = similarityLogits(q4, k4, queryEmbedding, keyEmbedding, this.similarityNorm.affine().scale);
      // 6. Softmax over keys (tfjs kernels subtract the row max first).
      const attention = tf.softmax(similarity) as tf.Tensor3D; // [l, n, m]

      // 7-8. Retrieve values and value-position embeddings, BN each, sum.
      if (isCalibrating()) {
        const terms = [contentRetrieval(attention, v4), positionRetrieval(attention, valueEmbedding, batch)];
        calibrateOnTerms(this.outputNorm, terms, 2);
      }
      const { scale, shift } = this.outputNorm.affine();
      return normalisedRetrieval(attention, v4, valueEmbedding, scale, shift);
    });
  }

  /**
   * 3. E[l, m] = T[m - l + 254] for the query and key tables ([d, l, m] and, key-major,
   * [d, m, l]: gathering the reversed table with the same index yields T[l - m + 254]) and
   * the value table ([m, l, dv]). Kept for the last length only; the model frees them.
   */
  private embeddingsAt(length: number): { query: tf.Tensor3D; key: tf.Tensor3D; value: tf.Tensor3D } {
    if (this.embeddings?.length === length) return this.embeddings;
    if (this.embeddings !== null) tf.dispose([this.embeddings.query, this.embeddings.key, this.embeddings.value]);
    const positions = relativePositionIndex(length);
    const built = tf.tidy(() => {
      const index = tf.tensor1d(positions, 'int32');
      const embed = (table: tf.Tensor2D, depth: number, keyMajor: boolean) => {
        const t = keyMajor ? tf.reverse(table, 0) : table;
        return tf.reshape(tf.gather(tf.transpose(t), index, 1), [depth, length, length]) as tf.Tensor3D;
      };
      return {
        query: embed(this.queryTable, this.keyDepth, false),
        key: embed(this.keyTable, this.keyDepth, true),
        value: tf.reshape(tf.gather(tf.reverse(this.valueTable, 0), index), [length, length, this.valueDepth]) as tf.Tensor3D,
      };
    });
    // Kept out of any enclosing tidy (a run's), freed with the model's derived weights.
    const kept = <T extends tf.Tensor>(t: T) => this.weights.track(tf.keep(t));
    this.embeddings = { length, query: kept(built.query), key: kept(built.key), value: kept(built.value) };
    return this.embeddings;
  }
}

/** Steps 4-5 with tfjs ops: `[L(query), B*h, L(key)]`, each term's BN scale folded into its q or k. */
function similarityLogits(q: PerHead, k: PerHead, queryEmbedding: tf.Tensor3D, keyEmbedding: tf.Tensor3D, scale: tf.Tensor1D): tf.Tensor3D {
  const [contentScale, queryScale, keyScale] = tf.split(scale, 3);
  return tf.addN([
    contentLogits(q, scaleHeads(k, contentScale)),
    queryPositionLogits(scaleHeads(q, queryScale), queryEmbedding),
    keyPositionLogits(scaleHeads(k, keyScale), keyEmbedding),
  ]);
}

/** Steps 7-8 with tfjs ops: `[B, L, Cv]`; the content BN scale is folded into v, the other scale and both shifts follow. */
function normalisedRetrieval(attention: tf.Tensor3D, v: PerHead, valueEmbedding: tf.Tensor3D, scale: tf.Tensor1D, shift: tf.Tensor1D): tf.Tensor3D {
  const [contentOut, positionOut] = tf.split(scale, 2);
  const [contentShift, positionShift] = tf.split(shift, 2);
  const retrieved = tf.add(
    contentRetrieval(attention, scaleHeads(v, contentOut)),
    tf.mul(positionRetrieval(attention, valueEmbedding, v.shape[0]), positionOut),
  );
  return tf.add(retrieved, tf.add(contentShift, positionShift));
}

/** `[B, L, h, d]` reordered by `perm` (which keeps h right after b), then (b, h) folded into n. */
function headsMinor(t: PerHead, perm: number[]): tf.Tensor3D {
  const moved = tf.transpose(t, perm);
  const at = perm.indexOf(0);
  const shape = moved.shape;
  const folded = [...shape.slice(0, at), shape[at] * shape[at + 1], ...shape.slice(at + 2)] as [number, number, number];
  return tf.reshape(moved, folded);
}

/** Content logits q[n, l] . k[n, m], batched over n: `[L(query), B*h, L(key)]`. */
function contentLogits(q: PerHead, k: PerHead): tf.Tensor3D {
  return minorBatchMatMul(headsMinor(q, [1, 3, 0, 2]), headsMinor(k, [3, 0, 2, 1])); // [l, d, n] x [d, n, m]
}

/** S_q[l, n, m] = q[n, l] . E_q[l, m], batched over the query position l. */
function queryPositionLogits(q: PerHead, embedding: tf.Tensor3D): tf.Tensor3D {
  const byQuery = minorBatchMatMul(headsMinor(q, [0, 2, 3, 1]), embedding); // [n, d, l] x [d, l, m] -> [n, l, m]
  return tf.transpose(byQuery, [1, 0, 2]);
}

/** S_k[l, n, m] = k[n, m] . E_k[l, m], batched over the key position m. */
function keyPositionLogits(k: PerHead, embedding: tf.Tensor3D): tf.Tensor3D {
  const byKey = minorBatchMatMul(headsMinor(k, [0, 2, 3, 1]), embedding); // [n, d, m] x [d, m, l] -> [n, m, l]
  return tf.transpose(byKey, [2, 0, 1]);
}

/** O_c[b, l, h*dv + d] = sum_m A[l, n, m] v[n, m, d], batched over n. */
function contentRetrieval(attention: tf.Tensor3D, v: PerHead): tf.Tensor3D {
  const length = attention.shape[0];
  const [batch, , heads, depth] = v.shape;
  const retrieved = minorBatchMatMul(tf.transpose(attention, [0, 2, 1]), headsMinor(v, [1, 0, 2, 3])); // [l, m, n] x [m, n, dv]
  return tf.transpose(tf.reshape(retrieved, [length, batch, heads * depth]), [1, 0, 2]);
}

/** O_r[b, l, h*dv + d] = sum_m A[l, n, m] E_v[l, m, d], batched over the query position l. */
function positionRetrieval(attention: tf.Tensor3D, embedding: tf.Tensor3D, batch: number): tf.Tensor3D {
  const [length, n] = attention.shape;
  const depth = embedding.shape[2];
  const retrieved = minorBatchMatMul(tf.transpose(attention, [1, 2, 0]), embedding); // [n, m, l] x [m, l, dv] -> [n, l, dv]
  const heads = n / batch;
  return tf.reshape(tf.transpose(tf.reshape(retrieved, [batch, heads, length, depth]), [0, 2, 1, 3]), [batch, length, heads * depth]);
}

/** `[B, L, h, d]` times a per-head (`[h]`) or per-channel (`[h*d]`) scale. */
function scaleHeads(t: PerHead, scale: tf.Tensor): PerHead {
  const [, , heads, depth] = t.shape;
  return tf.mul(t, tf.reshape(scale, [1, 1, heads, scale.size === heads ? 1 : depth]));
}

/**
 * Calibration of a BatchNorm over several terms at once, its channels laid out
 * term after term ([term 0 channels | term 1 channels | ...], spec T7):
 * `channelAxis` is the axis of a term that carries its channels.
 */
function calibrateOnTerms(norm: BatchNorm, terms: readonly tf.Tensor[], channelAxis: number): void {
  tf.tidy(() => {
    const stacked = tf.stack(terms as tf.Tensor[]); // [terms, ...term shape]
    const axis = channelAxis + 1;
    // Channels last, term-major, so channel (term, c) sits at term * C + c.
    const others = stacked.shape.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
    norm.calibrate(tf.reshape(tf.transpose(stacked, [...others, 0, axis]), [-1, norm.channels]));
  });
}
