import { registerKernel, util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GELU_KERNEL } from '../model/layers/activations';
import { GELU_WASM } from './wasm-gelu.bytes';

interface GeluExports {
  gelu(src: number, dst: number, count: number): void;
}

/** Emscripten keeps the memory on the module: `wasmMemory` in tfjs's threaded build, `asm.memory` in the others. */
interface EmscriptenMemory {
  readonly wasmMemory?: WebAssembly.Memory;
  readonly asm?: { readonly memory?: WebAssembly.Memory };
}

const instances = new WeakMap<WebAssembly.Memory, GeluExports>();

const decode = (base64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** Our module instantiated on tfjs's own memory (one per backend), so tensors are read and written in place. */
function geluOn(backend: BackendWasm): GeluExports {
  const module = backend.wasm as unknown as EmscriptenMemory;
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('KmaxGelu (wasm): this build of tfjs-backend-wasm does not expose its memory');
  let exports = instances.get(memory);
  if (exports === undefined) {
    const bytes = decode(memory.buffer instanceof ArrayBuffer ? GELU_WASM.plain : GELU_WASM.shared);
    // Synchronous: the module is 2.3 KB, under Chrome's 4 KB limit for compiling on the main thread.
    exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as GeluExports;
    instances.set(memory, exports);
  }
  return exports;
}

/**
 * GELU in one SIMD pass on the wasm backend, where tfjs's composite takes five and its
 * scalar erf alone 11-15 ns an element; the kernel's text is wasm-gelu.wat.ts. Registered only
 * where wasm SIMD is (else tfjs runs its plain build and the model its composite).
 */
if (WebAssembly.validate(decode(GELU_WASM.plain))) registerKernel({
  kernelName: GELU_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const x = inputs.x as TensorInfo;
    const out = wasm.makeOutput([...x.shape], 'float32');
    const count = util.sizeFromShape(x.shape);
    if (count === 0) return out;
    const kernel = geluOn(wasm);
    kernel.gelu(wasm.dataIdMap.get(x.dataId)!.memoryOffset, wasm.dataIdMap.get(out.dataId)!.memoryOffset, count);
    return out;
  },
});
