import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from './random';
import { WeightReader, WeightsMismatchError } from './weights';

export { mulberry32 };

/**
 * Random weights for whatever a module asks for. `build` is run once
 * against an empty reader to learn every key and shape, then the values are drawn
 * from a seeded generator so tests are reproducible. BatchNorm variances are
 * positive; scales sit near 1; convs are scaled by their fan-in.
 */
export function randomWeights(build: (weights: WeightReader) => unknown, seed = 1): Map<string, tf.Tensor> {
  const probe = new WeightReader(new Map());
  tf.tidy(() => {
    build(probe);
  });
  let problems: WeightsMismatchError['problems'] = [];
  try {
    probe.finish();
  } catch (e) {
    if (!(e instanceof WeightsMismatchError)) throw e;
    problems = e.problems;
  }
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const weights = new Map<string, tf.Tensor>();
  for (const { key, expected } of problems) {
    const shape = [...(expected ?? [])];
    const draw = sampler(key, shape, random, normal);
    weights.set(key, tf.tensor(Float32Array.from({ length: size(shape) }, draw), shape));
  }
  return weights;
}

function sampler(key: string, shape: number[], random: () => number, normal: () => number): () => number {
  if (key.endsWith('running_var')) return () => 0.5 + random();
  if (key.endsWith('running_mean') || key.endsWith('bias')) return () => 0.2 * normal();
  if (shape.length === 1) return () => 0.6 + 0.8 * random(); // BN / LN scales, layer scale
  if (key.includes('_rpe.')) return () => normal() / Math.sqrt(shape[1]);
  // Conv HWIO (depthwise [k,k,C,1]) or matrix [in,out]: fan-in = every axis but the output's.
  const fanIn = shape[shape.length - 1] === 1 && shape.length === 4 ? shape[0] * shape[1] : size(shape.slice(0, -1));
  return () => normal() / Math.sqrt(fanIn);
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
