/**
 * kMaX Lens engine: load a kMaX-DeepLab model and segment images, in Node, in a
 * Web Worker or on a page. Set the tfjs backend before loading.
 *
 *   const segmenter = await loadSegmenter({ kind: 'url', url: '/models/demo/model.json' });
 *   const result = await segmenter.segment(image, { stages: true, attention: 'kmeans' });
 *   segmenter.dispose();
 */
import { fetchModel, type ModelSource, type ProgressCallback } from '../loading/load-model';
import { decodeModelWeights } from '../loading/model-folder';
import { KMaXSegmenter } from './kmax-segmenter';
import type { Segmenter } from './types';

export interface LoadOptions {
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
}

export async function loadSegmenter(source: ModelSource, options: LoadOptions = {}): Promise<Segmenter> {
  const { modelJson, shards } = await fetchModel(source, options.onProgress, options.signal);
  const tensors = decodeModelWeights(modelJson, shards);
  let segmenter: Segmenter;
  try {
    segmenter = new KMaXSegmenter(modelJson.config, modelJson.classes, tensors, modelJson.provenance?.trainedAttention);
  } catch (e) {
    for (const t of tensors.values()) t.dispose();
    throw e;
  }
  const total = shards.size === 0 ? 0 : [...shards.values()].reduce((s, b) => s + b.byteLength, 0);
  options.onProgress?.({ status: 'ready', loaded: total, total });
  return segmenter;
}

export { KMaXSegmenter } from './kmax-segmenter';
export { SegmentOptionsError } from './options';
export type { ModelSource, LoadProgress, ProgressCallback } from '../loading/load-model';
export type { ModelJson, Provenance } from '../loading/model-format';
export type * from './types';
export type { KMaXConfig, ClassInfo, PostProcessConfig } from '../model/config';
export { PRESETS, getPreset } from '../model/presets';
