import * as tf from '@tensorflow/tfjs-core';
import type { ClassInfo, KMaXConfig } from '../model/config';
import { KMaXDeepLab } from '../model/meta-arch/kmax-deeplab';
import { layerRecord, validExtent } from '../model/transformer-decoder/layer-record';
import type { NamedTensors } from '../model/weights';
import { resolveSegmentOptions, resolveThresholds, type ResolvedSegmentOptions } from './options';
import { postprocess, type PostProcessResult, type PreviousPass } from './postprocess/postprocess';
import { networkInput } from './preprocess/network-input';
import type { ResizePlan } from './preprocess/resize-plan';
import { StageClock } from './stage-clock';
import type { AttentionMode, DumpedTensor, LayerRecord, RepostprocessOptions, RepostprocessResult, RgbImage, SegmentOptions, SegmentResult, Segmenter } from './types';

/** The final head's outputs of a run, kept as plain arrays (no tensor outlives a run). */
interface KeptOutputs {
  readonly classLogits: Float32Array;
  readonly maskLogits: Float32Array;
  readonly maskShape: [number, number, number];
  readonly geometry: ResizePlan;
  /** The latest post-processing of them, whose unchanged parts the next pass reuses. */
  previous: PreviousPass;
}

/**
 * The in-process segmenter: pre-processing, the network stage by stage (each
 * timed, each kMaX layer optionally recorded), post-processing. Every tensor a
 * run creates is disposed before `segment` resolves.
 */
export class KMaXSegmenter implements Segmenter {
  private readonly model: KMaXDeepLab;
  private kept: KeptOutputs | undefined;

  constructor(
    readonly config: KMaXConfig,
    readonly classes: readonly ClassInfo[],
    tensors: NamedTensors,
    readonly trainedAttention?: AttentionMode,
  ) {
    this.model = new KMaXDeepLab(config, tensors);
    try {
      this.model.prepare();
    } catch (e) {
      // Out of GPU memory while folding, say: what was folded so far goes too.
      this.model.dispose();
      throw e;
    }
  }

  async segment(image: RgbImage, options: SegmentOptions = {}): Promise<SegmentResult> {
    const opts = resolveSegmentOptions(options, this.config, this.model.numLayers);
    const clock = new StageClock();
    const owned: tf.Tensor[] = [];
    const track = <T extends tf.Tensor>(t: T): T => {
      owned.push(t);
      return t;
    };
    const dumps: DumpedTensor[] = [];
    const dump = async (name: string, t: tf.Tensor, layout: string): Promise<void> => {
      if (opts.dump) dumps.push({ name, shape: dumpShape(t), layout, data: (await t.data()) as Float32Array | Int32Array });
    };
    const total = 3 + this.model.numLayers;
    const progress = (stage: string, index: number) => options.onProgress?.({ stage, index, total });
    const lap = async (stage: string, result?: tf.Tensor): Promise<void> => {
      await clock.lap(stage, result);
      options.signal?.throwIfAborted();
    };
    try {
      options.signal?.throwIfAborted();
      const { tensor: input, geometry } = networkInput(image, opts.inputSize, this.config.processing);
      track(input);
      await lap('preprocess', input);
      await dump('input', input, 'HWC');

      const features = this.model.backbone(input);
      Object.values(features).forEach((t) => track(t));
      await lap('backbone', features[this.config.pixelDecoder.inputs[0]]);
      progress('backbone', 0);
      for (const [name, t] of Object.entries(features)) await dump(`backbone/${name}`, t, 'HWC');

      const decoderOutputs = this.model.pixelDecoder(features).map(track);
      await lap('pixel decoder', decoderOutputs[decoderOutputs.length - 1]);
      progress('pixel decoder', 1);
      for (const [i, t] of decoderOutputs.entries()) await dump(`pixel_decoder/${decoderName(i)}`, t, 'HWC');

      const layers: LayerRecord[] = [];
      let centres = track(this.model.initialCentres());
      for (let i = 0; i < this.model.numLayers; i++) {
        const { centres: next, prediction } = this.model.kmaxLayer(i, centres, decoderOutputs, opts.attention[i]);
        [next, prediction.classLogits, prediction.maskLogits, prediction.pixelEmbedding].forEach((t) => track(t));
        await lap(`kmax layer ${i + 1}`, next);
        progress(`kmax layer ${i + 1}`, 2 + i);
        await dump(`stage${i}/class_logits`, prediction.classLogits, 'K x (C+1)');
        await dump(`stage${i}/mask_logits`, prediction.maskLogits, 'h x w x K');
        if (opts.stages) layers.push(await this.record(i, prediction, geometry, opts));
        centres = next;
      }

      const final = this.model.finalHead(centres, decoderOutputs);
      [final.classLogits, final.maskLogits, final.pixelEmbedding].forEach((t) => track(t));
      await lap('final head', final.maskLogits);
      progress('final head', 2 + this.model.numLayers);
      await dump('pred_logits', final.classLogits, 'K x (C+1)');
      await dump('pred_masks', final.maskLogits, 'h x w x K');
      if (opts.stages) layers.push(await this.record(this.model.numLayers, final, geometry, opts));

      const classLogits = (await final.classLogits.data()) as Float32Array;
      const post = await postprocess(classLogits, final.maskLogits, geometry, this.classes, opts.thresholds, {
        semantic: opts.semantic,
        instances: opts.instances,
      });
      if (opts.keepOutputs) {
        const maskLogits = (await final.maskLogits.data()) as Float32Array;
        this.kept = { classLogits, maskLogits, maskShape: final.maskLogits.shape, geometry, previous: { config: opts.thresholds, result: post } };
      }
      await clock.lap('postprocess');
      progress('postprocess', total - 1);
      return {
        ...(opts.keepOutputs ? handedOut(post) : maps(post)),
        ...(opts.stages && { layers }),
        ...(opts.dump && { tensors: dumps }),
        timings: clock.timings,
        inputSize: [geometry.paddedHeight, geometry.paddedWidth],
      };
    } finally {
      tf.dispose(owned);
    }
  }

  async repostprocess(options: RepostprocessOptions): Promise<RepostprocessResult> {
    const kept = this.kept;
    if (kept === undefined) throw new NoOutputsError('no network outputs are kept: segment with keepOutputs first');
    const clock = new StageClock();
    const maskLogits = tf.tensor3d(kept.maskLogits, kept.maskShape);
    try {
      const thresholds = resolveThresholds(this.config.postprocess, options.thresholds ?? {});
      const post = await postprocess(kept.classLogits, maskLogits, kept.geometry, this.classes, thresholds, {
        semantic: options.semantic ?? false,
        instances: options.instances ?? false,
        previous: kept.previous,
      });
      kept.previous = { config: thresholds, result: post };
      await clock.lap('postprocess');
      return { ...handedOut(post), timings: clock.timings };
    } finally {
      maskLogits.dispose();
    }
  }

  /** Plain-array record of kMaX layer `i` (or the final head when i = numLayers). */
  private record(
    i: number,
    prediction: { classLogits: tf.Tensor2D; maskLogits: tf.Tensor3D },
    geometry: ResizePlan,
    opts: ResolvedSegmentOptions,
  ): Promise<LayerRecord> {
    const final = i === this.model.numLayers;
    const stride = Math.round((geometry.paddedHeight - 1) / (prediction.maskLogits.shape[0] - 1));
    return layerRecord(prediction, {
      layer: i,
      final,
      stride,
      attention: final ? 'final' : opts.attention[i],
      validHeight: validExtent(geometry.resizedHeight, stride),
      validWidth: validExtent(geometry.resizedWidth, stride),
      softMaps: opts.softMaps,
    });
  }

  dispose(): void {
    this.kept = undefined;
    this.model.dispose();
  }
}

type PassMaps = Pick<SegmentResult, 'panoptic' | 'semantic' | 'instances'>;

function maps(post: PostProcessResult): PassMaps {
  return { panoptic: post.panoptic, ...(post.semantic !== undefined && { semantic: post.semantic }), ...(post.instances !== undefined && { instances: post.instances }) };
}

/**
 * The maps of a pass the segmenter keeps, with the arrays a later pass reuses copied:
 * the caller may transfer what it gets to another thread (the Worker does).
 */
function handedOut(post: PostProcessResult): PassMaps {
  const { panoptic, semantic } = post;
  return { ...maps(post), panoptic: { ...panoptic, ids: panoptic.ids.slice() }, ...(semantic !== undefined && { semantic: semantic.slice() }) };
}

export class NoOutputsError extends Error {
  override readonly name = 'NoOutputsError';
}

/** Dump names of the decoder outputs: by stride for the four standard stages (issue 2). */
function decoderName(i: number): string {
  return ['os32', 'os16', 'os8', 'os4'][i] ?? `stage${i}`;
}

/** Batch dimension dropped: maps are dumped HWC. */
function dumpShape(t: tf.Tensor): number[] {
  return t.rank === 4 ? t.shape.slice(1) : t.shape;
}
