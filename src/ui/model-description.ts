import type { KMaXConfig } from '../model/config';

/** One line of what the weights are: backbone, decoder, clusters, input size, processing. */
export function describeConfig(config: KMaXConfig): string {
  const b = config.backbone;
  const backbone =
    b.type === 'resnet'
      ? `ResNet ${b.depths.join('-')} (${b.variant})`
      : b.type === 'convnext'
        ? `ConvNeXt ${b.depths.join('-')}, dims ${b.dims.join('/')}`
        : `Axial-ResNet ${b.depths.join('-')} (MaX-S type), bases ${b.bases.join('/')}`;
  const decoder = `decoder ${config.pixelDecoder.inputs.join('/')}`;
  return `${backbone} · ${decoder} · K=${config.transformerDecoder.numClusters} · input ${config.inputSize.join('×')} · ${config.processing} processing`;
}
