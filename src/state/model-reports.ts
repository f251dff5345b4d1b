import { ATTENTION_MODES, type AttentionMode } from '../segmenter/types';

/** A model folder's `held-out.json`: `kmax eval --json` over the held-out scenes (the fields Compare shows). */
export interface HeldOutReport {
  readonly images: number;
  readonly attention: AttentionMode | null;
  readonly pq: number;
  readonly thingsPq: number;
  readonly stuffPq: number;
}

/** A model folder's `training-curve.json`, as training/train/loop.py writes it: PQ on a held-out set during training. */
export interface TrainingCurve {
  readonly attention: AttentionMode | null;
  readonly seed: number | null;
  readonly images: number | null;
  readonly points: readonly { readonly step: number; readonly pq: number }[];
}

/** What a model folder ships beside model.json; null where a file is absent or unreadable (`problems` says which). */
export interface ModelReports {
  readonly heldOut: HeldOutReport | null;
  readonly curve: TrainingCurve | null;
  readonly problems: readonly string[];
}

export class ModelReportError extends Error {
  override name = 'ModelReportError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function finite(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelReportError(`${where} is not a number`);
  return v;
}

function attentionOf(v: unknown): AttentionMode | null {
  return ATTENTION_MODES.find((m) => m === v) ?? null;
}

function pqOf(json: Record<string, unknown>, key: string): number {
  const part = json[key];
  if (!isObject(part)) throw new ModelReportError(`"${key}" is missing`);
  return finite(part.pq, `${key}.pq`);
}

export function parseHeldOut(json: unknown): HeldOutReport {
  if (!isObject(json)) throw new ModelReportError('not a JSON object');
  return { images: finite(json.images, 'images'), attention: attentionOf(json.attention), pq: pqOf(json, 'all'), thingsPq: pqOf(json, 'things'), stuffPq: pqOf(json, 'stuff') };
}

export function parseTrainingCurve(json: unknown): TrainingCurve {
  if (!isObject(json)) throw new ModelReportError('not a JSON object');
  if (!Array.isArray(json.points)) throw new ModelReportError('"points" is not a list');
  const points = json.points.map((p: unknown, i) => {
    if (!isObject(p)) throw new ModelReportError(`points[${i}] is not an object`);
    return { step: finite(p.step, `points[${i}].step`), pq: finite(p.pq, `points[${i}].pq`) };
  });
  const optional = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { attention: attentionOf(json.attention), seed: optional(json.seed), images: optional(json.images), points };
}

/**
 * The optional reports beside `modelJsonUrl` (absolute) that the folder ships (`shipped`, from
 * models/manifest.json: nothing else is asked for, so no 404 lands in the console); a listed
 * file that cannot be read or parsed is null with the reason in `problems`.
 */
export async function fetchModelReports(modelJsonUrl: string, shipped: readonly string[], fetchFn: typeof fetch = fetch): Promise<ModelReports> {
  const read = async <T>(file: string, parse: (json: unknown) => T): Promise<{ value: T | null; problem?: string }> => {
    if (!shipped.includes(file)) return { value: null };
    try {
      const response = await fetchFn(new URL(file, modelJsonUrl).toString());
      if (!response.ok) throw new ModelReportError(`HTTP ${response.status}`);
      return { value: parse(await response.json()) };
    } catch (error) {
      return { value: null, problem: `${file}: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
  const [heldOut, curve] = await Promise.all([read('held-out.json', parseHeldOut), read('training-curve.json', parseTrainingCurve)]);
  return { heldOut: heldOut.value, curve: curve.value, problems: [heldOut.problem, curve.problem].filter((p) => p !== undefined) };
}
