import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../loading/model-folder';
import { WeightsMismatchError } from '../model/weights';
import { transferablesOf } from '../worker/transferables';
import { fixtureImage, fixtureModelFiles, golden, goldenJson } from '../test-utils/fixtures';
import { loadSegmenter } from '.';

const FIXTURE = 'r50-coco-4stage';

describe('segmenter on the r50-coco-4stage fixture (cpu)', () => {
  let files: Map<string, Uint8Array>;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    files = await fixtureModelFiles(FIXTURE);
  });

  it('leaves no tensor behind after three runs', async () => {
    const segmenter = await loadSegmenter({ kind: 'files', files });
    const image = fixtureImage();
    await segmenter.segment(image, { stages: true, softMaps: true, semantic: true, instances: true });
    const baseline = tf.memory().numTensors;
    for (let run = 0; run < 3; run++) await segmenter.segment(image, { stages: true, semantic: true, instances: true, dump: true });
    expect(tf.memory().numTensors).toBe(baseline);
    segmenter.dispose();
  });

  it('re-post-processes kept outputs without the network: same maps as a full run, other thresholds, no tensor left', async () => {
    const segmenter = await loadSegmenter({ kind: 'files', files });
    const image = fixtureImage();
    await expect(segmenter.repostprocess?.({ semantic: true })).rejects.toThrow(/keepOutputs/);
    const first = await segmenter.segment(image, { keepOutputs: true });
    const baseline = tf.memory().numTensors;
    // A run that keeps nothing (with other outputs, softmax attention) leaves the kept outputs alone.
    const full = await segmenter.segment(image, { semantic: true, instances: true });
    await segmenter.segment(image, { attention: 'softmax' });
    const again = await segmenter.repostprocess?.({ semantic: true, instances: true });
    expect(again?.panoptic.ids).toEqual(first.panoptic.ids);
    expect(again?.semantic).toEqual(full.semantic);
    expect(again?.instances?.map((i) => [i.classId, i.cluster, i.score])).toEqual(full.instances?.map((i) => [i.classId, i.cluster, i.score]));
    expect(again?.timings.map((t) => t.stage)).toEqual(['postprocess']);
    // The Worker transfers what it gets to the page; the segmenter's kept pass must survive that.
    structuredClone(again, { transfer: transferablesOf(again) });
    expect(again?.panoptic.ids.length).toBe(0);
    const semanticOnly = await segmenter.repostprocess?.({ semantic: true });
    expect(semanticOnly?.panoptic.ids).toEqual(first.panoptic.ids);
    expect(semanticOnly?.semantic).toEqual(full.semantic);
    // Thresholds change the result: nothing passes a class threshold of 1.
    const strict = await segmenter.repostprocess?.({ thresholds: { classThresholdThing: 1, classThresholdStuff: 1 } });
    expect(first.panoptic.segments.length).toBeGreaterThan(0);
    expect(strict?.panoptic.segments).toEqual([]);
    // ...and back: recomputed, equal to the first run's.
    const back = await segmenter.repostprocess?.({ semantic: true });
    expect(back?.panoptic.ids).toEqual(first.panoptic.ids);
    expect(back?.semantic).toEqual(full.semantic);
    expect(tf.memory().numTensors).toBe(baseline);
    segmenter.dispose();
  });

  it('stops at the stage boundary after an abort, rejects with the reason and frees what it made', async () => {
    const segmenter = await loadSegmenter({ kind: 'files', files });
    await segmenter.segment(fixtureImage()); // the BN-folded conv weights, built on first use, stay
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('stop');
    const stages: string[] = [];
    const run = segmenter.segment(fixtureImage(), {
      stages: true,
      signal: controller.signal,
      onProgress: (event) => {
        stages.push(event.stage);
        if (event.stage === 'kmax layer 2') controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(stages).toEqual(['backbone', 'pixel decoder', 'kmax layer 1', 'kmax layer 2']);
    expect(tf.memory().numTensors).toBe(baseline);
    await expect(segmenter.segment(fixtureImage(), { signal: controller.signal })).rejects.toBe(reason);
    segmenter.dispose();
  });

  it('returns the panoptic map of the PyTorch reference', async () => {
    const segmenter = await loadSegmenter({ kind: 'files', files });
    const result = await segmenter.segment(fixtureImage());
    const expected = golden(FIXTURE, 'panoptic');
    if (expected === undefined) throw new Error('fixture lacks golden/panoptic.npy');
    const ids = result.panoptic.ids;
    let same = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] === Number(expected.data[i])) same++;
    expect(same / ids.length).toBeGreaterThanOrEqual(0.999);
    const segments = goldenJson<{ id: number; category_id: number; isthing: boolean }[]>(FIXTURE, 'panoptic_segments.json');
    expect(result.panoptic.segments.map((s) => [s.id, s.classId, s.isThing])).toEqual(segments.map((s) => [s.id, s.category_id, Boolean(s.isthing)]));
    segmenter.dispose();
  });

  it('records one assignment per kMaX layer plus the final one', async () => {
    const segmenter = await loadSegmenter({ kind: 'files', files });
    const result = await segmenter.segment(fixtureImage(), { stages: true });
    expect(result.layers?.map((l) => l.stride)).toEqual([32, 32, 16, 16, 8, 8, 4]);
    for (const [i, layer] of (result.layers ?? []).entries()) {
      if (i === 6) break;
      const expected = golden(FIXTURE, `stage${i}/assignment`);
      expect(layer.assignment.length).toBe(expected?.data.length);
    }
    segmenter.dispose();
  });
});

describe('load errors', () => {
  let files: Map<string, Uint8Array>;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    files = await fixtureModelFiles(FIXTURE);
  });

  function editedModel(edit: (json: { weightsManifest: { weights: { name: string; shape: number[] }[] }[] }) => void): Map<string, Uint8Array> {
    const json = JSON.parse(new TextDecoder().decode(files.get('model.json')));
    edit(json);
    return new Map([...files, ['model.json', new TextEncoder().encode(JSON.stringify(json))]]);
  }

  it('names a missing weight', async () => {
    const missing = 'sem_seg_head.predictor._cluster_centers.weight';
    // Dropping the manifest entry and its bytes would need a new shard; renaming it leaves it unexpected.
    const renamed = editedModel((j) => {
      const w = j.weightsManifest[0].weights.find((e) => e.name === missing);
      if (w) w.name = 'renamed.weight';
    });
    const error = await loadSegmenter({ kind: 'files', files: renamed }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsMismatchError);
    expect((error as Error).message).toContain(`missing weight "${missing}" (expected shape [24, 32])`);
    expect((error as Error).message).toContain('unexpected weight "renamed.weight"');
  });

  it('names a wrongly shaped weight with both shapes', async () => {
    const key = 'sem_seg_head.predictor._cluster_centers.weight';
    const reshaped = editedModel((j) => {
      const w = j.weightsManifest[0].weights.find((e) => e.name === key);
      if (w) w.shape = [32, 24];
    });
    const error = await loadSegmenter({ kind: 'files', files: reshaped }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`weight "${key}" has shape [32, 24], expected [24, 32]`);
  });

  it('reports a missing shard file by name', async () => {
    const name = [...files.keys()].find((k) => k.endsWith('.bin')) ?? '';
    const without = new Map([...files].filter(([k]) => k !== name));
    await expect(loadSegmenter({ kind: 'files', files: without })).rejects.toThrow(new ModelFormatError(`weight shard "${name}" is missing from the model files`));
  });

  it('refuses a truncated shard', async () => {
    const name = [...files.keys()].find((k) => k.endsWith('.bin')) ?? '';
    const truncated = new Map([...files, [name, files.get(name)?.subarray(0, 100) ?? new Uint8Array()]]);
    await expect(loadSegmenter({ kind: 'files', files: truncated })).rejects.toThrow(/truncated or mismatched/);
  });
});
