import type * as tf from '@tensorflow/tfjs-core';
import type { BackboneConfig, BackboneFeature } from '../config';
import type { WeightReader } from '../weights';
import { AxialResNet } from './axial-resnet';
import { ConvNeXt } from './convnext';
import type { BackboneFeatures } from './features';
import { ResNet } from './resnet';

export type { BackboneFeatures } from './features';

/**
 * The pixel encoder: network input `[1, H, W, 3]` to the named endpoints.
 * Only the features passed as `wanted` at construction are returned; every
 * other intermediate is disposed. The caller owns (and disposes) the result.
 */
export interface Backbone {
  apply(x: tf.Tensor4D): BackboneFeatures;
  channels(feature: BackboneFeature): number;
}

export function createBackbone(
  config: BackboneConfig,
  weights: WeightReader,
  wanted: readonly BackboneFeature[],
): Backbone {
  switch (config.type) {
    case 'resnet':
      return new ResNet(weights, config, wanted);
    case 'convnext':
      return new ConvNeXt(weights, config, wanted);
    case 'axial-resnet':
      return new AxialResNet(weights, config, wanted);
  }
}
