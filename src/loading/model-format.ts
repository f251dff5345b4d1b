import type { io } from '@tensorflow/tfjs-core';
import type { ClassInfo, KMaXConfig } from '../model/config';
import type { AttentionMode } from '../segmenter/types';

/**
 * A model folder: `model.json` (this object) plus binary weight shards.
 * Tensor names are PyTorch state-dict names; data is in tfjs layouts
 * (conv HWIO, depthwise [k,k,C,1], Conv1d/Linear [in,out], cluster centres [K,C]).
 * float16 storage is a tfjs `quantization: {dtype: 'float16'}` entry, dequantised on load.
 */
export const MODEL_FORMAT = 'kmax-lens-model/1';

/** A file a model's weights came from. */
export interface SourceFile {
  readonly name?: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface Provenance {
  /** 'pytorch' | 'pytorch-pkl' | 'tf-bundle' | 'random-init' | 'training' */
  readonly source: string;
  readonly fileName?: string;
  readonly bytes?: number;
  readonly sha256?: string;
  /** Every source file (a TF checkpoint has an index and data shards). */
  readonly files?: readonly SourceFile[];
  readonly createdAt?: string;
  readonly tool: string;
  readonly notes?: string;
  /** The cross-attention the weights were trained with, where known (`kmax convert --trained-attention`). */
  readonly trainedAttention?: AttentionMode;
}

export interface ModelJson {
  readonly format: typeof MODEL_FORMAT;
  readonly config: KMaXConfig;
  readonly classes: readonly ClassInfo[];
  readonly provenance: Provenance;
  readonly weightsManifest: io.WeightsManifestConfig;
  /**
   * SHA-256 (hex) of every shard, by path: checked on load, so a shard damaged on disk,
   * in transit or in the browser's storage is named instead of loaded as wrong weights.
   * Folders written before it existed have none and load unchecked.
   */
  readonly shardSha256?: Readonly<Record<string, string>>;
}
