import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import type { PostProcessConfig } from '../../model/config';
import { POSTPROCESS } from '../../model/presets';
import { planResize, type ResizePlan } from '../preprocess/resize-plan';
import { goldenSet, goldenThresholds, type GoldenCaseBase } from '../../test-utils/postprocess-golden';
import { nearestAlignCorners } from './panoptic-tf';
import { postprocess, type PostProcessOptions } from './postprocess';

/** Written by training/golden_processing/make_tf_postprocess_golden.py (numpy, float32). */
interface GoldenCase extends GoldenCaseBase {
  readonly resized: [number, number];
  readonly raw: [number, number];
  readonly areaLimits: [number, number];
  readonly order: number[];
  readonly stats: { pasted: number; stuffMerges: number; thingsRemoved: number; stuffRemoved: number; tiesAccepted: number };
}

const { cases, classes: CLASSES, float32, int32 } = goldenSet<GoldenCase>('postprocess_tf');
const config = (c: GoldenCase): PostProcessConfig => goldenThresholds(c, c.areaLimits);

function geometry(c: GoldenCase): ResizePlan {
  return {
    processing: 'tf',
    height: c.raw[0],
    width: c.raw[1],
    resizedHeight: c.resized[0],
    resizedWidth: c.resized[1],
    paddedHeight: c.padded[0],
    paddedWidth: c.padded[1],
    cropHeight: c.resized[0],
    cropWidth: c.resized[1],
  };
}

async function run(c: GoldenCase, options: PostProcessOptions, thresholds: Partial<PostProcessConfig> = {}) {
  await tf.setBackend('cpu');
  const maskLogits = tf.tensor3d(float32(`${c.name}.mask_logits.bin`), [c.low[0], c.low[1], c.numClusters]);
  const before = tf.memory().numTensors;
  const result = await postprocess(float32(`${c.name}.class_logits.bin`), maskLogits, geometry(c), CLASSES, { ...config(c), ...thresholds }, options);
  expect(tf.memory().numTensors).toBe(before);
  maskLogits.dispose();
  return result;
}

function differing(a: Int32Array, b: Int32Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('the golden cases exercise every rule', () => {
  const total = (key: keyof GoldenCase['stats']) => cases.reduce((s, c) => s + c.stats[key], 0);
  it.each(['stuffMerges', 'thingsRemoved', 'stuffRemoved', 'tiesAccepted'] as const)('%s > 0', (key) => {
    expect(total(key)).toBeGreaterThan(0);
  });
  it('includes an exact re-order tie (beta = 0) and an all-void case', () => {
    const tie = cases.find((c) => c.thresholds.beta === 0);
    expect(tie?.order.indexOf(0)).toBeLessThan(tie?.order.indexOf(3) ?? -1);
    expect(cases.find((c) => c.segments.length === 0)).toBeDefined();
  });
});

describe.each(cases)('postprocess (tf) vs numpy deeplab2 transcription: $name', (c) => {
  it('identical panoptic map and segments, identical semantic map', async () => {
    const { panoptic, semantic, instances } = await run(c, { semantic: true, instances: true });
    const golden = int32(`${c.name}.panoptic.bin`);
    expect([panoptic.height, panoptic.width]).toEqual(c.raw);
    expect(differing(panoptic.ids, golden)).toBe(0);
    expect(panoptic.segments.map((s) => [s.id, s.classId, s.categoryId, s.cluster, s.isThing, s.area])).toEqual(
      c.segments.map((s) => [s.id, s.classId, s.classId + 100, s.cluster, s.isThing, s.area]),
    );
    panoptic.segments.forEach((s, i) => expect(s.score).toBeCloseTo(c.segments[i].score, 6));
    expect(differing(semantic as Int32Array, int32(`${c.name}.semantic.bin`))).toBe(0);
    if (c.segments.length === 0) expect(panoptic.ids.every((id) => id === 0)).toBe(true);
    const things = panoptic.segments.filter((s) => s.isThing);
    expect((instances ?? []).map((i) => [i.cluster, i.mask.reduce((a, v) => a + v, 0)])).toEqual(things.map((s) => [s.cluster, s.area]));
  });

  it('a later pass with the same thresholds reuses the panoptic map; other thresholds redo it', async () => {
    const first = await run(c, {});
    const withSemantic = await run(c, { semantic: true, instances: true, previous: { config: config(c), result: first } });
    expect(differing(withSemantic.semantic as Int32Array, int32(`${c.name}.semantic.bin`))).toBe(0);
    const reused = await run(c, { semantic: true, previous: { config: config(c), result: withSemantic } });
    expect([reused.panoptic, reused.semantic]).toEqual([withSemantic.panoptic, withSemantic.semantic]);
    expect(reused.panoptic).toBe(withSemantic.panoptic);
    const other = await run(c, { previous: { config: config(c), result: first } }, { pixelThreshold: 0.9 });
    expect(other.panoptic).not.toBe(first.panoptic);
  });

  it('each cluster carries the rule that kept or dropped it, consistent with the segments and the golden counts', async () => {
    const { panoptic } = await run(c, {});
    const verdicts = panoptic.clusters ?? [];
    expect(verdicts).toHaveLength(c.numClusters);
    for (const s of panoptic.segments) expect(verdicts[s.cluster].outcome).toEqual({ kind: 'kept', segmentId: s.id });
    const th = config(c);
    let areaDrops = 0;
    verdicts.forEach((v) => {
      const { outcome } = v;
      if (outcome.kind === 'kept') expect(panoptic.segments.some((s) => s.id === outcome.segmentId && s.classId === v.classId)).toBe(true);
      if (outcome.kind === 'class-score') {
        expect(outcome.threshold).toBe(v.isThing ? th.classThresholdThing : th.classThresholdStuff);
        expect(v.score).toBeLessThan(outcome.threshold);
      }
      if (outcome.kind === 'overlap') expect(outcome.free).toBeLessThanOrEqual(outcome.pixels * outcome.overlapThreshold);
      if (outcome.kind === 'empty-mask') expect(v.pixels).toBe(0);
      if (outcome.kind === 'area') {
        areaDrops++;
        expect(outcome.area).toBeLessThan(outcome.limit);
      }
    });
    if (c.stats.thingsRemoved + c.stats.stuffRemoved > 0) expect(areaDrops).toBeGreaterThan(0);
    else expect(areaDrops).toBe(0);
  });
});

describe('deeplab2 details', () => {
  it('class confidence exactly at the threshold is accepted (>=): a hair above it changes the map', async () => {
    const c = cases.find((g) => g.stats.tiesAccepted > 0 && g.thresholds.stuff === 0.5) as GoldenCase;
    const { panoptic } = await run(c, {}, { classThresholdStuff: 0.50000006 });
    expect(differing(panoptic.ids, int32(`${c.name}.panoptic.bin`))).toBeGreaterThan(0);
  });

  it('area limits are counted at the padded resolution: without them more segments survive', async () => {
    const c = cases.find((g) => g.stats.thingsRemoved > 0 && g.stats.stuffRemoved > 0) as GoldenCase;
    const { panoptic } = await run(c, {}, { thingAreaLimit: 0, stuffAreaLimit: 0 });
    expect(panoptic.segments.length).toBeGreaterThan(c.segments.length);
  });

  it('nearest neighbour with align_corners rounds half away from zero in float32', () => {
    expect(Array.from(nearestAlignCorners(3, 5))).toEqual([0, 1, 1, 2, 2]);
    expect(Array.from(nearestAlignCorners(5, 3))).toEqual([0, 2, 4]);
    expect(Array.from(nearestAlignCorners(4, 1))).toEqual([0]);
  });

  it('2000x1500 with K = 128: no kernel runs, the only K-channel tensor is the stride-4 input', async () => {
    await tf.setBackend('wasm');
    const geometry = planResize(1500, 2000, [1281, 1281], 'tf');
    expect([geometry.paddedHeight, geometry.cropHeight, geometry.cropWidth]).toEqual([1281, 960, 1281]);
    const numClusters = 128;
    const low = tf.tidy(() => tf.mul(tf.randomUniform([321, 321, numClusters], -1, 1, 'float32', 3), 4) as tf.Tensor3D);
    const classLogits = Float32Array.from({ length: numClusters * 134 }, (_, i) => (i % 134 === (i * 7) % 133 ? 9 : 0));
    const coco = Array.from({ length: 133 }, (_, id) => ({ ...CLASSES[0], id, isThing: id < 80 }));
    const before = tf.memory().numTensors;
    let pixels = 0;
    const profile = await tf.profile(async () => {
      const result = await postprocess(classLogits, low, geometry, coco, POSTPROCESS.coco, { semantic: true });
      pixels = result.panoptic.ids.length + (result.semantic?.length ?? 0);
      return [];
    });
    low.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    expect([profile.newTensors, profile.kernels.length]).toEqual([0, 0]);
    expect(pixels).toBe(2 * 2000 * 1500);
  });
});
