import { elementCount } from '../raw-tensor';
import type { Layout } from './layouts';

/**
 * Weight layout transforms from deeplab2 (TF2/Keras) variables to the engine layouts
 * (spec 8.3's layout table). TF values are already channels-last, so every transform
 * is a reshape that drops or moves singleton axes: the data are reused as they are.
 * (The class-head re-ordering is separate: tf-class-order.ts.)
 *
 * Each layout also gives the TF shape of an engine shape, so tests can write a
 * TF-named checkpoint from a PyTorch inventory.
 */
export interface TfLayout extends Layout {
  /** TF variable shape for an engine shape, or null when it does not fit. */
  tfShape(engine: readonly number[], heads: AttentionHeads): number[] | null;
}

/** Head counts that fix the singleton-axis shapes of the multi-axis BatchNorms. */
export interface AttentionHeads {
  /** Pixel-decoder axial attention (8 in every official model). */
  readonly axial: number;
  /** Cluster-centre self-attention (8 in every official model). */
  readonly query: number;
}

function reshape(
  name: string,
  toEngine: (s: readonly number[]) => number[] | null,
  toTf: (s: readonly number[], heads: AttentionHeads) => number[] | null,
): TfLayout {
  return { name, shape: toEngine, apply: (_s, data) => data, tfShape: toTf };
}

const rankIs = (n: number) => (s: readonly number[]) => (s.length === n ? [...s] : null);

/** Any shape flattened in C order (Keras keeps singleton axes on multi-axis BNs). */
function flattened(name: string, toTf: (c: number, heads: AttentionHeads) => number[] | null): TfLayout {
  return reshape(name, (s) => [elementCount(s)], (s, heads) => (s.length === 1 ? toTf(s[0], heads) : null));
}

/** [a, b, c] with a whole number of heads, else null. */
function split(c: number, parts: number): number | null {
  return c % parts === 0 ? c / parts : null;
}

export const TF_LAYOUTS = {
  /** Conv2D kernels HWIO, DepthwiseConv2D [k,k,C,1]: the engine's layouts already. */
  conv2d: reshape('Conv2D HWIO', rankIs(4), rankIs(4)),
  /** Dense kernels, axial qkv_kernel [in,out], relative-position tables [509,d]. */
  matrix: reshape('matrix', rankIs(2), rankIs(2)),
  /** Biases, LayerNorm and single-axis BatchNorm vectors. */
  vector: reshape('vector', rankIs(1), rankIs(1)),
  /** Conv1D [1,in,out] -> [in,out] (kMaX query-side 1x1 convs, heads, projections). */
  conv1d: reshape(
    'Conv1D [1,in,out]->[in,out]',
    (s) => (s.length === 3 && s[0] === 1 ? [s[1], s[2]] : null),
    (s) => (s.length === 2 ? [1, s[0], s[1]] : null),
  ),
  /** Pixel-side Conv1D [1,in,out] that PyTorch stores as a 1x1 Conv2d -> [1,1,in,out]. */
  conv1dAs1x1: reshape(
    'Conv1D [1,in,out]->[1,1,in,out]',
    (s) => (s.length === 3 && s[0] === 1 ? [1, ...s] : null),
    (s) => (s.length === 4 && s[0] === 1 && s[1] === 1 ? [1, s[2], s[3]] : null),
  ),
  /** ConvNeXt depthwise conv is a grouped Keras Conv2D: [k,k,1,C] -> [k,k,C,1]. */
  groupedDepthwise: reshape(
    'grouped Conv2D [k,k,1,C]->[k,k,C,1]',
    (s) => (s.length === 4 && s[2] === 1 ? [s[0], s[1], s[3], 1] : null),
    (s) => (s.length === 4 && s[3] === 1 ? [s[0], s[1], 1, s[2]] : null),
  ),
  /** cluster_centers [1,K,C] -> [K,C] (spec T15). */
  clusterCenters: reshape(
    'cluster centres [1,K,C]->[K,C]',
    (s) => (s.length === 3 && s[0] === 1 ? [s[1], s[2]] : null),
    (s) => (s.length === 2 ? [1, ...s] : null),
  ),
  /** BatchNorm vectors stored 1-D. */
  batchNorm: flattened('BatchNorm', (c) => [c]),
  /** Axial similarity BN: [term 3, 1, heads, 1, 1], C-order = PT channel order (spec T7). */
  axialSimilarityBN: flattened('axial similarity BN [3,1,h,1,1]', (c) => {
    const heads = split(c, 3);
    return heads === null ? null : [3, 1, heads, 1, 1];
  }),
  /** Axial retrieved-output BN: [term 2, 1, heads, 1, dv] (spec T7). */
  axialOutputBN: flattened('axial output BN [2,1,h,1,dv]', (c, heads) => {
    const dv = split(c, 2 * heads.axial);
    return dv === null ? null : [2, 1, heads.axial, 1, dv];
  }),
  /** Cluster self-attention retrieved-value BN: [1, heads, 1, dv]. */
  attentionValueBN: flattened('self-attention value BN [1,h,1,dv]', (c, heads) => {
    const dv = split(c, heads.query);
    return dv === null ? null : [1, heads.query, 1, dv];
  }),
  /** ConvNeXt layer_scale [1,1,1,C] -> [C]. */
  layerScale: flattened('layer scale [1,1,1,C]', (c) => [1, 1, 1, c]),
} as const satisfies Record<string, TfLayout>;
