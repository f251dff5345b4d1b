import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { goldenSet, goldenThresholds, type GoldenCaseBase } from '../../test-utils/postprocess-golden';
import type { ResizePlan } from '../preprocess/resize-plan';
import type { PostProcessConfig } from '../../model/config';
import { postprocess, type PreviousPass } from './postprocess';

/** Written by training/golden_processing/make_postprocess_golden.py (PyTorch 1.13). */
interface GoldenCase extends GoldenCaseBase {
  readonly original: [number, number];
  readonly crop: [number, number];
  readonly stuffMerges: number;
  readonly instances: { classId: number; cluster: number; score: number; area: number }[];
}

const { cases, classes: CLASSES, float32, int32 } = goldenSet<GoldenCase>('postprocess');
const config = (c: GoldenCase) => goldenThresholds(c);

function geometry(c: GoldenCase): ResizePlan {
  return {
    processing: 'pytorch',
    height: c.original[0],
    width: c.original[1],
    resizedHeight: c.crop[0],
    resizedWidth: c.crop[1],
    paddedHeight: c.padded[0],
    paddedWidth: c.padded[1],
    cropHeight: c.crop[0],
    cropWidth: c.crop[1],
  };
}

function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(cases)('postprocess vs PyTorch: $name', (c) => {
  const run = async (stripElements?: number, previous?: PreviousPass, thresholds: Partial<PostProcessConfig> = {}) => {
    const maskLogits = tf.tensor3d(float32(`${c.name}.mask_logits.bin`), [c.low[0], c.low[1], c.numClusters]);
    const before = tf.memory().numTensors;
    const result = await postprocess(float32(`${c.name}.class_logits.bin`), maskLogits, geometry(c), CLASSES, { ...config(c), ...thresholds }, {
      semantic: true,
      instances: true,
      stripElements,
      previous,
    });
    expect(tf.memory().numTensors).toBe(before);
    maskLogits.dispose();
    return result;
  };

  it('panoptic ids on >= 99.9% of pixels, identical segments (stuff merged)', async () => {
    expect(c.stuffMerges).toBeGreaterThan(0);
    const { panoptic } = await run();
    expect([panoptic.height, panoptic.width]).toEqual(c.original);
    expect(agreement(panoptic.ids, int32(`${c.name}.panoptic.bin`))).toBeGreaterThanOrEqual(0.999);
    expect(panoptic.segments.map((s) => [s.id, s.classId, s.cluster, s.isThing, s.categoryId])).toEqual(
      c.segments.map((s) => [s.id, s.classId, s.cluster, s.isThing, s.classId + 100]),
    );
    panoptic.segments.forEach((s, i) => {
      expect(s.score).toBeCloseTo(c.segments[i].score, 5);
      expect(Math.abs(s.area - c.segments[i].area)).toBeLessThanOrEqual(0.001 * panoptic.ids.length);
    });
  });

  it('semantic labels on >= 99.9% of pixels', async () => {
    const { semantic } = await run();
    expect(agreement(semantic as Int32Array, int32(`${c.name}.semantic.bin`))).toBeGreaterThanOrEqual(0.999);
  });

  it('instances: same (class, cluster) pairs, scores and mask areas', async () => {
    const instances = (await run()).instances ?? [];
    expect(instances.map((i) => [i.classId, i.cluster])).toEqual(c.instances.map((i) => [i.classId, i.cluster]));
    instances.forEach((inst, i) => {
      expect(inst.score).toBeCloseTo(c.instances[i].score, 5);
      expect(inst.mask.reduce((s, v) => s + v, 0)).toBe(c.instances[i].area);
    });
  });

  it('gives the same result with one-row strips', async () => {
    const [whole, rows] = [await run(), await run(1)];
    expect(Array.from(rows.panoptic.ids)).toEqual(Array.from(whole.panoptic.ids));
    expect(Array.from(rows.semantic as Int32Array)).toEqual(Array.from(whole.semantic as Int32Array));
  });

  it('reuses what unchanged thresholds allow: the masks at the same pixel threshold, the panoptic map, the semantic labels', async () => {
    const first = await run();
    const same = await run(undefined, { config: config(c), result: first });
    expect([same.membership, same.panoptic, same.semantic]).toEqual([first.membership, first.panoptic, first.semantic]);
    expect(same.panoptic).toBe(first.panoptic);
    expect(same.membership).toBe(first.membership);
    expect(same.semantic).toBe(first.semantic);
    const stricter = await run(undefined, { config: config(c), result: first }, { classThresholdThing: 1, classThresholdStuff: 1 });
    expect(stricter.membership).toBe(first.membership);
    expect(stricter.panoptic.segments).toEqual([]);
    const otherPixel = await run(undefined, { config: config(c), result: first }, { pixelThreshold: 0.9 });
    expect(otherPixel.membership).not.toBe(first.membership);
  });
});
