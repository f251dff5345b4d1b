import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassInfo, PostProcessConfig } from '../model/config';

/** What every post-processing golden case holds (training/golden_processing writes them). */
export interface GoldenCaseBase {
  readonly name: string;
  readonly numClusters: number;
  /** Mask-logit map size. */
  readonly low: [number, number];
  readonly padded: [number, number];
  readonly thresholds: { pixel: number; thing: number; stuff: number; overlap: number; alpha: number; beta: number };
  readonly segments: { id: number; classId: number; cluster: number; isThing: boolean; score: number; area: number }[];
}

export interface GoldenSet<C extends GoldenCaseBase> {
  readonly cases: C[];
  /** Dataset ids offset by 100, so that categoryId != classId is checked. */
  readonly classes: ClassInfo[];
  readonly float32: (file: string) => Float32Array;
  readonly int32: (file: string) => Int32Array;
}

/** The manifest and binary tensors of one golden folder (under training/golden_processing/). */
export function goldenSet<C extends GoldenCaseBase>(folder: string): GoldenSet<C> {
  const dir = join(__dirname, '../../training/golden_processing', folder);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { things: number[]; numClasses: number; cases: C[] };
  const bytes = (file: string) => new Uint8Array(readFileSync(join(dir, file))).buffer;
  return {
    cases: manifest.cases,
    classes: Array.from({ length: manifest.numClasses }, (_, id) => ({ id, datasetId: id + 100, name: `class${id}`, isThing: manifest.things.includes(id), color: [id, id, id] })),
    float32: (file) => new Float32Array(bytes(file)),
    int32: (file) => new Int32Array(bytes(file)),
  };
}

/** A case's thresholds as the engine's config. */
export function goldenThresholds(c: GoldenCaseBase, areaLimits: readonly [number, number] = [0, 0]): PostProcessConfig {
  const t = c.thresholds;
  return {
    pixelThreshold: t.pixel,
    classThresholdThing: t.thing,
    classThresholdStuff: t.stuff,
    overlapThreshold: t.overlap,
    reorderClassWeight: t.alpha,
    reorderMaskWeight: t.beta,
    thingAreaLimit: areaLimits[0],
    stuffAreaLimit: areaLimits[1],
  };
}
