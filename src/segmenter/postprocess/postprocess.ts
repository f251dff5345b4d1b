import * as tf from '@tensorflow/tfjs-core';
import type { ClassInfo, PostProcessConfig } from '../../model/config';
import type { ResizePlan } from '../preprocess/resize-plan';
import type { Instance, PanopticResult } from '../types';
import { classProbs, type ClassProbs } from './class-probs';
import { clusterMembership, readLowLogits, type ClusterMembership } from './cluster-membership';
import { instances } from './instances';
import { pastePanoptic } from './panoptic';
import { postprocessTf } from './panoptic-tf';
import { semanticLabels } from './semantic';
import { sameThresholds } from './same-thresholds';

export interface PostProcessOptions {
  readonly semantic?: boolean;
  readonly instances?: boolean;
  /** Elements of one [rows, W, K] strip tensor of the semantic pass (memory/speed trade-off). */
  readonly stripElements?: number;
  /**
   * An earlier pass over the same outputs: what depends only on thresholds that did not
   * change is taken from it, so a view switch redoes no work (issue 11).
   */
  readonly previous?: PreviousPass;
}

export interface PreviousPass {
  readonly config: PostProcessConfig;
  readonly result: PostProcessResult;
}

export interface PostProcessResult {
  readonly panoptic: PanopticResult;
  /** Class id per pixel at the original size (spec 5.2). */
  readonly semantic?: Int32Array;
  readonly instances?: Instance[];
  /** The binary masks at the pass's pixel threshold, for a later pass (PT processing). */
  readonly membership?: ClusterMembership;
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
  const { previous } = options;
  const membership =
    previous?.result.membership !== undefined && previous.config.pixelThreshold === config.pixelThreshold
      ? previous.result.membership
      : clusterMembership(await readLowLogits(maskLogits), geometry, { threshold: config.pixelThreshold }).membership;
  // Semantic labels use no threshold (spec 5.2).
  const semantic = options.semantic ? (previous?.result.semantic ?? (await semanticOf(maskLogits, geometry, cp, options.stripElements))) : undefined;
  const panoptic = previous !== undefined && sameThresholds(previous.config, config) ? previous.result.panoptic : pastePanoptic(membership, cp, classes, config);
  return {
    panoptic,
    ...(semantic !== undefined && { semantic }),
    ...(options.instances && { instances: instances(membership, cp, classes) }),
    membership,
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
