import type { ClassInfo } from '../model/config';
import official from './kmax-datasets.json';
import synthetic from './synthetic-panoptic.json';

interface RawClass {
  readonly id: number;
  readonly dataset_id: number;
  readonly name: string;
  readonly isthing: boolean;
  readonly color: readonly number[];
}

interface RawDataset {
  readonly num_classes: number;
  readonly classes: readonly RawClass[];
}

/** The official datasets (COCO, Cityscapes, ADE20K) and our demo model's synthetic one (training/synthetic). */
const RAW = { ...official, ...synthetic } as unknown as Record<string, RawDataset>;

export class UnknownDatasetError extends Error {
  override readonly name = 'UnknownDatasetError';
}

export function datasetNames(): string[] {
  return Object.keys(RAW).filter((k) => !k.startsWith('_'));
}

/** Classes of a panoptic dataset in class-head (contiguous id) order. */
export function datasetClasses(name: string): ClassInfo[] {
  const raw = RAW[name];
  if (raw === undefined || name.startsWith('_')) {
    throw new UnknownDatasetError(`Unknown dataset "${name}". Known: ${datasetNames().join(', ')}`);
  }
  return raw.classes.map(toClassInfo);
}

export function toClassInfo(c: RawClass): ClassInfo {
  return { id: c.id, datasetId: c.dataset_id, name: c.name, isThing: c.isthing, color: [c.color[0], c.color[1], c.color[2]] };
}
