import '@tensorflow/tfjs-backend-wasm';
// The app's own wasm kernels, as the app runs them.
import '../backend/wasm-gelu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KMaXConfig } from '../model/config';
import { declareWeights, KMaXDeepLab } from '../model/meta-arch/kmax-deeplab';
import { getPreset } from '../model/presets';
import { randomWeights } from '../model/random-weights';
import { CATALOGUE } from './catalogue';

/**
 * Issue 10: every catalogue entry is runnable or marked with its reason. Each
 * distinct preset the catalogue names is built with random weights (drawn as for
 * `kmax init`) and run once end to end, so an entry whose architecture the engine
 * cannot build or run fails here, before anyone downloads its checkpoint.
 */

/** A small input of the 32k+1 kind the presets are trained at: 3x3 at stride 32. */
const INPUT = 65;

/**
 * The mask logits come at the stride of the decoder's last input: stride 4, but 2 where
 * deeplab2's Cityscapes decoders end on the strided-conv stem of ResNet or MaX-S (spec D12);
 * ConvNeXt's patchify stem is stride 4 already.
 */
function maskSize(config: KMaXConfig): number {
  const inputs = config.pixelDecoder.inputs;
  const stride = inputs[inputs.length - 1] === 'stem' && config.backbone.type !== 'convnext' ? 2 : 4;
  return Math.ceil(INPUT / stride);
}

const PRESETS_IN_USE = [...new Set(CATALOGUE.flatMap((e) => (e.preset === null ? [] : [e.preset])))].map((preset) => ({
  preset,
  entries: CATALOGUE.filter((e) => e.preset === preset)
    .map((e) => e.name)
    .join(', '),
}));

const seconds: Record<string, string> = {};

describe('every catalogue entry is runnable or says why not', () => {
  beforeAll(async () => {
    // wasm (XNNPACK): the cpu backend took minutes a preset for the ConvNeXt-L presets.
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(() => {
    // Printed, not asserted: drawing the weights and the first pass set this file's run time.
    console.log('seconds per preset (draw weights, build, one forward pass):', seconds);
  });

  it('an entry without a preset gives its reason', () => {
    for (const e of CATALOGUE) if (e.preset === null) expect(e.unsupported, e.name).toMatch(/\S/);
    expect(PRESETS_IN_USE.length).toBeGreaterThan(0);
  });

  // A ConvNeXt-L preset (about 200M parameters) took 31-37 s on wasm, mostly drawing its weights, and
  // 72-93 s on the cpu backend: a busy machine can double that, past the default 120 s timeout.
  it.each(PRESETS_IN_USE)(
    '$preset builds with random weights and runs one forward pass ($entries)',
    async ({ preset }) => {
      const started = performance.now();
      const config = getPreset(preset);
      const K = config.transformerDecoder.numClusters;
      const before = tf.memory().numTensors;

      const model = new KMaXDeepLab(config, randomWeights((w) => declareWeights(config, w), 1));
      const input: tf.Tensor4D = tf.randomUniform([1, INPUT, INPUT, 3], -1, 1, 'float32', 2);
      const out = model.forward(input);
      try {
        expect(out.predLogits.shape).toEqual([K, config.numClasses + 1]);
        expect(out.predMasks.shape).toEqual([maskSize(config), maskSize(config), K]);
        // One non-finite logit would turn every segment it touches into noise.
        expect((await out.predLogits.data()).every(Number.isFinite), 'class logits finite').toBe(true);
        expect((await out.predMasks.data()).every(Number.isFinite), 'mask logits finite').toBe(true);
      } finally {
        tf.dispose([input, out.predLogits, out.predMasks, ...out.layers.flatMap((l) => [l.classLogits, l.maskLogits])]);
        model.dispose();
      }
      // The model owns its weights and whatever it derived from them (folded BatchNorms, split qkv): all freed.
      expect(tf.memory().numTensors).toBe(before);
      seconds[preset] = ((performance.now() - started) / 1000).toFixed(1);
    },
    600_000,
  );
});
