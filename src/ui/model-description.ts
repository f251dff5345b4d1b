import type { KMaXConfig } from '../model/config';

/** One line of what the weights are: backbone, decoder, clusters, input size, processing. */
export function describeConfig(config: KMaXConfig): string {
  const backbone =
    config.backbone.type === 'resnet'
      ? `ResNet ${config.backbone.depths.join('-')} (${config.backbone.variant})`
      : `ConvNeXt ${config.backbone.depths.join('-')}, dims ${config.backbone.dims.join('/')}`;
  const decoder = `decoder ${config.pixelDecoder.inputs.join('/')}`;
  return `${backbone} · ${decoder} · K=${config.transformerDecoder.numClusters} · input ${config.inputSize.join('×')} · ${config.processing} processing`;
}
