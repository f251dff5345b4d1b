import { useMemo } from 'react';
import type { LayerRecord, RgbImage } from '../segmenter/types';
import { attentionOverlay, attentionWeights, HEAT_STOPS, isSoftAttention, type ResizedSize } from '../viz';
import { ImageCanvas } from './ImageCanvas';

const MODE_WORDS = { softmax: 'spatial softmax over all pixels', masked: 'softmax over its mask only', 'cluster-softmax': 'softmax over clusters, per pixel' } as const;

/** Attention weights are small (a softmax over thousands of pixels): three significant digits. */
const weight = (x: number) => (x === 0 ? '0' : x.toPrecision(3));

/**
 * In a soft-attention layer, the selected cluster's weights over the pixels (its row of
 * the cross-attention), drawn over the photo on the heat scale with the scale's ends.
 */
export function CompareAttentionMap({ photo, record, cluster, resized, runLabel, maxSide }: { photo: RgbImage; record: LayerRecord; cluster: number; resized: ResizedSize; runLabel: string; maxSide: number }) {
  const mode = record.attention;
  const overlay = useMemo(() => {
    if (!isSoftAttention(mode)) return null;
    const weights = attentionWeights(record, cluster, mode);
    return weights === null ? null : attentionOverlay(photo, weights, record, resized, { opacity: 0.75, maxSide });
  }, [photo, record, cluster, resized, mode, maxSide]);
  if (!isSoftAttention(mode)) return <p className="hint">{runLabel}: this layer uses argmax, so cluster {cluster} takes its pixels whole (no soft weights).</p>;
  if (overlay === null) return null;
  const label = `${runLabel}: attention of cluster ${cluster}`;
  const gradient = `linear-gradient(to right, ${HEAT_STOPS.map((c) => `rgb(${c.join(' ')})`).join(', ')})`;
  return (
    <figure className="attention-map">
      <ImageCanvas image={overlay.image} label={label} className="stage" />
      <figcaption>
        {label} ({MODE_WORDS[mode]})
        <span className="colour-scale" role="img" aria-label={`Colour scale from ${weight(overlay.min)} to ${weight(overlay.max)}`}>
          <span className="scale-end" data-end="min">{weight(overlay.min)}</span>
          <span className="scale-bar" style={{ background: gradient }} />
          <span className="scale-end" data-end="max">{weight(overlay.max)}</span>
        </span>
      </figcaption>
    </figure>
  );
}
