import { describe, expect, it } from 'vitest';
import type { ClassInfo } from '../model/config';
import type { ClusterVerdict, Segment } from '../segmenter/types';
import { modelOptionText, vanishedText, verdictText } from './compare-words';

const CLASSES: ClassInfo[] = [
  { id: 0, datasetId: 1, name: 'disc', isThing: true, color: [1, 1, 1] },
  { id: 1, datasetId: 2, name: 'sky', isThing: false, color: [2, 2, 2] },
];
const v = (outcome: ClusterVerdict['outcome'], classId = 0, score = 0.4213): ClusterVerdict => ({ classId, score, isThing: classId === 0, pixels: 300, outcome });

describe('Compare wording', () => {
  it('names the trained attention in the model picker', () => {
    expect(modelOptionText('demo-softmax', 'softmax')).toBe('demo-softmax — trained with spatial softmax');
    expect(modelOptionText('tiny', undefined)).toBe('tiny');
  });

  it('says which rule dropped a cluster, with the numbers it compared', () => {
    expect(verdictText(v({ kind: 'class-score', threshold: 0.5, rule: '>' }), CLASSES)).toBe('dropped: class score 0.421 (disc) fails score > 0.500, the thing threshold');
    expect(verdictText(v({ kind: 'class-score', threshold: 0.7, rule: '>=' }, 1), CLASSES)).toBe('dropped: class score 0.421 (sky) fails score >= 0.700, the stuff threshold');
    expect(verdictText(v({ kind: 'overlap', free: 30, pixels: 300, overlapThreshold: 0.8 }), CLASSES)).toBe(
      'dropped by the overlap rule: only 30 of its 300 mask pixels (10.0%) were still free, more than 80.0% needed (disc, class score 0.421)',
    );
    expect(verdictText(v({ kind: 'empty-mask', pixelThreshold: 0.4 }), CLASSES)).toMatch(/^dropped: empty mask, no pixel's probability is above the pixel threshold 0\.400/);
    expect(verdictText(v({ kind: 'area', area: 12, limit: 64 }, 1), CLASSES)).toBe('dropped by the area limit: 12 px under the stuff limit of 64 px (sky)');
    expect(verdictText(v({ kind: 'kept', segmentId: 4 }, 1, 0.9), CLASSES)).toBe('kept as segment 4 (sky, class score 0.900)');
  });

  it('tells which run lost a segment and why', () => {
    const segment: Segment = { id: 2, classId: 0, categoryId: 1, name: 'disc', isThing: true, score: 0.9, area: 120, cluster: 5 };
    const text = vanishedText({ run: 1, segment, other: { cluster: 5, share: 0.75, verdict: v({ kind: 'class-score', threshold: 0.5, rule: '>' }) } }, ['argmax', 'softmax'], [CLASSES, CLASSES]);
    expect(text).toBe('disc (segment 2 of softmax, 120 px) is not in argmax: its pixels are mostly (75.0%) on cluster 5 there, dropped: class score 0.421 (disc) fails score > 0.500, the thing threshold.');
  });
});
