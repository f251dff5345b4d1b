import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelManifest } from './model-manifest';

function modelFolder(root: string, id: string, options: { dataset?: string; samples?: string[]; trainedAttention?: string; reports?: string[] }): void {
  const dir = path.join(root, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ config: { dataset: options.dataset }, provenance: { trainedAttention: options.trainedAttention } }));
  for (const f of options.reports ?? []) writeFileSync(path.join(dir, f), '{}');
  if (options.samples === undefined) return;
  mkdirSync(path.join(dir, 'samples'));
  for (const f of options.samples) writeFileSync(path.join(dir, 'samples', f), '');
}

describe('models/manifest.json', () => {
  it('lists every model folder, demo first, with its trained attention and the reports it ships; models of one dataset share the samples one of them ships', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kmax-manifest-'));
    modelFolder(root, 'demo-softmax', { dataset: 'synthetic_panoptic', trainedAttention: 'softmax', reports: ['training-curve.json'] });
    modelFolder(root, 'demo', { dataset: 'synthetic_panoptic', trainedAttention: 'kmeans', samples: ['synthetic-2.png', 'synthetic-1.png', 'panoptic.json'], reports: ['held-out.json'] });
    modelFolder(root, 'coco-own', { dataset: 'coco_panoptic', samples: ['street.png'] });
    modelFolder(root, 'cityscapes', { dataset: 'cityscapes_panoptic' });
    mkdirSync(path.join(root, 'not-a-model'));
    const { models } = JSON.parse(modelManifest(path.join(root, 'manifest.json'), [root])) as { models: { id: string; samples?: string[]; trainedAttention?: string; reports?: string[] }[] };
    expect(models.map((m) => m.id)).toEqual(['demo', 'cityscapes', 'coco-own', 'demo-softmax']);
    const byId = Object.fromEntries(models.map((m) => [m.id, m]));
    expect(byId.demo).toEqual({ id: 'demo', name: 'demo', path: 'demo/model.json', samples: ['demo/samples/synthetic-1.png', 'demo/samples/synthetic-2.png'], trainedAttention: 'kmeans', reports: ['held-out.json'] });
    // The softmax model ships no samples: it shows the demo's, which are of its dataset; ground truth stays beside them.
    expect(byId['demo-softmax'].samples).toEqual(['demo/samples/synthetic-1.png', 'demo/samples/synthetic-2.png']);
    expect(byId['demo-softmax'].reports).toEqual(['training-curve.json']);
    // Another dataset's samples are never borrowed.
    expect(byId['coco-own'].samples).toEqual(['coco-own/samples/street.png']);
    expect(byId.cityscapes.samples).toBeUndefined();
  });

  it('keeps a hand-written manifest and adds only the folders it does not list', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'kmax-manifest-'));
    modelFolder(root, 'demo', { dataset: 'synthetic_panoptic', samples: ['a.png'] });
    modelFolder(root, 'extra', { dataset: 'synthetic_panoptic' });
    writeFileSync(path.join(root, 'manifest.json'), JSON.stringify({ models: [{ id: 'demo', name: 'Demo (listed)', path: 'demo/model.json' }] }));
    const { models } = JSON.parse(modelManifest(path.join(root, 'manifest.json'), [root])) as { models: { id: string; name: string; samples?: string[] }[] };
    expect(models.map((m) => [m.id, m.name])).toEqual([['demo', 'Demo (listed)'], ['extra', 'extra']]);
    // The listed entry is taken as written (no samples), so the scanned one has none to share.
    expect(models[1].samples).toBeUndefined();
  });
});
