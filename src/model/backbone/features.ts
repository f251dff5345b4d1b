import * as tf from '@tensorflow/tfjs-core';
import type { BackboneFeature } from '../config';

/** The backbone endpoints a model asked for, NHWC `[1, h, w, c]`. */
export type BackboneFeatures = Partial<Record<BackboneFeature, tf.Tensor4D>>;

/** One layer of a backbone: a new tensor from its input, which it leaves alone. */
export type Step = (x: tf.Tensor4D) => tf.Tensor4D;

/** The four stage endpoints, in network order. */
export const STAGE_FEATURES = ['res2', 'res3', 'res4', 'res5'] as const;

/** A backbone as a stem followed by four stages whose outputs are res2..res5. */
export interface StagedNetwork {
  readonly stem: Step;
  readonly stages: readonly (readonly Step[])[];
}

/**
 * Runs the stem and as many stages as the wanted endpoints need, keeping the
 * wanted ones and disposing every other intermediate as soon as it is consumed
 * (one outer tf.tidy would hold every block output until the end).
 */
export function runStages(x: tf.Tensor4D, net: StagedNetwork, wanted: ReadonlySet<BackboneFeature>): BackboneFeatures {
  const features: BackboneFeatures = {};
  const keep = (feature: BackboneFeature, t: tf.Tensor4D): boolean => {
    if (!wanted.has(feature)) return false;
    features[feature] = t;
    return true;
  };
  const lastStage = Math.max(-1, ...STAGE_FEATURES.map((f, i) => (wanted.has(f) ? i : -1)));

  let y = net.stem(x);
  let kept = keep('stem', y);
  for (let s = 0; s <= lastStage; s++) {
    const next = applyInSequence(y, net.stages[s]);
    if (!kept) y.dispose();
    y = next;
    kept = keep(STAGE_FEATURES[s], y);
  }
  if (!kept) y.dispose();
  return features;
}

/** Applies `steps` in order, disposing each intermediate once consumed; `x` is left alone. */
export function applyInSequence(x: tf.Tensor4D, steps: readonly Step[]): tf.Tensor4D {
  let current = x;
  for (const step of steps) {
    const next = step(current);
    if (current !== x) current.dispose();
    current = next;
  }
  return current === x ? tf.clone(x) : current;
}
