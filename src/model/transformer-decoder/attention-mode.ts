/**
 * The cross-attention applied in each kMaX layer (spec 6 and issue 2):
 * - `kmeans`: cluster-wise argmax, one-hot assignment, as trained;
 * - `softmax`: standard spatial softmax over pixels for each cluster;
 * - `masked`: Mask2Former's masked attention, the spatial softmax restricted to
 *   each cluster's foreground (probability over clusters >= 0.5; all pixels when empty);
 * - `cluster-softmax`: soft k-means, softmax over clusters for each pixel, summed.
 */
export const ATTENTION_MODES = ['kmeans', 'softmax', 'masked', 'cluster-softmax'] as const;
export type AttentionMode = (typeof ATTENTION_MODES)[number];

/** A pixel is in cluster k's foreground for masked attention when its probability over clusters reaches this (Mask2Former). */
export const MASKED_FOREGROUND = 0.5;
