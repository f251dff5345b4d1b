import * as tf from '@tensorflow/tfjs-core';
import type { AttentionMode } from '../transformer-decoder/attention-mode';
import { createBackbone, type Backbone, type BackboneFeatures } from '../backbone/backbone';
import type { KMaXConfig } from '../config';
import { KMaXPixelDecoder } from '../pixel-decoder/pixel-decoder';
import type { KMaXLayerOutput } from '../transformer-decoder/kmax-layer';
import type { LayerLogits } from '../transformer-decoder/layer-record';
import type { Prediction } from '../transformer-decoder/predictor';
import { KMaXTransformerDecoder } from '../transformer-decoder/transformer-decoder';
import { WeightReader, type NamedTensors } from '../weights';

export interface ForwardOptions {
  /** One mode for every kMaX layer, or one per layer. Default `kmeans`. */
  readonly attention?: AttentionMode | readonly AttentionMode[];
  /**
   * Receives named intermediates (`backbone.res5`, `pixel_decoder.0`,
   * `layer3.pixel_embedding`, `final.pixel_embedding`, ...). Each is a fresh
   * handle the callee owns and must dispose.
   */
  readonly keep?: (name: string, t: tf.Tensor) => void;
}

export type ForwardOutput = {
  /** Final class logits `[K, C+1]`, void last. */
  readonly predLogits: tf.Tensor2D;
  /** Final mask logits `[h4, w4, K]`. */
  readonly predMasks: tf.Tensor3D;
  /** Every kMaX layer's auxiliary prediction, at its native stride. */
  readonly layers: LayerLogits[];
};

/**
 * kMaX-DeepLab (spec 1): backbone -> pixel decoder -> kMaX transformer decoder.
 * Composition only. The stages are public so a caller can time each one and
 * record every layer; `forward` chains them.
 */
export class KMaXDeepLab {
  private readonly encoder: Backbone;
  private readonly decoder: KMaXPixelDecoder;
  private readonly transformer: KMaXTransformerDecoder;
  private readonly weights: WeightReader;

  /**
   * Builds every module from `tensors` (PT names, tfjs layouts) and checks that
   * they fit: a WeightsMismatchError names each missing, unexpected or
   * mis-shaped key. The model then owns the tensors (see `dispose`).
   */
  constructor(
    readonly config: KMaXConfig,
    private readonly tensors: NamedTensors,
  ) {
    this.weights = new WeightReader(tensors);
    ({ encoder: this.encoder, decoder: this.decoder, transformer: this.transformer } = buildModules(config, this.weights));
    try {
      this.weights.finish();
    } catch (e) {
      this.transformer.dispose();
      this.weights.disposeDerived();
      throw e;
    }
  }

  /**
   * Folds every BatchNorm into its convolution now, at load, rather than inside the first
   * run; ONNX Runtime likewise folds when it creates a session. Calibrating BatchNorms
   * afterwards refolds what it changes. (The split qkv blocks and the relative-position
   * embeddings are still made at their first use.)
   */
  prepare(): void {
    this.weights.deriveAll();
  }

  get numLayers(): number {
    return this.transformer.numLayers;
  }

  /** Which pixel-decoder output (0 = coarsest) kMaX layer `i` reads. */
  stageOfLayer(i: number): number {
    return this.transformer.stageOfLayer(i);
  }

  /** Normalised, padded input `[1, H, W, 3]` -> the endpoints the pixel decoder reads. */
  backbone(x: tf.Tensor4D): BackboneFeatures {
    return this.encoder.apply(x);
  }

  /** Un-activated stage outputs, coarse to fine (D32, D16, D8, D4). */
  pixelDecoder(features: BackboneFeatures): tf.Tensor4D[] {
    return this.decoder.apply(features);
  }

  /** The learned centres every image starts from, `[K, Cq]`. */
  initialCentres(): tf.Tensor2D {
    return this.transformer.initialCentres();
  }

  kmaxLayer(i: number, centres: tf.Tensor2D, decoderOutputs: readonly tf.Tensor4D[], mode: AttentionMode): KMaXLayerOutput {
    return this.transformer.layer(i, centres, decoderOutputs, mode);
  }

  finalHead(centres: tf.Tensor2D, decoderOutputs: readonly tf.Tensor4D[]): Prediction {
    return this.transformer.finalHead(centres, decoderOutputs);
  }

  /** The whole network; every tensor but the returned ones (and `keep`'s) is disposed. */
  forward(x: tf.Tensor4D, options: ForwardOptions = {}): ForwardOutput {
    const modes = this.attentionModes(options.attention ?? 'kmeans');
    const keep = (name: string, t: tf.Tensor): void => {
      if (options.keep !== undefined) options.keep(name, tf.keep(tf.clone(t)));
    };
    return tf.tidy(() => {
      const features = this.backbone(x);
      for (const [name, t] of Object.entries(features)) keep(`backbone.${name}`, t);
      const decoderOutputs = this.pixelDecoder(features);
      tf.dispose(Object.values(features));
      decoderOutputs.forEach((t, i) => keep(`pixel_decoder.${i}`, t));

      let centres = this.initialCentres();
      const layers: LayerLogits[] = [];
      for (let i = 0; i < this.numLayers; i++) {
        const { centres: next, prediction } = this.kmaxLayer(i, centres, decoderOutputs, modes[i]);
        keep(`layer${i}.pixel_embedding`, prediction.pixelEmbedding);
        prediction.pixelEmbedding.dispose();
        centres.dispose();
        centres = next;
        keep(`layer${i}.centres`, centres);
        layers.push({ classLogits: prediction.classLogits, maskLogits: prediction.maskLogits });
      }
      const final = this.finalHead(centres, decoderOutputs);
      keep('final.pixel_embedding', final.pixelEmbedding);
      return { predLogits: final.classLogits, predMasks: final.maskLogits, layers };
    });
  }

  private attentionModes(attention: AttentionMode | readonly AttentionMode[]): readonly AttentionMode[] {
    if (typeof attention === 'string') return new Array<AttentionMode>(this.numLayers).fill(attention);
    if (attention.length !== this.numLayers) {
      throw new RangeError(`Expected ${this.numLayers} attention modes (one per kMaX layer), got ${attention.length}`);
    }
    return attention;
  }

  /** Frees the weights this model owns and everything derived from them. */
  dispose(): void {
    this.transformer.dispose();
    this.weights.disposeDerived();
    tf.dispose([...this.tensors.values()]);
  }
}

interface Modules {
  readonly encoder: Backbone;
  readonly decoder: KMaXPixelDecoder;
  readonly transformer: KMaXTransformerDecoder;
}

function buildModules(config: KMaXConfig, weights: WeightReader): Modules {
  const encoder = createBackbone(config.backbone, weights, config.pixelDecoder.inputs);
  const decoder = new KMaXPixelDecoder(weights, config, (f) => encoder.channels(f));
  const stageChannels = config.pixelDecoder.stages.map((s) => 4 * s.base);
  return { encoder, decoder, transformer: new KMaXTransformerDecoder(weights, config, stageChannels) };
}

/**
 * Asks `weights` for every tensor a model of `config` needs (key and shape),
 * without building a usable model: e.g. to list a variant's keys or draw random weights.
 */
export function declareWeights(config: KMaXConfig, weights: WeightReader): void {
  buildModules(config, weights).transformer.dispose();
}
