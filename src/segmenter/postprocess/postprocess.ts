import * as tf from '@tensorflow/tfjs-core';
import type { ClassInfo, PostProcessConfig } from '../../model/config';
import type { ResizePlan } from '../preprocess/resize-plan';
import type { Instance, PanopticResult } from '../types';
import { classProbs, type ClassProbs } from './class-probs';
import { clusterMembership, readLowLogits } from './cluster-membership';
import { instances } from './instances';
import { pastePanoptic } from './panoptic';
import { postprocessTf } from './panoptic-tf';
import { semanticLabels } from './semantic';

export interface PostProcessOptions {
  readonly semantic?: boolean;
  readonly instances?: boolean;
  /** Elements of one [rows, W, K] strip tensor of the semantic pass (memory/speed trade-off). */
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
  const { membership } = clusterMembership(await readLowLogits(maskLogits), geometry, { threshold: config.pixelThreshold });
  const semantic = options.semantic ? await semanticOf(maskLogits, geometry, cp, options.stripElements) : undefined;
  const panoptic = pastePanoptic(membership, cp, classes, config);
  return {
    panoptic,
    ...(semantic !== undefined && { semantic }),
    ...(options.instances && { instances: instances(membership, cp, classes) }),
  };
}

async function semanticOf(maskLogits: tf.Tensor3D, geometry: ResizePlan, cp: ClassProbs, stripElements?: number): Promise<Int32Array> {
  const probs = tf.tensor2d(cp.probs, [cp.numClusters, cp.numClasses]);
  try {
    return await semanticLabels(maskLogits, geometry, probs, stripElements);
  } finally {
    probs.dispose();
  }
}
