import * as tf from '@tensorflow/tfjs-core';

/**
 * The weights of one model, keyed by PyTorch state-dict name, stored in tfjs layouts
 * (conv HWIO, depthwise [k,k,C,1], 1x1 Conv1d / Linear [in,out], cluster centres [K,C]).
 */
export type NamedTensors = ReadonlyMap<string, tf.Tensor>;

/** A tensor's values on the host, as read from a model folder or made by `kmax init`. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface WeightProblem {
  readonly kind: 'missing' | 'unexpected' | 'shape';
  readonly key: string;
  readonly expected?: readonly number[];
  readonly actual?: readonly number[];
}

/** A model folder or checkpoint does not fit the model it is loaded into. */
export class WeightsMismatchError extends Error {
  override readonly name = 'WeightsMismatchError';
  constructor(readonly problems: readonly WeightProblem[]) {
    super(describeProblems(problems));
  }
}

function describeProblems(problems: readonly WeightProblem[]): string {
  const lines = problems.slice(0, 20).map((p) => {
    switch (p.kind) {
      case 'missing':
        return `missing weight "${p.key}" (expected shape [${p.expected?.join(', ')}])`;
      case 'unexpected':
        return `unexpected weight "${p.key}" [${p.actual?.join(', ')}]`;
      case 'shape':
        return `weight "${p.key}" has shape [${p.actual?.join(', ')}], expected [${p.expected?.join(', ')}]`;
    }
  });
  const more = problems.length > 20 ? `\n... and ${problems.length - 20} more` : '';
  return `The weights do not match the model: ${problems.length} problem(s)\n${lines.join('\n')}${more}`;
}

/**
 * Hands each module its weights while the model is being built, checking every
 * shape against what the config implies. `finish()` reports every missing,
 * unexpected and mis-shaped key at once, so one error names them all.
 */
export class WeightReader {
  private readonly used = new Set<string>();
  private readonly problems: WeightProblem[] = [];
  private readonly placeholders: tf.Tensor[] = [];
  private readonly derived: tf.Tensor[] = [];
  private readonly derivations: (() => unknown)[] = [];

  constructor(private readonly tensors: NamedTensors) {}

  take(key: string, shape: readonly number[]): tf.Tensor {
    this.used.add(key);
    const t = this.tensors.get(key);
    if (t === undefined) {
      this.problems.push({ kind: 'missing', key, expected: shape });
      return this.placeholder(shape);
    }
    if (!sameShape(t.shape, shape)) {
      this.problems.push({ kind: 'shape', key, expected: shape, actual: t.shape });
      return this.placeholder(shape);
    }
    return t;
  }

  /** Throws a WeightsMismatchError if anything did not fit; else returns the keys consumed. */
  finish(): ReadonlySet<string> {
    for (const [key, t] of this.tensors) {
      if (!this.used.has(key)) this.problems.push({ kind: 'unexpected', key, actual: t.shape });
    }
    if (this.problems.length > 0) {
      for (const t of this.placeholders) t.dispose();
      throw new WeightsMismatchError(this.problems);
    }
    return this.used;
  }

  /**
   * Registers a tensor computed from the weights (a BatchNorm folded into its
   * conv, say) so that `disposeDerived` frees it with the model.
   */
  track<T extends tf.Tensor>(t: T): T {
    this.derived.push(t);
    return t;
  }

  /** Registers how a layer makes its weight-derived tensors, so that `deriveAll` can make them ahead of a run. */
  derive(make: () => unknown): void {
    this.derivations.push(make);
  }

  /** Makes every registered derived tensor now (each layer keeps its own and makes it once). */
  deriveAll(): void {
    for (const make of this.derivations) make();
  }

  disposeDerived(): void {
    for (const t of this.derived) t.dispose();
    this.derived.length = 0;
  }

  /** Stand-in so building can continue and report every problem; freed by finish(). */
  private placeholder(shape: readonly number[]): tf.Tensor {
    const t = tf.zeros([...shape]);
    this.placeholders.push(t);
    return t;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
