import { CheckpointFormatError } from '../errors';
import { stridedCopy } from '../raw-tensor';

/**
 * Weight layout transforms from PyTorch to the engine (tfjs) layouts. Each key-map
 * entry names one; each checks the rank it expects, so a mis-mapped key fails loudly.
 */
export interface Layout {
  readonly name: string;
  /** Engine shape for a PyTorch shape, or null when the shape does not fit this layout. */
  shape(source: readonly number[]): number[] | null;
  apply(source: readonly number[], data: Float32Array): Float32Array;
}

/** Axis permutation: out axis i is source axis perm[i]. */
function permuted(name: string, perm: readonly number[], fits: (s: readonly number[]) => boolean): Layout {
  return {
    name,
    shape: (s) => (fits(s) ? perm.map((p) => s[p]) : null),
    apply: (s, data) => permute(data, s, perm),
  };
}

export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return stridedCopy(
    data,
    0,
    perm.map((p) => shape[p]),
    perm.map((p) => strides[p]),
  );
}

const rank = (n: number) => (s: readonly number[]) => s.length === n;

export const LAYOUTS = {
  /** BN / LN vectors, biases, relative-position tables, layer scales. */
  identity: { name: 'identity', shape: (s) => [...s], apply: (_s, data) => data } satisfies Layout,
  /** Conv2d OIHW -> HWIO. */
  conv: permuted('conv OIHW->HWIO', [2, 3, 1, 0], rank(4)),
  /** Depthwise Conv2d [C,1,k,k] -> [k,k,C,1]. */
  depthwise: permuted('depthwise [C,1,k,k]->[k,k,C,1]', [2, 3, 0, 1], (s) => s.length === 4 && s[1] === 1),
  /** Conv1d with kernel 1, [out,in,1] -> [in,out] (a matrix on [L, C] sequences). */
  conv1d: {
    name: 'conv1d [out,in,1]->[in,out]',
    shape: (s) => (s.length === 3 && s[2] === 1 ? [s[1], s[0]] : null),
    apply: (s, data) => permute(data, [s[0], s[1]], [1, 0]),
  } satisfies Layout,
  /** nn.Linear [out,in] -> [in,out]. */
  linear: permuted('linear [out,in]->[in,out]', [1, 0], rank(2)),
  /** kMaX cluster centres [C,K] (nn.Embedding(C, K) used as a matrix, spec T15) -> [K,C]. */
  clusterCenters: permuted('cluster centres [C,K]->[K,C]', [1, 0], rank(2)),
} as const satisfies Record<string, Layout>;

/** Applies `layout` to one tensor, naming the key when its shape does not fit. */
export function toEngineLayout(key: string, layout: Layout, shape: readonly number[], data: Float32Array) {
  const engineShape = layout.shape(shape);
  if (engineShape === null) {
    throw new CheckpointFormatError(`"${key}" has shape [${shape.join(', ')}], which does not fit ${layout.name}`);
  }
  return { shape: engineShape, data: layout.apply(shape, data) };
}
