import * as tf from '@tensorflow/tfjs-core';
import type { AttentionMode } from './attention-mode';
import type { KMaXConfig } from '../config';
import { Conv1dBN, kmaxConvBN } from '../layers/conv';
import type { WeightReader } from '../weights';
import { KMaXTransformerLayer, type KMaXLayerOutput } from './kmax-layer';
import { KMaXPredictor, type Prediction } from './predictor';

const PREFIX = 'sem_seg_head.predictor';

/**
 * kMaX transformer decoder (spec 3.5, PT `kMaXTransformerDecoder`): K learned
 * centres refined by kMaX layers over the decoder outputs coarse to fine
 * (D32, D32, D16, D16, D8, D8 officially), then the final predictor on the
 * finest decoder output.
 */
export class KMaXTransformerDecoder {
  /** Learned initial centres Z0, `[K, Cq]` (PT `[Cq, K]`, transposed by the converter, T15). */
  private readonly clusterCentres: tf.Tensor2D;
  private readonly layers: readonly KMaXTransformerLayer[];
  /** Decoder output index each layer reads. */
  private readonly layerStages: readonly number[];
  private readonly classProjection: Conv1dBN;
  private readonly maskProjection: Conv1dBN;
  private readonly predictor: KMaXPredictor;

  /**
   * @param stageChannels channels of every pixel-decoder output, coarse to fine;
   *   the kMaX layers read the first `layersPerStage.length`, the final predictor the last.
   */
  constructor(weights: WeightReader, config: KMaXConfig, stageChannels: readonly number[]) {
    const d = config.transformerDecoder;
    this.clusterCentres = weights.take(`${PREFIX}._cluster_centers.weight`, [d.numClusters, d.queryChannels]) as tf.Tensor2D;
    this.layerStages = d.layersPerStage.flatMap((count, stage) => new Array<number>(count).fill(stage));
    this.layers = this.layerStages.map(
      (stage, i) => new KMaXTransformerLayer(weights, `${PREFIX}._kmax_transformer_layers.${i}`, stageChannels[stage], config),
    );
    const projection = (name: string): Conv1dBN =>
      new Conv1dBN(weights, kmaxConvBN(`${PREFIX}.${name}`), d.queryChannels, d.queryChannels, { act: 'gelu' });
    this.classProjection = projection('_class_embedding_projection');
    this.maskProjection = projection('_mask_embedding_projection');
    this.predictor = new KMaXPredictor(weights, `${PREFIX}._predcitor`, stageChannels[stageChannels.length - 1], d.queryChannels, config);
  }

  get numLayers(): number {
    return this.layers.length;
  }

  /** Which pixel-decoder output layer `i` reads (0 = coarsest). */
  stageOfLayer(i: number): number {
    return this.layerStages[i];
  }

  /** A fresh handle on Z0 (the caller may dispose it; the weight stays). */
  initialCentres(): tf.Tensor2D {
    return tf.clone(this.clusterCentres);
  }

  /** Layer `i` on its own pixel-decoder output. */
  layer(i: number, centres: tf.Tensor2D, decoderOutputs: readonly tf.Tensor4D[], mode: AttentionMode): KMaXLayerOutput {
    return this.layers[i].apply(centres, decoderOutputs[this.layerStages[i]], mode);
  }

  /**
   * Final prediction: GELU(BN(conv)) class/mask embeddings of the last centres,
   * read against the finest decoder output, which is NOT activated (T11).
   */
  finalHead(centres: tf.Tensor2D, decoderOutputs: readonly tf.Tensor4D[]): Prediction {
    return tf.tidy(() =>
      this.predictor.apply(decoderOutputs[decoderOutputs.length - 1], this.maskProjection.apply(centres), this.classProjection.apply(centres)),
    );
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    this.predictor.dispose();
  }
}
