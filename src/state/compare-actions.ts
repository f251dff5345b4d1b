import type { ClassInfo, KMaXConfig } from '../model/config';
import { planResize } from '../segmenter/preprocess/resize-plan';
import type { AttentionMode, SegmentResult } from '../segmenter/types';
import { compareRuns, firstDifferingLayer, vanishedSegments, type ResizedSize } from '../viz';
import { attentionLabel, attentionPlan, comparisonPlans, samePlan } from './attention-plan';
import { loadedSegmenter, runOptions, segmentProgress, sourceOf } from './actions';
import { layerCount, numLayers } from './view-actions';
import { messageOf } from './status-words';
import { fetchModelReports, type ModelReports } from './model-reports';
import type { ModelEntry, ServedModel } from './model-slice';
import type { AttentionPlan, Comparison, ComparedModel, LoadedImage, ModelCurve } from './result-slice';
import { useAppStore, type AppState } from './store';

// Compare mode: two runs on the picture on show, every layer recorded for both;
// either two attention plans on the loaded model, or two models.
const set = (partial: Partial<AppState>) => useAppStore.setState(partial);
const get = () => useAppStore.getState();

/** A comparison run: all stages and soft maps, and the worker's kept outputs left to the main result. */
const compareOptions = (plan: AttentionPlan) => ({ ...runOptions(plan), keepOutputs: false, onProgress: segmentProgress });

/** The current result when it is the one `plan` would give, else a new run on the loaded model. */
async function runPlan(image: LoadedImage, plan: AttentionPlan): Promise<SegmentResult> {
  const { result, resultFor, resultPlan } = get();
  if (result !== null && resultFor === image && samePlan(resultPlan, plan)) return result;
  const segmenter = loadedSegmenter();
  if (segmenter === undefined) throw new Error('no model is loaded');
  return segmenter.segment(image.pixels, compareOptions(plan));
}

/** Argmax everywhere against the chosen plan, on the loaded model. */
export async function compareAttention(): Promise<void> {
  const { image, attention, fromLayer, config, classes } = get();
  if (image === null || loadedSegmenter() === undefined || config === null) return;
  const plans = comparisonPlans(attention, fromLayer, numLayers());
  set({ engineStatus: 'running', engineError: null, comparison: null });
  try {
    const results: SegmentResult[] = [];
    for (const plan of plans) results.push(await runPlan(image, plan));
    if (get().image !== image) return;
    open(comparison(image, plans, [results[0], results[1]], [config, config], [classes, classes], false));
  } catch (error) {
    set({ engineStatus: 'error', progress: null, engineError: `comparison failed: ${messageOf(error)}` });
  }
}

/**
 * The loaded model against the served model `otherId` on the same picture, each with the
 * attention it was trained with (argmax where its folder records none). The other model is
 * loaded in the worker for this run only. Held-out PQ and training curves come from the files
 * the model folders ship.
 */
export async function compareModels(otherId: string): Promise<void> {
  const { image, models, modelId, config, classes, trainedAttention } = get();
  const current = models.find((m) => m.id === modelId);
  const other = models.find((m) => m.id === otherId);
  const segmenter = loadedSegmenter();
  if (image === null || segmenter === undefined || config === null || current === undefined || other === undefined || other.id === current.id) return;
  const count = numLayers();
  const planFor = (entry: ModelEntry, trained: AttentionMode | null): AttentionPlan => {
    const mode = trained ?? 'kmeans';
    return { schedule: attentionPlan(mode, 0, count).schedule, label: `${entry.name} (${attentionLabel(mode)})` };
  };
  const otherTrained = other.kind === 'served' ? (other.trainedAttention ?? null) : null;
  const plans = [planFor(current, trainedAttention), planFor(other, otherTrained)] as const;
  set({ engineStatus: 'running', engineError: null, comparison: null });
  try {
    const reports = shippedReports(models.filter((m): m is ServedModel => m.kind === 'served'));
    const first = await runPlan(image, { schedule: plans[0].schedule, label: plans[0].label });
    const second = await segmenter.segmentWith(sourceOf(other), image.pixels, { ...compareOptions(plans[1]), attention: plans[1].schedule });
    const shipped = await reports;
    if (get().image !== image || get().modelId !== current.id) return;
    const compared = (entry: ModelEntry, trained: AttentionMode | null): ComparedModel => ({ id: entry.id, name: entry.name, trainedAttention: trained, heldOut: shipped.get(entry.id)?.heldOut ?? null });
    const modelsCompared = [compared(current, trainedAttention), compared(other, second.model.trainedAttention ?? otherTrained)] as const;
    const base = comparison(image, plans, [first, second.result], [config, second.model.config], [classes, second.model.classes], true);
    const curves = [...shipped].flatMap(([id, r]): ModelCurve[] => (r.curve === null ? [] : [{ ...r.curve, id, name: r.name }]));
    const problems = [...shipped.values()].flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`));
    open({ ...base, models: modelsCompared, curves, reportProblems: problems });
  } catch (error) {
    set({ engineStatus: 'error', progress: null, engineError: `comparison failed: ${messageOf(error)}` });
  }
}

function comparison(
  image: LoadedImage,
  plans: readonly [AttentionPlan, AttentionPlan],
  results: readonly [SegmentResult, SegmentResult],
  configs: readonly [KMaXConfig, KMaXConfig],
  classes: readonly [readonly ClassInfo[], readonly ClassInfo[]],
  twoModels: boolean,
): Comparison {
  const finalOf = (r: SegmentResult) => r.layers?.find((l) => l.final);
  const resized = configs.map((c) => resizedOf(image, c)) as unknown as readonly [ResizedSize, ResizedSize];
  const [a, b] = results;
  const numbers = compareRuns({ panoptic: a.panoptic, final: finalOf(a) }, { panoptic: b.panoptic, final: finalOf(b) });
  const openedAt = a.layers === undefined || b.layers === undefined ? layerCount(configs[0]) : firstDifferingLayer(a.layers, b.layers, { pairClusters: twoModels });
  const explained = (i: 0 | 1) => ({ panoptic: results[i].panoptic, resized: resized[i], ...withFinal(finalOf(results[i])) });
  return { plans, results, numbers, classes, resized, openedAt, vanished: vanishedSegments(explained(0), explained(1)) };
}

const withFinal = <T>(final: T | undefined): { final?: T } => (final === undefined ? {} : { final });

function resizedOf(image: LoadedImage, config: KMaXConfig): ResizedSize {
  return planResize(image.pixels.height, image.pixels.width, config.inputSize, config.processing);
}

/** Shows the comparison at the first layer where the runs' assignments differ. */
function open(comparison: Comparison): void {
  set({ comparison, layer: comparison.openedAt, selectedCluster: null, engineStatus: 'ready', progress: null });
}

/** held-out.json and training-curve.json of every served model, by id (the plot shows every curve). */
async function shippedReports(models: readonly ServedModel[]): Promise<Map<string, ModelReports & { name: string }>> {
  const reports = await Promise.all(models.map(async (m) => [m.id, { ...(await fetchModelReports(absolute(m.url), m.reports)), name: m.name }] as const));
  return new Map(reports);
}

const absolute = (url: string) => new URL(url, location.href).toString();

export const closeComparison = () => set({ comparison: null });
