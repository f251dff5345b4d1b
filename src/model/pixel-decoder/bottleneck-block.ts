import type { WeightReader } from '../weights';
import { Conv2dBN, kmaxConvBN } from '../layers/conv';
import { DecoderBlock } from './decoder-block';

/**
 * Bottleneck block (spec 3.4): filters [base, base, 4*base]; the spatial layer is
 * a 3x3 conv (pad 1) + BN + GELU, key `{prefix}._conv2_bn_act`.
 */
export function createBottleneckBlock(
  weights: WeightReader,
  prefix: string,
  inChannels: number,
  base: number,
  stride = 1,
): DecoderBlock {
  const conv2 = new Conv2dBN(weights, kmaxConvBN(`${prefix}._conv2_bn_act`), base, base, {
    kernel: 3,
    stride,
    pad: 1,
    act: 'gelu',
  });
  return new DecoderBlock(
    weights,
    prefix,
    { inChannels, conv1Channels: base, spatialChannels: base, outChannels: 4 * base, stride },
    conv2,
  );
}
