import type { KMaXConfig, PostProcessConfig } from '../model/config';
import { ATTENTION_MODES, type AttentionMode, type SegmentOptions } from './types';

export class SegmentOptionsError extends Error {
  override readonly name = 'SegmentOptionsError';
}

/** Per-call options with every gap filled from the model's defaults. */
export interface ResolvedSegmentOptions {
  readonly inputSize: readonly [number, number];
  readonly attention: readonly AttentionMode[];
  readonly stages: boolean;
  readonly softMaps: boolean;
  readonly thresholds: PostProcessConfig;
  readonly semantic: boolean;
  readonly instances: boolean;
  readonly dump: boolean;
  readonly keepOutputs: boolean;
}


/** Validates `options` against the model; never writes into the caller's object. */
export function resolveSegmentOptions(options: SegmentOptions, config: KMaXConfig, numLayers: number): ResolvedSegmentOptions {
  return {
    inputSize: resolveInputSize(options.inputSize, config.inputSize),
    attention: resolveAttention(options.attention ?? 'kmeans', numLayers),
    stages: options.stages ?? false,
    softMaps: options.softMaps ?? false,
    thresholds: resolveThresholds(config.postprocess, options.thresholds ?? {}),
    semantic: options.semantic ?? false,
    instances: options.instances ?? false,
    dump: options.dump ?? false,
    keepOutputs: options.keepOutputs ?? false,
  };
}

/**
 * Sizes must be 32k+1 (spec 1.3, T20): only then do all resizes align corners
 * and every stride-s feature map have ceil(n/s) pixels. Axial attention spans at
 * most 255 positions at stride 16, so sides stay <= 4065.
 */
function resolveInputSize(size: SegmentOptions['inputSize'], fallback: readonly [number, number]): readonly [number, number] {
  if (size === undefined) return fallback;
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  for (const n of [h, w]) {
    if (!Number.isInteger(n) || n < 33 || (n - 1) % 32 !== 0 || n > 4065) {
      const near = Math.max(33, Math.min(4065, Math.round((n - 1) / 32) * 32 + 1));
      throw new SegmentOptionsError(`input size ${n} is not of the form 32k+1 between 33 and 4065 (try ${near})`);
    }
  }
  return [h, w];
}

function resolveAttention(attention: AttentionMode | readonly AttentionMode[], numLayers: number): readonly AttentionMode[] {
  const modes = typeof attention === 'string' ? new Array<AttentionMode>(numLayers).fill(attention) : attention;
  if (modes.length !== numLayers) {
    throw new SegmentOptionsError(`expected ${numLayers} attention modes (one per kMaX layer), got ${modes.length}`);
  }
  for (const m of modes) {
    if (!ATTENTION_MODES.includes(m)) throw new SegmentOptionsError(`unknown attention mode "${m}"; use one of ${ATTENTION_MODES.join(', ')}`);
  }
  return modes;
}

export function resolveThresholds(defaults: PostProcessConfig, overrides: Partial<PostProcessConfig>): PostProcessConfig {
  const merged = { ...defaults, ...overrides };
  for (const key of ['pixelThreshold', 'classThresholdThing', 'classThresholdStuff', 'overlapThreshold'] as const) {
    const v = merged[key];
    if (!(v >= 0 && v <= 1)) throw new SegmentOptionsError(`${key} must be within [0, 1], got ${v}`);
  }
  return merged;
}
