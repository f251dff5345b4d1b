import * as tf from '@tensorflow/tfjs-core';
import type { AttentionMode } from './attention-mode';
import type { KMaXConfig } from '../config';
import { gelu } from '../layers/activations';
import { batchMatMul } from '../layers/batch-matmul';
import { BatchNorm } from '../layers/batch-norm';
import { Conv1dBN, Conv2dBN, kmaxConvBN } from '../layers/conv';
import { ownMultiHeadAttention } from '../layers/multi-head-attention';
import type { WeightReader } from '../weights';
import { clusterUpdate } from './cluster-attention';
import { KMaXPredictor, type Prediction } from './predictor';

export type KMaXLayerOutput = {
  /** Centres leaving the layer, `[K, Cq]`. */
  readonly centres: tf.Tensor2D;
  /** The layer's auxiliary prediction, made from the centres ENTERING it (spec 7). */
  readonly prediction: Prediction;
};

/**
 * One kMaX transformer layer (spec 3.5, PT `kMaXTransformerLayer`): predict
 * masks with the current centres, use them as the cluster assignment, update the
 * centres from their pixels, alongside self-attention among the centres; FFN.
 */
export class KMaXTransformerLayer {
  private readonly pixelConv: Conv2dBN;
  private readonly queryConv: Conv1dBN;
  private readonly pixelValueConv: Conv2dBN;
  private readonly predictor: KMaXPredictor;
  private readonly kmeansNorm: BatchNorm;
  private readonly kmeansConv: Conv1dBN;
  private readonly qkvConv: Conv1dBN;
  private readonly similarityNorm: BatchNorm;
  private readonly retrievedNorm: BatchNorm;
  private readonly attentionConv: Conv1dBN;
  private readonly ffnExpand: Conv1dBN;
  private readonly ffnProject: Conv1dBN;
  private readonly heads: number;
  private readonly keyChannels: number;
  private readonly valueChannels: number;

  /** @param prefix e.g. `sem_seg_head.predictor._kmax_transformer_layers.0`. */
  constructor(weights: WeightReader, prefix: string, pixelChannels: number, config: KMaXConfig) {
    const d = config.transformerDecoder;
    const width = d.bottleneckChannels;
    this.heads = d.heads;
    this.keyChannels = d.keyChannels;
    this.valueChannels = d.valueChannels;
    const conv1d = (name: string, inC: number, outC: number, act: 'gelu' | 'none' = 'none'): Conv1dBN =>
      new Conv1dBN(weights, kmaxConvBN(`${prefix}.${name}`), inC, outC, { act });

    this.pixelConv = new Conv2dBN(weights, kmaxConvBN(`${prefix}._pixel_conv1_bn_act`), pixelChannels, width, { kernel: 1, act: 'gelu' });
    this.queryConv = conv1d('_query_conv1_bn_act', d.queryChannels, width, 'gelu');
    this.pixelValueConv = new Conv2dBN(weights, kmaxConvBN(`${prefix}._pixel_v_conv_bn`), width, d.valueChannels, { kernel: 1 });
    this.predictor = new KMaXPredictor(weights, `${prefix}._predcitor`, width, width, config);
    this.kmeansNorm = new BatchNorm(weights, `${prefix}._kmeans_query_batch_norm_retrieved_value`, d.valueChannels);
    this.kmeansConv = conv1d('_kmeans_query_conv3_bn', d.valueChannels, d.queryChannels);
    this.qkvConv = conv1d('_query_qkv_conv_bn', width, 2 * d.keyChannels + d.valueChannels);
    this.similarityNorm = new BatchNorm(weights, `${prefix}._query_self_attention._batch_norm_similarity`, d.heads);
    this.retrievedNorm = new BatchNorm(weights, `${prefix}._query_self_attention._batch_norm_retrieved_value`, d.valueChannels);
    this.attentionConv = conv1d('_query_conv3_bn', d.valueChannels, d.queryChannels);
    this.ffnExpand = conv1d('_query_ffn_conv1_bn_act', d.queryChannels, d.ffnChannels, 'gelu');
    this.ffnProject = conv1d('_query_ffn_conv2_bn', d.ffnChannels, d.queryChannels);
  }

  /** centres `[K, Cq]`; pixel: the un-activated decoder output `[1, H, W, Cf]`. */
  apply(centres: tf.Tensor2D, pixel: tf.Tensor4D, mode: AttentionMode): KMaXLayerOutput {
    return tf.tidy(() => {
      // 1-3. Pixel path P (the layer activates its input, T11), query path Q, values V.
      const pixelSpace = this.pixelConv.apply(gelu(pixel) as tf.Tensor4D);
      const query = this.queryConv.apply(centres);
      const [, h, w] = pixelSpace.shape;
      const values = tf.reshape(this.pixelValueConv.apply(pixelSpace), [h * w, this.valueChannels]) as tf.Tensor2D;
      // 4. Auxiliary prediction from the centres entering the layer (T2).
      const prediction = this.predictor.apply(pixelSpace, query, query);
      // 5-7. Cross-attention update from the mask logits -> BN_kmeans -> conv3_bn.
      const logits = tf.reshape(prediction.maskLogits, [h * w, -1]) as tf.Tensor2D;
      const kmeans = this.kmeansConv.apply(this.kmeansNorm.apply(clusterUpdate(mode, logits, values)) as tf.Tensor2D);
      // 8. Self-attention among the centres, computed from the same Q (T4).
      const attention = this.attentionConv.apply(this.selfAttention(query));
      // 9-10. Both updates join the raw input; FFN with its own residual (T4).
      const joined = gelu(tf.add(tf.add(centres, kmeans), attention)) as tf.Tensor2D;
      const ffn = this.ffnProject.apply(this.ffnExpand.apply(joined));
      return { centres: gelu(tf.add(joined, ffn)) as tf.Tensor2D, prediction };
    });
  }

  /**
   * Multi-head attention on `[K, C]`: qkv split `[q | k | v]`, heads as
   * contiguous channel blocks (T6); no 1/sqrt(d) (T5), a BN per head on the
   * logits instead; softmax over keys; BN -> GELU on the re-assembled values.
   */
  private selfAttention(query: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const k = query.shape[0];
      const { heads, keyChannels: ck, valueChannels: cv } = this;
      const [q, key, v] = this.qkvConv.applySplit(query, [ck, ck, cv]);
      const byHead = (x: tf.Tensor, depth: number): tf.Tensor4D => tf.reshape(x, [1, k, heads, depth]);
      const own = ownMultiHeadAttention({
        q: byHead(q, ck / heads),
        k: byHead(key, ck / heads),
        v: byHead(v, cv / heads),
        similarityNorm: this.similarityNorm,
        outputNorm: this.retrievedNorm,
      });
      if (own !== undefined) return gelu(tf.reshape(own, [k, cv])) as tf.Tensor2D;
      const perHead = (x: tf.Tensor, depth: number): tf.Tensor3D => tf.transpose(tf.reshape(x, [k, heads, depth]), [1, 0, 2]);
      const similarity = batchMatMul(perHead(q, ck / heads), perHead(key, ck / heads), true); // [heads, K, K]
      // The similarity BN's channel axis is the head: bring it last and back.
      const normalised = tf.transpose(this.similarityNorm.apply(tf.transpose(similarity, [1, 2, 0])), [2, 0, 1]);
      const retrieved = batchMatMul(tf.softmax(normalised) as tf.Tensor3D, perHead(v, cv / heads)); // [heads, K, dv]
      const merged = tf.reshape(tf.transpose(retrieved, [1, 0, 2]), [k, cv]);
      return gelu(this.retrievedNorm.apply(merged)) as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.predictor.dispose();
  }
}
