import { readFileSync } from 'node:fs';
import type { TensorSpec, StorageSpec } from './torch-writer';

/** training/official_keys/*.json: every key of an official PT checkpoint, with shape, dtype and role. */
export interface OfficialKey {
  readonly shape: number[];
  readonly dtype: 'float32' | 'int64';
  readonly role: 'inference' | 'inference_aux_output_only' | 'training_only' | 'buffer_unused_in_eval';
}

export function officialKeys(file: 'kmax_r50_keys.json' | 'kmax_convnext_tiny_keys.json'): Map<string, OfficialKey> {
  const url = new URL(`../../../training/official_keys/${file}`, import.meta.url);
  const json = JSON.parse(readFileSync(url, 'utf8')) as { keys: Record<string, OfficialKey> };
  return new Map(Object.entries(json.keys));
}

export function isInferenceKey(key: OfficialKey): boolean {
  return key.role === 'inference' || key.role === 'inference_aux_output_only';
}

/**
 * Tensor specs for a checkpoint with exactly these keys and shapes, all views of two
 * tiny storages: float tensors broadcast `arange(n)` along every axis but the last
 * (so element [..., j] = j), int64 tensors are a single 0.
 */
export function broadcastSpecs(keys: ReadonlyMap<string, OfficialKey>): {
  tensors: Map<string, TensorSpec>;
  storages: Map<string, StorageSpec>;
} {
  let longest = 1;
  for (const { shape } of keys.values()) longest = Math.max(longest, shape[shape.length - 1] ?? 1);
  const storages = new Map<string, StorageSpec>([
    ['0', { type: 'FloatStorage', data: Float32Array.from({ length: longest }, (_, i) => i) }],
    ['1', { type: 'LongStorage', data: new BigInt64Array([0n]) }],
  ]);
  const tensors = new Map<string, TensorSpec>();
  for (const [name, { shape, dtype }] of keys) {
    const stride = shape.map((_, i) => (i === shape.length - 1 ? 1 : 0));
    tensors.set(name, { shape, stride, storage: dtype === 'int64' ? '1' : '0' });
  }
  return { tensors, storages };
}
