/// <reference lib="webworker" />
/**
 * The app's segmenter worker, unchanged, plus one question the soak test asks between runs:
 * the worker's tfjs memory and backend. The answer goes over a port of its own, so the app's
 * protocol and its client never see it.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../src/worker/segmenter.worker';

export interface WorkerMemory {
  readonly backend: string;
  readonly tensors: number;
  readonly bytes: number;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
const app = scope.onmessage;
scope.onmessage = (event: MessageEvent) => {
  const data = event.data as { type?: string };
  if (data.type === 'soak:memory') {
    const { numTensors, numBytes } = tf.memory();
    const reply: WorkerMemory = { backend: tf.getBackend(), tensors: numTensors, bytes: numBytes };
    event.ports[0].postMessage(reply);
    return;
  }
  app?.call(scope, event);
};
