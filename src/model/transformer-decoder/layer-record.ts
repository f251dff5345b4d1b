import * as tf from '@tensorflow/tfjs-core';
import type { AttentionMode } from './attention-mode';

/** What one kMaX layer (or the final head, `layer = 6`) did, as plain arrays (spec 7). */
export interface LayerRecord {
  /** 0..5 for the kMaX layers, then the final prediction. */
  readonly layer: number;
  readonly final: boolean;
  readonly stride: number;
  readonly attention: AttentionMode | 'final';
  readonly height: number;
  readonly width: number;
  /** argmax over clusters per pixel at native stride, row-major h*w. */
  readonly assignment: Int32Array;
  /** Pixels assigned to each cluster (K), counted over the valid (unpadded) area. */
  readonly clusterSizes: Int32Array;
  /** softmax(class logits), K x (C+1), void last. */
  readonly classProbs: Float32Array;
  /** Max softmax-over-clusters probability per pixel (assignment confidence), h*w. */
  readonly confidence: Float32Array;
  /** With `softMaps`: softmax over clusters, h*w*K (pixel-major). */
  readonly softAssignment?: Float32Array;
  /** With `softMaps`: softmax over pixels per cluster, K*h*w (cluster-major). */
  readonly spatialAttention?: Float32Array;
  /** Rows/columns of the native map that cover the image (the rest is padding). */
  readonly validHeight: number;
  readonly validWidth: number;
}

/** The two logits of one prediction that a record is built from. */
export type LayerLogits = {
  /** `[K, C+1]`, void last. */
  readonly classLogits: tf.Tensor2D;
  /** `[h, w, K]` at the layer's native stride. */
  readonly maskLogits: tf.Tensor3D;
};

/** Where the prediction sits in the decoder and what to read back. */
export interface LayerRecordInfo {
  readonly layer: number;
  readonly final: boolean;
  readonly stride: number;
  readonly attention: LayerRecord['attention'];
  /** Rows/columns of the native map that cover the image, not padding. */
  readonly validHeight: number;
  readonly validWidth: number;
  /** Also read the soft maps (softmax over clusters; softmax over pixels). */
  readonly softMaps?: boolean;
}

/**
 * What a layer did, as plain arrays (spec 7): the k-means assignment (argmax
 * over K, exactly the one-hot used by the update), cluster sizes over the valid
 * area, class probabilities and the assignment confidence. The logits are not
 * disposed; every tensor made here is.
 */
export async function layerRecord(logits: LayerLogits, info: LayerRecordInfo): Promise<LayerRecord> {
  const [height, width, k] = logits.maskLogits.shape;
  const pixels = (): tf.Tensor2D => tf.reshape(logits.maskLogits, [height * width, k]);
  const maps = tf.tidy(() => ({
    assignment: tf.argMax(pixels(), 1),
    confidence: tf.max(tf.softmax(pixels()), 1),
    classProbs: tf.softmax(logits.classLogits),
  }));
  const soft =
    info.softMaps === true
      ? tf.tidy(() => ({ assignment: tf.softmax(pixels()), spatial: tf.softmax(tf.transpose(pixels())) }))
      : null;
  try {
    const assignment = (await maps.assignment.data()) as Int32Array;
    const record: LayerRecord = {
      layer: info.layer,
      final: info.final,
      stride: info.stride,
      attention: info.attention,
      height,
      width,
      assignment,
      clusterSizes: clusterSizes(assignment, width, info.validHeight, info.validWidth, k),
      classProbs: (await maps.classProbs.data()) as Float32Array,
      confidence: (await maps.confidence.data()) as Float32Array,
      validHeight: info.validHeight,
      validWidth: info.validWidth,
    };
    if (soft === null) return record;
    return {
      ...record,
      softAssignment: (await soft.assignment.data()) as Float32Array,
      spatialAttention: (await soft.spatial.data()) as Float32Array,
    };
  } finally {
    tf.dispose([maps.assignment, maps.confidence, maps.classProbs, ...(soft === null ? [] : [soft.assignment, soft.spatial])]);
  }
}

/** Pixels per cluster, counted over the top-left `validHeight x validWidth` area. */
function clusterSizes(assignment: Int32Array, width: number, validHeight: number, validWidth: number, k: number): Int32Array {
  const sizes = new Int32Array(k);
  for (let y = 0; y < validHeight; y++) {
    for (let x = 0; x < validWidth; x++) sizes[assignment[y * width + x]]++;
  }
  return sizes;
}

/** Native-stride rows (or columns) covering `extent` input pixels: pixel i sits on input pixel s*i (spec 1.3). */
export function validExtent(extent: number, stride: number): number {
  return Math.ceil(extent / stride);
}
