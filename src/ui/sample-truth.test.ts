import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { CocoPanopticJson } from '../eval/coco-panoptic';
import { layerCoverings, truthEntry, truthFromPixels, truthIndexUrl } from './sample-truth';

// The demo model's shipped samples and their ground truth, as the app serves them.
const folder = 'models/demo/samples';
const json = JSON.parse(readFileSync(`${folder}/panoptic.json`, 'utf8')) as CocoPanopticJson;

describe('sample ground truth', () => {
  it('finds the annotation next to a served sample', () => {
    expect(truthIndexUrl('/models/demo/samples/synthetic-2.png')).toBe('/models/demo/samples/panoptic.json');
    const entry = truthEntry('/models/demo/samples/synthetic-2.png', json);
    expect(entry?.pngUrl).toBe('/models/demo/samples/panoptic/synthetic-2.png');
    expect([entry?.width, entry?.height]).toEqual([129, 129]);
    expect(entry?.segments.length).toBe(json.annotations[1].segments_info.length);
    expect(truthEntry('/samples/street.png', json)).toBeNull();
  });

  it('decodes the PNG ids and measures each layer covering it', () => {
    const entry = truthEntry('/models/demo/samples/synthetic-1.png', json);
    if (entry === null) throw new Error('synthetic-1.png is not annotated');
    const png = PNG.sync.read(readFileSync(`${folder}/panoptic/synthetic-1.png`));
    const truth = truthFromPixels(entry, png);
    if (truth === null) throw new Error('size mismatch');
    // Every segment's pixel count is its annotated area.
    for (const s of json.annotations[0].segments_info) expect(truth.ids.filter((id) => id === s.id).length, `segment ${s.id}`).toBe(s.area);
    const exact = { assignment: truth.ids, width: 129, validWidth: 129, validHeight: 129 };
    const oneCluster = { ...exact, assignment: new Int32Array(129 * 129) };
    const coverings = layerCoverings([exact, oneCluster], truth, { width: 129, height: 129 });
    expect(coverings?.[0]).toBe(1);
    // One cluster for everything: each segment's IoU is its share of the labelled pixels, so covering = Σ area² / (Σ area)².
    const areas = json.annotations[0].segments_info.filter((s) => s.iscrowd !== 1).map((s) => s.area ?? 0);
    const labelled = areas.reduce((a, b) => a + b, 0);
    expect(coverings?.[1]).toBeCloseTo(areas.reduce((a, b) => a + b * b, 0) / labelled ** 2, 12);
    expect(layerCoverings([exact], truth, { width: 128, height: 129 })).toBeNull();
    expect(truthFromPixels(entry, { width: 128, height: 129, data: new Uint8Array(128 * 129 * 4) })).toBeNull();
  });
});
