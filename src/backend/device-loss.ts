import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { chooseBackend } from './choose-backend';
import type { BackendReport } from './backend-report';

export interface DeviceLoss {
  readonly reason: string;
  readonly message: string;
}

/** Devices we tore down ourselves: their `lost` promise is not a loss. */
const retired = new WeakSet<GPUDevice>();

function currentDevice(): GPUDevice | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  return (tf.backend() as WebGPUBackend).device;
}

/**
 * Calls `onLost` once if the current WebGPU device is lost for a reason other
 * than our own restart (driver reset, GPU process crash, `device.destroy()` by a
 * test). Does nothing on other backends.
 */
export function watchDeviceLoss(onLost: (loss: DeviceLoss) => void): void {
  const device = currentDevice();
  if (device === undefined) return;
  void device.lost.then((info) => {
    if (!retired.has(device)) onLost({ reason: info.reason ?? 'unknown', message: info.message });
  });
}

/** Destroys the current WebGPU device, as a driver reset would (for tests and the debug hook). */
export function loseDevice(): boolean {
  const device = currentDevice();
  device?.destroy();
  return device !== undefined;
}

/**
 * Replaces a lost WebGPU backend with a fresh one on a new device. Every tensor
 * of the old backend is gone: callers must rebuild their models afterwards.
 */
export async function restartWebGpu(): Promise<BackendReport> {
  const factory = tf.findBackendFactory('webgpu');
  const priority = tf.engine().registryFactory['webgpu']?.priority ?? 3;
  const old = currentDevice();
  if (old !== undefined) retired.add(old);
  try {
    tf.removeBackend('webgpu');
  } catch {
    // Disposing buffers of a dead device may throw; the backend is dropped either way.
  }
  old?.destroy();
  tf.registerBackend('webgpu', factory, priority);
  return chooseBackend({ order: ['webgpu', 'webgl', 'wasm', 'cpu'] });
}
