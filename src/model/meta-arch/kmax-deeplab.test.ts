import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomWeights } from '../random-weights';
import type { KMaXConfig } from '../config';
import { PRESETS } from '../presets';
import { WeightsMismatchError } from '../weights';
import { declareWeights, KMaXDeepLab } from './kmax-deeplab';

const TINY: KMaXConfig = {
  ...PRESETS['coco-r50'],
  name: 'tiny',
  backbone: {
    type: 'resnet',
    variant: 'pytorch',
    stemChannels: 8,
    depths: [1, 1, 1, 1],
    bottleneckChannels: [4, 4, 8, 8],
    outChannels: [8, 16, 24, 32],
  },
  pixelDecoder: {
    inputs: ['res5', 'res4', 'res3', 'res2'],
    stages: [
      { base: 8, blocks: 1, type: 'axial' },
      { base: 8, blocks: 1, type: 'axial' },
      { base: 4, blocks: 1, type: 'bottleneck' },
      { base: 4, blocks: 1, type: 'bottleneck' },
    ],
    axialHeads: 2,
  },
  transformerDecoder: {
    numClusters: 6,
    queryChannels: 8,
    bottleneckChannels: 8,
    keyChannels: 4,
    valueChannels: 8,
    heads: 2,
    ffnChannels: 16,
    layersPerStage: [2, 2, 2],
  },
  predictor: { headChannels: 8, embeddingChannels: 4 },
  numClasses: 3,
  inputSize: [65, 65],
};

/** Grid sizes at stride 32, 16, 8, 4 of a 65x65 input (ceil rule, spec 1.3). */
const SIZES = [3, 5, 9, 17];

describe('KMaXDeepLab', () => {
  let tensors: Map<string, tf.Tensor>;
  let model: KMaXDeepLab;
  let input: tf.Tensor4D;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    tensors = randomWeights((w) => declareWeights(TINY, w), 3);
    model = new KMaXDeepLab(TINY, tensors);
    input = tf.randomUniform([1, 65, 65, 3], -1, 1, 'float32', 4);
  });
  afterAll(() => {
    model.dispose();
    input.dispose();
  });

  it('forward: final and per-layer logits at the right strides', () => {
    const out = model.forward(input);
    expect(out.predLogits.shape).toEqual([6, 4]);
    expect(out.predMasks.shape).toEqual([17, 17, 6]);
    expect(out.layers.map((l) => l.maskLogits.shape)).toEqual([0, 0, 1, 1, 2, 2].map((s) => [SIZES[s], SIZES[s], 6]));
    expect(out.layers.every((l) => l.classLogits.shape.join() === '6,4')).toBe(true);
    expect([0, 1, 2, 3, 4, 5].map((i) => model.stageOfLayer(i))).toEqual([0, 0, 1, 1, 2, 2]);
    tf.dispose([out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
  });

  it('the stages chained by hand give the same outputs as forward', async () => {
    const out = model.forward(input, { attention: 'softmax' });
    const features = model.backbone(input);
    const decoded = model.pixelDecoder(features);
    let centres = model.initialCentres();
    for (let i = 0; i < model.numLayers; i++) {
      const next = model.kmaxLayer(i, centres, decoded, 'softmax');
      if (i === 3) expect(await next.prediction.maskLogits.data()).toEqual(await out.layers[3].maskLogits.data());
      tf.dispose([centres, next.prediction.classLogits, next.prediction.maskLogits, next.prediction.pixelEmbedding]);
      centres = next.centres;
    }
    const final = model.finalHead(centres, decoded);
    expect(await final.maskLogits.data()).toEqual(await out.predMasks.data());
    expect(await final.classLogits.data()).toEqual(await out.predLogits.data());
    tf.dispose([...Object.values(features), ...decoded, centres, final.classLogits, final.maskLogits, final.pixelEmbedding]);
    tf.dispose([out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
  });

  it('attention modes: layers before the first switched one agree, later ones differ', async () => {
    const kmeans = model.forward(input);
    const mixed = model.forward(input, { attention: ['kmeans', 'kmeans', 'cluster-softmax', 'kmeans', 'kmeans', 'kmeans'] });
    const diff = async (i: number): Promise<number> =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(kmeans.layers[i].classLogits, mixed.layers[i].classLogits)))).data().then((d) => d[0]);
    // Layer l's prediction comes from the centres entering it: layer 2's mode shows from layer 3 on.
    expect(await diff(2)).toBe(0);
    expect(await diff(3)).toBeGreaterThan(1e-4);
    expect(() => model.forward(input, { attention: ['kmeans'] })).toThrow(/6 attention modes/);
    for (const out of [kmeans, mixed]) tf.dispose([out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
  });

  it('keep hands out named intermediates the caller owns', () => {
    const kept = new Map<string, tf.Tensor>();
    const out = model.forward(input, { keep: (name, t) => kept.set(name, t) });
    expect([...kept.keys()]).toEqual(
      expect.arrayContaining(['backbone.res5', 'pixel_decoder.3', 'layer0.pixel_embedding', 'layer5.centres', 'final.pixel_embedding']),
    );
    expect(kept.get('pixel_decoder.3')?.shape).toEqual([1, 17, 17, 16]);
    expect(kept.get('final.pixel_embedding')?.shape).toEqual([17, 17, 4]);
    expect(kept.get('layer5.centres')?.isDisposed).toBe(false);
    tf.dispose([...kept.values(), out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
  });

  it('does not leak: three forward runs leave the tensor count where it was', () => {
    const run = (): void => {
      const out = model.forward(input, { attention: 'cluster-softmax' });
      tf.dispose([out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
    };
    run(); // BN folding caches its folded weights on first use
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names every missing, unexpected and mis-shaped key', () => {
    const broken = new Map(tensors);
    broken.delete('sem_seg_head.predictor._predcitor._pixel_space_mask_batch_norm.running_var');
    broken.set('sem_seg_head.predictor._cluster_centers.weight', tf.zeros([8, 6]));
    broken.set('sem_seg_head.predictor.stray', tf.zeros([1]));
    let error: unknown;
    try {
      new KMaXDeepLab(TINY, broken);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WeightsMismatchError);
    const problems = (error as WeightsMismatchError).problems.map((p) => `${p.kind} ${p.key}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'missing sem_seg_head.predictor._predcitor._pixel_space_mask_batch_norm.running_var',
        'shape sem_seg_head.predictor._cluster_centers.weight',
        'unexpected sem_seg_head.predictor.stray',
      ]),
    );
    expect(problems).toHaveLength(3);
    tf.dispose([broken.get('sem_seg_head.predictor._cluster_centers.weight')!, broken.get('sem_seg_head.predictor.stray')!]);
  });
});
