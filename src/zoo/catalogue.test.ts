import { describe, expect, it } from 'vitest';
import { PRESETS } from '../model/presets';
import data from './catalogue.json';
import { CATALOGUE, parseCatalogue, ZooCatalogueError } from './catalogue';

const entry = (name: string) => {
  const found = CATALOGUE.find((e) => e.name === name);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
};

/** The shipped catalogue with one entry's fields replaced. */
function withChange(name: string, change: Record<string, unknown>): unknown {
  return { ...data, entries: data.entries.map((e) => (e.name === name ? { ...e, ...change } : e)) };
}

describe('the model zoo catalogue', () => {
  it('passes the schema, and every entry maps to a preset of its classes or says why it cannot run', () => {
    expect(parseCatalogue(data)).toEqual(CATALOGUE);
    for (const e of CATALOGUE) {
      expect(e.preset, e.name).not.toBeNull();
      const preset = PRESETS[e.preset as string];
      expect(preset, e.name).toBeDefined();
      expect(preset.dataset, e.name).toBe(`${e.classes}_panoptic`);
    }
  });

  it('lists every official checkpoint: deeplab2 17 archives, bytedance 9 .pth, COCONut 5 .pth on the Hub', () => {
    const by = (source: string) => CATALOGUE.filter((e) => e.source === source);
    expect(by('deeplab2')).toHaveLength(17);
    expect(by('bytedance')).toHaveLength(9);
    expect(by('coconut')).toHaveLength(5);
    for (const e of by('deeplab2')) {
      expect(e.url, e.name).toBe(`https://storage.googleapis.com/gresearch/tf-deeplab/checkpoint/${e.fileName}`);
      expect(e.fileName, e.name).toMatch(/^kmax_[a-z0-9_]+_train(_unlabeled)?\.tar\.gz$/);
      expect(e.format).toBe('tf-archive');
    }
    for (const e of by('bytedance')) {
      expect(e.url, e.name).toMatch(/^https:\/\/drive\.google\.com\/file\/d\/[\w-]{33}\/view$/);
      // Google Drive serves no CORS headers and wants its own page for large files.
      expect(e.access, e.name).toBe('download-then-drop');
    }
    for (const e of by('coconut')) {
      expect(e.url, e.name).toBe(`https://huggingface.co/xdeng77/kmaxdeeplab_panoptic/resolve/main/${e.fileName}`);
      expect(e.bytes, e.name).not.toBeNull();
      expect(e.sha256, e.name).toMatch(/^[0-9a-f]{64}$/);
    }
    // Every entry runs: the MaX-S archives on the Axial-ResNet backbone.
    expect(CATALOGUE.filter((e) => e.unsupported !== undefined)).toEqual([]);
  });

  it('holds the published figures', () => {
    expect(entry('deeplab2-coco-r50')).toMatchObject({ pq: 53.0, preset: 'coco-r50-tf', inputSize: [1281, 1281], fileName: 'kmax_resnet50_coco_train.tar.gz' });
    expect(entry('deeplab2-coco-convnext-l-unlabeled')).toMatchObject({ pq: 58.1, fileName: 'kmax_convnext_large_coco_train_unlabeled.tar.gz' });
    expect(entry('deeplab2-cityscapes-maxs')).toMatchObject({ pq: 66.4, inputSize: [1025, 2049], preset: 'cityscapes-max-s' });
    expect(entry('deeplab2-coco-maxs')).toMatchObject({ pq: 56.2, inputSize: [1281, 1281], preset: 'coco-max-s' });
    expect(entry('deeplab2-ade20k-r50-641')).toMatchObject({ pq: 41.5, inputSize: [641, 641], preset: 'ade20k-r50-tf-641' });
    expect(entry('pytorch-coco-r50')).toMatchObject({ pq: 53.3, url: 'https://drive.google.com/file/d/1YB_5dct0U7ys2KTJNjDIqXLSZneWTyr-/view' });
    expect(entry('pytorch-cityscapes-convnext-l')).toMatchObject({ pq: 68.4, preset: 'cityscapes-convnext-l' });
    expect(entry('coconut-b-r50')).toMatchObject({ bytes: 291203152, sha256: '3712b922f09c630ea8b33762ed0c6f70c8511afb036ba9b004d2e28a60cbecc3', pq: null });
    expect(entry('coconut-l-convnext-l').bytes).toBe(976831499);
  });

  it('refuses a broken catalogue with the entry and the field', () => {
    const cases: [unknown, string][] = [
      [{}, 'the catalogue has no "entries" list'],
      [withChange('deeplab2-coco-r50', { preset: 'coco-r51' }), 'catalogue entry "deeplab2-coco-r50": unknown preset "coco-r51"'],
      [withChange('deeplab2-coco-r50', { preset: 'cityscapes-r50-tf' }), 'preset "cityscapes-r50-tf" predicts cityscapes_panoptic classes, the entry coco'],
      [withChange('deeplab2-coco-maxs', { preset: null }), 'catalogue entry "deeplab2-coco-maxs" has no preset and no "unsupported" reason'],
      [withChange('coconut-b-r50', { bytes: -1 }), '"bytes" is -1'],
      [withChange('coconut-b-r50', { sha256: 'abc' }), '"sha256" is "abc"'],
      [withChange('coconut-b-r50', { access: 'magic' }), '"access" must be one of direct, download-then-drop'],
      [withChange('coconut-b-r50', { url: 'ftp://example.org/x.pth' }), '"url" must be http(s)'],
      [withChange('coconut-b-r50', { inputSize: [1280, 1280] }), '"inputSize" must be [height, width], each 32k+1'],
      [withChange('coconut-b-r50', { name: 'coconut-s-r50' }), 'catalogue entry "coconut-s-r50" appears twice'],
      [withChange('coconut-b-r50', { pq: '53' }), '"pq" is "53"'],
    ];
    for (const [json, message] of cases) {
      expect(() => parseCatalogue(json), message).toThrow(ZooCatalogueError);
      expect(() => parseCatalogue(json), message).toThrow(message);
    }
  });
});
