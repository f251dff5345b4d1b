import * as tf from '@tensorflow/tfjs-core';
import { fetchModel, type ModelSource } from '../loading/load-model';
import { decodeModelWeights } from '../loading/model-folder';
import { KMaXDeepLab } from '../model/meta-arch/kmax-deeplab';
import type { AttentionMode } from '../segmenter/types';

/** A normalised, padded network input `[H, W, 3]` (a golden `input.npy`). */
export interface NetworkInput {
  readonly shape: readonly [number, number, number];
  readonly data: Float32Array;
}

export interface NetworkOutputs {
  /** `tf.getBackend()` where the network ran. */
  readonly backend: string;
  /** The WEBGPU_CPU_FORWARD flag during a WebGPU run (off: no op falls back to the CPU); false elsewhere. */
  readonly cpuForward: boolean;
  /** By golden name: `pred_logits`, `pred_masks`, `stage<l>/class_logits`, `stage<l>/mask_logits`. */
  readonly tensors: Readonly<Record<string, { readonly shape: number[]; readonly data: Float32Array }>>;
}

/**
 * The bare network on a given input, without pre- or post-processing: the
 * debug hook the WebGPU parity test compares with the PyTorch goldens. Builds
 * its own model from `source` and frees it, and every tensor, before returning.
 */
export async function runNetwork(source: ModelSource, input: NetworkInput, attention: AttentionMode): Promise<NetworkOutputs> {
  const { modelJson, shards } = await fetchModel(source);
  const weights = decodeModelWeights(modelJson, shards);
  let model: KMaXDeepLab;
  try {
    model = new KMaXDeepLab(modelJson.config, weights);
  } catch (error) {
    tf.dispose([...weights.values()]);
    throw error;
  }
  const x = tf.tensor4d(input.data, [1, ...input.shape]);
  try {
    const out = model.forward(x, { attention });
    const named: [string, tf.Tensor][] = [
      ...out.layers.flatMap((layer, l): [string, tf.Tensor][] => [
        [`stage${l}/class_logits`, layer.classLogits],
        [`stage${l}/mask_logits`, layer.maskLogits],
      ]),
      ['pred_logits', out.predLogits],
      ['pred_masks', out.predMasks],
    ];
    try {
      const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, t] of named) tensors[name] = { shape: t.shape, data: (await t.data()) as Float32Array };
      const backend = tf.getBackend();
      return { backend, cpuForward: backend === 'webgpu' && tf.env().getBool('WEBGPU_CPU_FORWARD'), tensors };
    } finally {
      tf.dispose(named.map(([, t]) => t));
    }
  } finally {
    x.dispose();
    model.dispose();
  }
}
