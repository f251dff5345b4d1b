import * as tf from '@tensorflow/tfjs-core';
import { gelu } from '../layers/activations';
import { Conv2dBN, kmaxConvBN } from '../layers/conv';
import type { WeightReader } from '../weights';

/** The spatial operation between a block's conv1 and conv3: a 3x3 conv or axial attention. */
export interface SpatialLayer {
  apply(x: tf.Tensor4D): tf.Tensor4D;
}

export interface DecoderBlockShape {
  readonly inChannels: number;
  /** Width of conv1's output, the spatial layer's input. */
  readonly conv1Channels: number;
  /** Width of the spatial layer's output, conv3's input. */
  readonly spatialChannels: number;
  readonly outChannels: number;
  /** Stride of the spatial layer and the shortcut (Axial-ResNet stage entries); 1 in the decoder. */
  readonly stride?: number;
}

/**
 * The residual block of both pixel-decoder stage types (spec 3.4 "Block", T11):
 * GELU on the input; shortcut = that activation, through 1x1 conv + BN when the
 * channels change; conv1 (1x1 + BN + GELU) -> spatial layer -> conv3 (1x1 + BN);
 * returns conv3 + shortcut, NOT activated (the next block activates it).
 * Keys `{prefix}._conv1_bn_act`, `._conv3_bn`, `._shortcut`. deeplab2's AxialBlock, so
 * also the Axial-ResNet backbone's block, where a stride reaches the spatial layer (the
 * caller builds it strided) and the 1x1 shortcut.
 */
export class DecoderBlock {
  private readonly shortcut: Conv2dBN | null;
  private readonly conv1: Conv2dBN;
  private readonly conv3: Conv2dBN;

  constructor(
    weights: WeightReader,
    prefix: string,
    shape: DecoderBlockShape,
    private readonly spatial: SpatialLayer,
  ) {
    const { inChannels, conv1Channels, spatialChannels, outChannels, stride = 1 } = shape;
    if (inChannels === outChannels && stride !== 1) {
      throw new Error(`${prefix}: a strided block needs a shortcut conv, but its input already has ${outChannels} channels`);
    }
    this.shortcut =
      inChannels !== outChannels
        ? new Conv2dBN(weights, kmaxConvBN(`${prefix}._shortcut`), inChannels, outChannels, { kernel: 1, stride })
        : null;
    this.conv1 = new Conv2dBN(weights, kmaxConvBN(`${prefix}._conv1_bn_act`), inChannels, conv1Channels, {
      kernel: 1,
      act: 'gelu',
    });
    this.conv3 = new Conv2dBN(weights, kmaxConvBN(`${prefix}._conv3_bn`), spatialChannels, outChannels, { kernel: 1 });
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const activated = gelu(x) as tf.Tensor4D;
      const shortcut = this.shortcut?.apply(activated) ?? activated;
      const y = this.conv3.apply(this.spatial.apply(this.conv1.apply(activated)));
      return tf.add(y, shortcut) as tf.Tensor4D;
    });
  }
}
