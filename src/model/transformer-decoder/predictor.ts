import * as tf from '@tensorflow/tfjs-core';
import type { KMaXConfig } from '../config';
import { BatchNorm } from '../layers/batch-norm';
import { Conv1dBN, Conv2dBN, kmaxConvBN } from '../layers/conv';
import { l2Normalize } from '../layers/l2-normalize';
import type { WeightReader } from '../weights';

/** What a predictor says about the current cluster centres (NHWC, batch dropped). */
export type Prediction = {
  /** `[K, C+1]`, void last, void prior included. */
  readonly classLogits: tf.Tensor2D;
  /** `[H, W, K]`, after the scalar mask BatchNorm. */
  readonly maskLogits: tf.Tensor3D;
  /** `[H, W, E]`, L2-normalised over E. */
  readonly pixelEmbedding: tf.Tensor3D;
};

/** Probability the void prior gives void (deeplab2 `add_bias_towards_void`). */
const VOID_PRIOR = 0.9;

/**
 * `ln(C * 0.9 / 0.1) = ln(9C)`: added to the void (last) logit in the forward
 * pass of every predictor; it is not in the stored bias (spec 3.6, T1).
 */
export function voidPrior(numClasses: number): number {
  return Math.log((numClasses * VOID_PRIOR) / (1 - VOID_PRIOR));
}

/**
 * kMaXPredictor (spec 3.6): turns cluster centres into class logits and, by a
 * dot product with a normalised pixel embedding, mask logits. Seven instances
 * share this structure: one per kMaX layer and the final one.
 */
export class KMaXPredictor {
  private readonly pixelDepthwise: Conv2dBN;
  private readonly pixelPointwise: Conv2dBN;
  private readonly pixelEmbeddingConv: Conv2dBN;
  private readonly maskHead: Conv1dBN;
  private readonly classHead: Conv1dBN;
  private readonly maskNorm: BatchNorm;
  private readonly voidBias: tf.Tensor1D;

  /**
   * @param prefix e.g. `sem_seg_head.predictor._predcitor` (upstream spelling).
   * @param pixelChannels width of the pixel feature it reads.
   * @param embeddingChannels width of the class and mask embeddings (centres).
   */
  constructor(weights: WeightReader, prefix: string, pixelChannels: number, embeddingChannels: number, config: KMaXConfig) {
    const { headChannels, embeddingChannels: maskChannels } = config.predictor;
    const classes = config.numClasses + 1;
    this.pixelDepthwise = new Conv2dBN(weights, kmaxConvBN(`${prefix}._pixel_space_head_conv0bnact`), pixelChannels, pixelChannels, {
      kernel: 5,
      pad: 2,
      depthwise: true,
      act: 'gelu',
    });
    this.pixelPointwise = new Conv2dBN(weights, kmaxConvBN(`${prefix}._pixel_space_head_conv1bnact`), pixelChannels, headChannels, {
      kernel: 1,
      act: 'gelu',
    });
    this.pixelEmbeddingConv = new Conv2dBN(weights, kmaxConvBN(`${prefix}._pixel_space_head_last_convbn`), headChannels, maskChannels, {
      kernel: 1,
      bias: true,
    });
    this.maskHead = new Conv1dBN(weights, kmaxConvBN(`${prefix}._transformer_mask_head`), embeddingChannels, maskChannels);
    this.classHead = new Conv1dBN(weights, { conv: `${prefix}._transformer_class_head.conv` }, embeddingChannels, classes, { bias: true });
    this.maskNorm = new BatchNorm(weights, `${prefix}._pixel_space_mask_batch_norm`, 1);
    const bias = new Array<number>(classes).fill(0);
    bias[classes - 1] = voidPrior(config.numClasses);
    this.voidBias = tf.tensor1d(bias);
  }

  /** pixel `[1, H, W, Cp]`, embeddings `[K, Ce]`. */
  apply(pixel: tf.Tensor4D, maskEmbedding: tf.Tensor2D, classEmbedding: tf.Tensor2D): Prediction {
    return tf.tidy(() => {
      const pixelEmbedding = this.pixelEmbedding(pixel);
      const [h, w, e] = pixelEmbedding.shape;
      const kernels = this.maskHead.apply(maskEmbedding);
      // Mask logits L[p, k] = <embedding[p], kernel[k]>, then the 1-channel BN
      // applied to every logit alike (a negative gamma flips the argmax, T16).
      // kernels^T made explicit: tfjs-wasm runs a transposed matMul in a scalar loop.
      const dots = tf.matMul(tf.reshape(pixelEmbedding, [h * w, e]), tf.transpose(kernels));
      const maskLogits = tf.reshape(this.maskNorm.apply(tf.reshape(dots, [-1, 1])), [h, w, kernels.shape[0]]) as tf.Tensor3D;
      const classLogits = tf.add(this.classHead.apply(classEmbedding), this.voidBias) as tf.Tensor2D;
      return { classLogits, maskLogits, pixelEmbedding };
    });
  }

  /** Frees the void-prior constant (weights belong to the model's tensors). */
  dispose(): void {
    this.voidBias.dispose();
  }

  /** depthwise 5x5 + BN + GELU -> 1x1 + BN + GELU -> 1x1 (bias) + BN -> L2 normalise. */
  private pixelEmbedding(pixel: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const x = this.pixelEmbeddingConv.apply(this.pixelPointwise.apply(this.pixelDepthwise.apply(pixel)));
      return tf.squeeze(l2Normalize(x), [0]) as tf.Tensor3D;
    });
  }
}
