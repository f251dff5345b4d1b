import type { ClassInfo } from '../model/config';
import type { AttentionMode, ClusterVerdict } from '../segmenter/types';
import type { VanishedSegment } from '../viz';

/** How the model picker and Compare name the attention a model was trained with. */
export const TRAINED_WITH: Readonly<Record<AttentionMode, string>> = {
  kmeans: 'argmax (k-means)',
  softmax: 'spatial softmax',
  masked: 'masked softmax',
  'cluster-softmax': 'cluster softmax (soft k-means)',
};

/** "demo-softmax — trained with spatial softmax", or the bare name when the model records nothing. */
export function modelOptionText(name: string, trained: AttentionMode | undefined | null): string {
  return trained === undefined || trained === null ? name : `${name} — trained with ${TRAINED_WITH[trained]}`;
}

const n3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Post-processing's verdict on one cluster in words: the rule and the numbers it compared. */
export function verdictText(verdict: ClusterVerdict, classes: readonly ClassInfo[]): string {
  const name = classes[verdict.classId]?.name ?? `class ${verdict.classId}`;
  const kind = verdict.isThing ? 'thing' : 'stuff';
  const { outcome } = verdict;
  switch (outcome.kind) {
    case 'kept':
      return `kept as segment ${outcome.segmentId} (${name}, class score ${n3(verdict.score)})`;
    case 'class-score':
      return `dropped: class score ${n3(verdict.score)} (${name}) fails score ${outcome.rule} ${n3(outcome.threshold)}, the ${kind} threshold`;
    case 'empty-mask':
      return `dropped: empty mask, no pixel's probability is above the pixel threshold ${n3(outcome.pixelThreshold)} (${name}, class score ${n3(verdict.score)})`;
    case 'overlap':
      return `dropped by the overlap rule: only ${outcome.free} of its ${outcome.pixels} mask pixels (${pct(outcome.free / outcome.pixels)}) were still free, more than ${pct(outcome.overlapThreshold)} needed (${name}, class score ${n3(verdict.score)})`;
    case 'area':
      return `dropped by the area limit: ${outcome.area} px under the ${kind} limit of ${outcome.limit} px (${name})`;
    case 'off-image':
      return `dropped: no pixel of the picture shows it (${name})`;
  }
}

/** One vanished segment in a sentence: which run lost it, and why, from the other run's verdict on the cluster under it. */
export function vanishedText(v: VanishedSegment, labels: readonly [string, string], classes: readonly [readonly ClassInfo[], readonly ClassInfo[]]): string {
  const other = v.run === 0 ? 1 : 0;
  const head = `${v.segment.name} (segment ${v.segment.id} of ${labels[v.run]}, ${v.segment.area} px) is not in ${labels[other]}`;
  if (v.other === null) return `${head}; that run recorded no final layer to say why.`;
  const where = `its pixels are mostly (${pct(v.other.share)}) on cluster ${v.other.cluster} there`;
  if (v.other.verdict === undefined) return `${head}: ${where}.`;
  return `${head}: ${where}, ${verdictText(v.other.verdict, classes[other])}.`;
}
