import * as tf from '@tensorflow/tfjs-core';
import type { ClassInfo, PostProcessConfig } from '../../model/config';
import type { ResizePlan } from '../preprocess/resize-plan';
import type { Instance, PanopticResult } from '../types';
import { classProbs } from './class-probs';
import { clusterMembership } from './cluster-membership';
import { instances } from './instances';
import { pastePanoptic } from './panoptic';
import { postprocessTf } from './panoptic-tf';

export interface PostProcessOptions {
  readonly semantic?: boolean;
  readonly instances?: boolean;
  /** Elements of one [rows, W, K] strip tensor (memory/speed trade-off). */
  readonly stripElements?: number;
}

export interface PostProcessResult {
  readonly panoptic: PanopticResult;
  /** Class id per pixel at the original size (spec 5.2). */
  readonly semantic?: Int32Array;
  readonly instances?: Instance[];
}

/**
 * PT post-processing (spec 2.1 step 5 + 5.1-5.3) at the original image size; deeplab2's
 * (panoptic-tf.ts) when the geometry says 'tf'.
 * `classLogits`: K x (C+1), void last. `maskLogits`: [h/4, w/4, K] final mask logits of
 * the padded input (not disposed here).
 */
export async function postprocess(
  classLogits: Float32Array,
  maskLogits: tf.Tensor3D,
  geometry: ResizePlan,
  classes: readonly ClassInfo[],
  config: PostProcessConfig,
  options: PostProcessOptions = {},
): Promise<PostProcessResult> {
  if (geometry.processing === 'tf') return postprocessTf(classLogits, maskLogits, geometry, classes, config, options);
  const numClusters = maskLogits.shape[2];
  const cp = classProbs(classLogits, numClusters);
  const semanticClassProbs = options.semantic ? tf.tensor2d(cp.probs, [numClusters, cp.numClasses]) : undefined;
  let result;
  try {
    result = await clusterMembership(maskLogits, geometry, {
      threshold: config.pixelThreshold,
      semanticClassProbs,
      stripElements: options.stripElements,
    });
  } finally {
    semanticClassProbs?.dispose();
  }
  const { membership, semantic } = result;
  const panoptic = pastePanoptic(membership, cp, classes, config);
  return {
    panoptic,
    ...(semantic !== undefined && { semantic }),
    ...(options.instances && { instances: instances(membership, cp, classes) }),
  };
}
