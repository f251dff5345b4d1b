import * as tf from '@tensorflow/tfjs-core';
import type { WeightReader } from '../weights';
import { activate, type Activation } from './activations';
import { BatchNorm } from './batch-norm';
import { isCalibrating } from './calibration';

/**
 * Where a conv's tensors live: `{conv}.weight` (+ `{conv}.bias`) and, when
 * normalised, `{norm}.*`. kMaX modules nest them as `X.conv` / `X.norm`; detectron2's
 * ResNet convs hold the weight directly with `X.norm` beside it.
 */
export interface ConvKeys {
  readonly conv: string;
  readonly norm?: string;
}

/** kMaX `ConvBN` naming: `{prefix}.conv.weight`, `{prefix}.norm.*`. */
export function kmaxConvBN(prefix: string): ConvKeys {
  return { conv: `${prefix}.conv`, norm: `${prefix}.norm` };
}

/** detectron2 `Conv2d(norm=...)` naming: `{prefix}.weight`, `{prefix}.norm.*`. */
export function detectronConvBN(prefix: string): ConvKeys {
  return { conv: prefix, norm: `${prefix}.norm` };
}

export interface Conv2dOptions {
  readonly kernel: number;
  readonly stride?: number;
  /** Symmetric zero padding; PyTorch-style, never TF 'same' (spec T22). */
  readonly pad?: number;
  /** Depthwise (groups = channels): filter [k, k, C, 1]. */
  readonly depthwise?: boolean;
  readonly bias?: boolean;
  readonly act?: Activation;
}

/** Conv2d (+ optional BatchNorm + activation) on NHWC maps; BN is folded into the filter. */
export class Conv2dBN {
  private readonly filter: tf.Tensor4D;
  private readonly bias: tf.Tensor1D | null;
  private readonly norm: BatchNorm | null;
  private readonly stride: number;
  private readonly pad: number;
  private readonly depthwise: boolean;
  private readonly act: Activation;
  private folded: { filter: tf.Tensor4D; bias: tf.Tensor1D | null } | null = null;

  constructor(private readonly weights: WeightReader, keys: ConvKeys, inChannels: number, outChannels: number, options: Conv2dOptions) {
    const k = options.kernel;
    this.depthwise = options.depthwise ?? false;
    const shape = this.depthwise ? [k, k, inChannels, 1] : [k, k, inChannels, outChannels];
    this.filter = weights.take(`${keys.conv}.weight`, shape) as tf.Tensor4D;
    this.bias = options.bias ? (weights.take(`${keys.conv}.bias`, [outChannels]) as tf.Tensor1D) : null;
    this.norm = keys.norm !== undefined ? new BatchNorm(weights, keys.norm, outChannels) : null;
    this.stride = options.stride ?? 1;
    this.pad = options.pad ?? 0;
    this.act = options.act ?? 'none';
    weights.derive(() => this.foldedWeights());
  }

  get batchNorm(): BatchNorm | null {
    return this.norm;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    if (isCalibrating()) return this.applyCalibrating(x);
    const { filter, bias } = this.foldedWeights();
    return tf.tidy(() => {
      const fusedAct = this.act === 'relu' ? 'relu' : 'linear';
      const y =
        this.depthwise
          ? tf.fused.depthwiseConv2d({ x, filter, strides: this.stride, pad: this.pad, bias: bias ?? undefined, activation: fusedAct })
          : tf.fused.conv2d({ x, filter, strides: this.stride, pad: this.pad, bias: bias ?? undefined, activation: fusedAct });
      return (this.act === 'gelu' ? activate(y, 'gelu') : y) as tf.Tensor4D;
    });
  }

  private applyCalibrating(x: tf.Tensor4D): tf.Tensor4D {
    this.disposeFolded();
    return tf.tidy(() => {
      let y: tf.Tensor4D = this.depthwise
        ? tf.depthwiseConv2d(x, this.filter, this.stride, this.pad)
        : tf.conv2d(x, this.filter, this.stride, this.pad);
      if (this.bias !== null) y = tf.add(y, this.bias);
      if (this.norm !== null) y = this.norm.apply(y) as tf.Tensor4D;
      return activate(y, this.act) as tf.Tensor4D;
    });
  }

  /** BN folded into the conv: filter * scale, bias * scale + shift. */
  private foldedWeights(): { filter: tf.Tensor4D; bias: tf.Tensor1D | null } {
    if (this.folded === null) {
      if (this.norm === null) {
        this.folded = { filter: this.filter, bias: this.bias };
      } else {
        const { scale, shift } = this.norm.affine();
        this.folded = tf.tidy(() => {
          const s = this.depthwise ? tf.reshape(scale, [1, 1, -1, 1]) : scale;
          const filter = this.weights.track(tf.keep(tf.mul(this.filter, s) as tf.Tensor4D));
          const bias = this.weights.track(tf.keep((this.bias === null ? shift : tf.add(tf.mul(this.bias, scale), shift)) as tf.Tensor1D));
          return { filter, bias };
        });
      }
    }
    return this.folded;
  }

  private disposeFolded(): void {
    if (this.folded !== null && this.norm !== null) {
      this.folded.filter.dispose();
      this.folded.bias?.dispose();
    }
    this.folded = null;
  }
}

/**
 * A 1x1 "Conv1d" on a sequence (PyTorch `[N, C, L]`, here `[L, C]`): a matrix
 * product over channels (+ optional bias, BatchNorm and activation). Weight `[in, out]`.
 */
export class Conv1dBN {
  private readonly weight: tf.Tensor2D;
  private readonly bias: tf.Tensor1D | null;
  private readonly norm: BatchNorm | null;
  private readonly act: Activation;
  private folded: { weight: tf.Tensor2D; bias: tf.Tensor1D | null } | null = null;
  private blocks: { widths: number[]; parts: { weight: tf.Tensor2D; bias: tf.Tensor1D | null }[] } | null = null;

  constructor(
    private readonly weights: WeightReader,
    keys: ConvKeys,
    inChannels: number,
    outChannels: number,
    options: { readonly bias?: boolean; readonly act?: Activation } = {},
  ) {
    this.weight = weights.take(`${keys.conv}.weight`, [inChannels, outChannels]) as tf.Tensor2D;
    this.bias = options.bias ? (weights.take(`${keys.conv}.bias`, [outChannels]) as tf.Tensor1D) : null;
    this.norm = keys.norm !== undefined ? new BatchNorm(weights, keys.norm, outChannels) : null;
    this.act = options.act ?? 'none';
    weights.derive(() => this.foldedWeights());
  }

  /** x: [L, in] -> [L, out]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (isCalibrating()) {
      this.disposeFolded();
      return tf.tidy(() => {
        let y: tf.Tensor2D = tf.matMul(x, this.weight);
        if (this.bias !== null) y = tf.add(y, this.bias);
        if (this.norm !== null) y = this.norm.apply(y) as tf.Tensor2D;
        return activate(y, this.act) as tf.Tensor2D;
      });
    }
    const { weight, bias } = this.foldedWeights();
    return tf.tidy(() => {
      const y = tf.fused.matMul({ a: x, b: weight, bias: bias ?? undefined, activation: this.act === 'relu' ? 'relu' : 'linear' });
      return (this.act === 'gelu' ? activate(y, 'gelu') : y) as tf.Tensor2D;
    });
  }

  /**
   * `apply` split by output columns into blocks of `widths`: one product per
   * block of the weight, so no copy of the output is made (tfjs-wasm splits
   * a tensor with a JS loop per row).
   */
  applySplit(x: tf.Tensor2D, widths: readonly number[]): tf.Tensor2D[] {
    if (isCalibrating()) return tf.tidy(() => tf.split(this.apply(x), [...widths], 1));
    return tf.tidy(() =>
      this.foldedBlocks(widths).map(({ weight, bias }) => {
        const y = tf.fused.matMul({ a: x, b: weight, bias: bias ?? undefined, activation: this.act === 'relu' ? 'relu' : 'linear' });
        return (this.act === 'gelu' ? activate(y, 'gelu') : y) as tf.Tensor2D;
      }),
    );
  }

  private foldedBlocks(widths: readonly number[]): { weight: tf.Tensor2D; bias: tf.Tensor1D | null }[] {
    if (this.blocks === null || this.blocks.widths.join() !== widths.join()) {
      this.disposeBlocks();
      const { weight, bias } = this.foldedWeights();
      const keep = <T extends tf.Tensor>(t: T): T => this.weights.track(tf.keep(t));
      const weightParts = tf.split(weight, [...widths], 1).map((w) => keep(w as tf.Tensor2D));
      const biasParts = bias === null ? null : tf.split(bias, [...widths]).map((b) => keep(b as tf.Tensor1D));
      const parts = weightParts.map((w, i) => ({ weight: w, bias: biasParts?.[i] ?? null }));
      this.blocks = { widths: [...widths], parts };
      return parts;
    }
    return this.blocks.parts;
  }

  private disposeBlocks(): void {
    this.blocks?.parts.forEach(({ weight, bias }) => tf.dispose(bias === null ? [weight] : [weight, bias]));
    this.blocks = null;
  }

  private foldedWeights(): { weight: tf.Tensor2D; bias: tf.Tensor1D | null } {
    if (this.folded === null) {
      if (this.norm === null) {
        this.folded = { weight: this.weight, bias: this.bias };
      } else {
        const { scale, shift } = this.norm.affine();
        this.folded = tf.tidy(() => ({
          weight: this.weights.track(tf.keep(tf.mul(this.weight, scale) as tf.Tensor2D)),
          bias: this.weights.track(tf.keep((this.bias === null ? shift : tf.add(tf.mul(this.bias, scale), shift)) as tf.Tensor1D)),
        }));
      }
    }
    return this.folded;
  }

  private disposeFolded(): void {
    this.disposeBlocks();
    if (this.folded !== null && this.norm !== null) {
      this.folded.weight.dispose();
      this.folded.bias?.dispose();
    }
    this.folded = null;
  }
}
