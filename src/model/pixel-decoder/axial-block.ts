import * as tf from '@tensorflow/tfjs-core';
import { gelu } from '../layers/activations';
import type { WeightReader } from '../weights';
import { AxialAttention2D } from './axial-attention-2d';
import { DecoderBlock } from './decoder-block';

/**
 * Axial-attention block (spec 3.4): filters [2*base, base, 4*base]; the spatial
 * layer is GELU(Axial2D), whose value depth 2*base feeds conv3.
 */
export function createAxialBlock(
  weights: WeightReader,
  prefix: string,
  inChannels: number,
  base: number,
  heads: number,
  stride = 1,
): DecoderBlock {
  const attention = new AxialAttention2D(weights, `${prefix}._attention`, 2 * base, base, heads, stride);
  return new DecoderBlock(
    weights,
    prefix,
    { inChannels, conv1Channels: 2 * base, spatialChannels: attention.outChannels, outChannels: 4 * base, stride },
    { apply: (y) => tf.tidy(() => gelu(attention.apply(y)) as tf.Tensor4D) },
  );
}
