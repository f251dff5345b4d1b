import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { convertCheckpoint } from '../checkpoints/convert';
import { readNpy } from '../checkpoints/numpy/npy';
import type { RawTensor } from '../checkpoints/raw-tensor';
import { encodeModelFolder, type HostTensor, type ModelFiles } from '../loading/model-folder';
import type { KMaXConfig } from '../model/config';
import type { RgbImage } from '../segmenter/types';

/** The golden fixtures written by `training/make_fixtures.py` (our PyTorch reference). */
export const FIXTURES_DIR = path.resolve(__dirname, '../../training/fixtures');

export const FIXTURE_NAMES = ['r50-coco-4stage', 'convnext-cityscapes-5stage', 'r50-cityscapes-5stage', 'r50tf-coco-4stage'] as const;

export function fixtureConfig(name: string): KMaXConfig {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, name, 'config.json'), 'utf8')) as KMaXConfig;
}

/** A fixture's official-layout checkpoint, converted to a model folder in memory. */
export async function fixtureModelFiles(name: string): Promise<Map<string, Uint8Array>> {
  const bytes = new Uint8Array(readFileSync(path.join(FIXTURES_DIR, name, 'checkpoint.pth')));
  const converted = await convertCheckpoint(bytes, { fileNames: ['checkpoint.pth'], config: fixtureConfig(name) });
  const tensors = new Map<string, HostTensor>();
  for (const [key, t] of converted.tensors) tensors.set(key, { shape: t.shape, data: t.data as Float32Array });
  return modelFilesToMap(encodeModelFolder({ config: converted.config, classes: converted.classes, provenance: converted.provenance, tensors }));
}

export function modelFilesToMap(files: ModelFiles): Map<string, Uint8Array> {
  return new Map([['model.json', new TextEncoder().encode(JSON.stringify(files.modelJson))], ...files.shards]);
}

/** A golden tensor (`golden/<name>.npy`), or undefined when the fixture has none. */
export function golden(fixture: string, name: string): RawTensor | undefined {
  const file = path.join(FIXTURES_DIR, fixture, 'golden', `${name}.npy`);
  try {
    return readNpy(new Uint8Array(readFileSync(file)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function goldenJson<T>(fixture: string, name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, fixture, 'golden', name), 'utf8')) as T;
}

/** The committed test image every fixture was run on. */
export function fixtureImage(): RgbImage {
  const png = PNG.sync.read(readFileSync(path.join(FIXTURES_DIR, 'test-image.png')));
  return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data) };
}
