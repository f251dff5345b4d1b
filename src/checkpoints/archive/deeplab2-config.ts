import { datasetClasses, datasetNames } from '../../datasets';
import type { KMaXConfig, PostProcessConfig } from '../../model/config';
import { CheckpointFormatError } from '../errors';
import { parseTextProto, textField } from './textproto';

/**
 * What a deeplab2 training config (`ExperimentOptions` in text format, the `*.textproto`
 * shipped in each kMaX archive) says about inference. Fields, from deeplab2's
 * config.proto, dataset.proto and evaluator.proto and its configs/<dataset>/kmax_deeplab/:
 *  - eval_dataset_options.dataset (else train_dataset_options.dataset): the dataset name,
 *    the same names as ours (coco_panoptic, cityscapes_panoptic, ade20k_panoptic), which
 *    fixes the number of classes;
 *  - eval_dataset_options.crop_size, repeated: height then width of the network input;
 *  - evaluator_options: pixel_confidence_threshold, thing_area_limit, stuff_area_limit,
 *    and in maskwise_postprocessing transformer_class_confidence_threshold_thing/_stuff,
 *    overlapping_threshold, reorder_class_weight, reorder_mask_weight.
 * Every other field (training, augmentation, losses) is read and ignored.
 */
export interface Deeplab2Config {
  /** The file the config came from, for messages. */
  readonly source: string;
  readonly experimentName?: string;
  /** model_options.backbone.name, e.g. "kmax_resnet50". */
  readonly backbone?: string;
  /** A dataset name; only known ones (whose class list we have) are kept. */
  readonly dataset?: string;
  readonly numClasses?: number;
  readonly cropSize?: readonly [number, number];
  readonly postprocess: Partial<PostProcessConfig>;
}

/** A config field the textproto set to another value than detection gave. */
export interface ConfigChange {
  readonly field: string;
  readonly detected: string;
  readonly textproto: string;
}

const EVALUATOR = 'evaluator_options';
const MASKWISE = `${EVALUATOR}.maskwise_postprocessing`;
const POSTPROCESS_FIELDS: readonly [keyof PostProcessConfig, string, 'fraction' | 'weight' | 'area'][] = [
  ['pixelThreshold', `${EVALUATOR}.pixel_confidence_threshold`, 'fraction'],
  ['classThresholdThing', `${MASKWISE}.transformer_class_confidence_threshold_thing`, 'fraction'],
  ['classThresholdStuff', `${MASKWISE}.transformer_class_confidence_threshold_stuff`, 'fraction'],
  ['overlapThreshold', `${MASKWISE}.overlapping_threshold`, 'fraction'],
  ['reorderClassWeight', `${MASKWISE}.reorder_class_weight`, 'weight'],
  ['reorderMaskWeight', `${MASKWISE}.reorder_mask_weight`, 'weight'],
  ['thingAreaLimit', `${EVALUATOR}.thing_area_limit`, 'area'],
  ['stuffAreaLimit', `${EVALUATOR}.stuff_area_limit`, 'area'],
];

export function readDeeplab2Config(text: string, source: string): Deeplab2Config {
  const message = parseTextProto(text, source);
  const bad = (field: string, detail: string) =>
    new CheckpointFormatError(`${source}: ${field} ${detail}; fix or remove the field, or convert without the config.`);

  const single = (field: string): string | number | boolean | undefined => {
    const values = textField(message, field);
    const value = values.at(-1); // text format: a repeated singular field keeps the last value
    if (typeof value === 'object') throw bad(field, 'is a message, expected a value');
    return value;
  };
  const string = (field: string): string | undefined => {
    const value = single(field);
    if (value !== undefined && typeof value !== 'string') throw bad(field, `is ${String(value)}, expected a string`);
    return value;
  };

  const postprocess: Partial<Record<keyof PostProcessConfig, number>> = {};
  for (const [key, field, kind] of POSTPROCESS_FIELDS) {
    const value = single(field);
    if (value === undefined) continue;
    const ok =
      typeof value === 'number' &&
      (kind === 'fraction' ? value >= 0 && value <= 1 : kind === 'weight' ? Number.isFinite(value) : Number.isInteger(value) && value >= 0);
    if (!ok) throw bad(field, `is ${String(value)}, expected ${kind === 'fraction' ? 'a number from 0 to 1' : kind === 'weight' ? 'a number' : 'a pixel count'}`);
    postprocess[key] = value as number;
  }

  const crop = textField(message, 'eval_dataset_options.crop_size');
  if (crop.length > 0 && (crop.length !== 2 || !crop.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 33 && (n - 1) % 32 === 0))) {
    throw bad('eval_dataset_options.crop_size', `is [${crop.map(String).join(', ')}], expected a height and a width of the form 32k+1`);
  }

  const dataset = string('eval_dataset_options.dataset') ?? string('train_dataset_options.dataset');
  const known = dataset !== undefined && datasetNames().includes(dataset);
  return {
    source,
    ...optional('experimentName', string('experiment_name')),
    ...optional('backbone', string('model_options.backbone.name')),
    ...(known ? { dataset, numClasses: datasetClasses(dataset).length } : {}),
    ...(crop.length > 0 ? { cropSize: [crop[0] as number, crop[1] as number] as const } : {}),
    postprocess,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * The detected config with what the training config says: dataset, input (crop) size
 * and post-processing thresholds. The weights still fix the architecture: a dataset
 * whose class count differs from the class head's is an error, not an override.
 */
export function applyDeeplab2Config(config: KMaXConfig, training: Deeplab2Config): { config: KMaXConfig; changes: ConfigChange[] } {
  if (training.numClasses !== undefined && training.numClasses !== config.numClasses) {
    throw new CheckpointFormatError(
      `${training.source} trains on ${training.dataset} (${training.numClasses} classes), but the checkpoint's class head ` +
        `has ${config.numClasses} classes: the config and the weights do not belong together.`,
    );
  }
  const changes: ConfigChange[] = [];
  const note = (field: string, detected: unknown, textproto: unknown) => {
    const show = (v: unknown) => (Array.isArray(v) ? v.join('x') : String(v));
    if (show(detected) !== show(textproto)) changes.push({ field, detected: show(detected), textproto: show(textproto) });
  };
  if (training.dataset !== undefined) note('dataset', config.dataset, training.dataset);
  if (training.cropSize !== undefined) note('inputSize', config.inputSize, training.cropSize);
  for (const [key, value] of Object.entries(training.postprocess) as [keyof PostProcessConfig, number][]) {
    note(`postprocess.${key}`, config.postprocess[key], value);
  }
  return {
    config: {
      ...config,
      ...(training.dataset !== undefined ? { dataset: training.dataset } : {}),
      ...(training.cropSize !== undefined ? { inputSize: training.cropSize } : {}),
      postprocess: { ...config.postprocess, ...training.postprocess },
    },
    changes,
  };
}
