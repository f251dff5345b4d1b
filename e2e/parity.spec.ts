/**
 * WebGPU parity with the PyTorch goldens (issue 2): in headless Chromium on WebGPU
 * (SwiftShader here), the app converts each fixture's official-layout checkpoint in
 * its worker, and the `?debug` hook runs the bare network on the golden input.
 * Every stage's logits and the final ones must be within 1e-4 of max |golden|,
 * the k-means assignments identical (the goldens keep margins >= 0.05), and so
 * the masked-attention foregrounds (foreground margins >= 0.005).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from './app-fixture';
import { fixtureCheckpoint, goldenTensor } from './checkpoint-helpers';
import { argmaxRows, foregroundRows, relativeError } from '../src/test-utils/compare';

const RELATIVE_TOLERANCE = 1e-4;

type CheckpointFile = { name: string; mimeType: string; buffer: Buffer };
const file = (name: string, buffer: Buffer): CheckpointFile => ({ name, mimeType: 'application/octet-stream', buffer });
const TF_BUNDLES = path.join(import.meta.dirname, '..', 'src', 'checkpoints', 'tf-bundle', 'testdata');

/**
 * Each fixture in its official layout. The TF-variant ResNet has the PyTorch one's
 * names and shapes, so only a TF checkpoint says which it is: that fixture is given
 * as the deeplab2 bundle of the same weights (training/tf_bundle_writer.py), as is
 * MaX-S.
 */
const tfBundle = (name: string) => () => ['ckpt-1.index', 'ckpt-1.data-00000-of-00001'].map((f) => file(f, readFileSync(path.join(TF_BUNDLES, name, f))));
const FIXTURES: readonly { name: string; files: () => CheckpointFile[] }[] = [
  ...['r50-coco-4stage', 'r50-cityscapes-5stage', 'convnext-cityscapes-5stage'].map((name) => ({ name, files: () => [file(`${name}.pth`, fixtureCheckpoint(name))] })),
  { name: 'r50tf-coco-4stage', files: tfBundle('r50tf-coco-4stage') },
  // MaX-S (deeplab2's Axial-ResNet) exists officially only as a TF checkpoint.
  { name: 'maxs-coco-4stage', files: tfBundle('maxs-coco-4stage') },
];
const MODES = [
  { mode: 'kmeans', dir: '' },
  { mode: 'softmax', dir: 'softmax/' },
] as const;
/** Masked attention on one fixture only (4-stage decoder, the cheapest here): each mode costs minutes on SwiftShader. */
const MASKED = { fixture: 'r50tf-coco-4stage', mode: 'masked', dir: 'masked/' } as const;

interface Outputs {
  backend: string;
  cpuForward: boolean;
  /** Float32 bytes in base64: a JSON array of numbers costs seconds to pass out of the page. */
  tensors: Record<string, { shape: number[]; base64: string }>;
}

const floats = (base64: string): Float32Array => {
  const bytes = Uint8Array.from(Buffer.from(base64, 'base64')); // a copy: Node's pooled buffers need not be 4-byte aligned
  return new Float32Array(bytes.buffer);
};

for (const { name: fixture, files } of FIXTURES) {
  test(`${fixture}: the network on WebGPU matches the PyTorch goldens`, async ({ app }) => {
    // Two or three attention modes, each compiling its shaders on SwiftShader (CPU): minutes on a busy machine.
    test.setTimeout(fixture === MASKED.fixture ? 1_200_000 : 900_000);
    const { page } = app;
    const opened = Date.now();
    // The app segments its current picture with a newly converted model, at the model's input size
    // (1281x1281 for COCO: many minutes on SwiftShader, and the network runs below would queue behind it);
    // the runs compared here take the golden input at its own size whatever the setting.
    await page.getByRole('combobox', { name: 'Input size' }).selectOption('129');
    await page.getByLabel('Checkpoint', { exact: true }).setInputFiles(files());
    const picker = page.getByRole('combobox', { name: 'Model' });
    await expect(picker).toHaveValue(/^converted-/);
    const id = await picker.inputValue();
    // The worker takes a network run only after the app's warm-up and run of the converted model.
    await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready', { timeout: 600_000 });
    console.log(`${fixture}: converted, loaded and warmed up in ${Date.now() - opened} ms`);
    const input = goldenTensor(fixture, 'input');

    for (const { mode, dir } of fixture === MASKED.fixture ? [...MODES, MASKED] : MODES) {
      const started = Date.now();
      const out: Outputs = await page.evaluate(
        async ({ id, shape, data, mode }) => {
          const hook = window.kmaxLens;
          if (hook === undefined) throw new Error('no debug hook: open the page with ?debug');
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          const run = await hook.runNetwork(id, { shape: shape as [number, number, number], data: new Float32Array(bytes.buffer) }, mode);
          const base64 = (t: Float32Array): string => {
            const b = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
            let s = '';
            for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
            return btoa(s);
          };
          const tensors = Object.fromEntries(Object.entries(run.tensors).map(([name, t]) => [name, { shape: t.shape, base64: base64(t.data) }]));
          return { backend: run.backend, cpuForward: run.cpuForward, tensors };
        },
        { id, shape: input.shape, data: Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength).toString('base64'), mode },
      );
      expect(out.backend).toBe('webgpu');
      expect(out.cpuForward).toBe(false);

      const errors: Record<string, number> = {};
      const layers = Object.keys(out.tensors).filter((name) => name.endsWith('/class_logits')).length;
      expect(layers).toBeGreaterThanOrEqual(6);
      for (const name of [...Array.from({ length: layers }, (_, l) => [`stage${l}/class_logits`, `stage${l}/mask_logits`]).flat(), 'pred_logits', 'pred_masks']) {
        const want = goldenTensor(fixture, `${dir}${name}`);
        const got = out.tensors[name];
        expect(got?.shape, name).toEqual(want.shape);
        errors[name] = relativeError(floats(got.base64), want.data);
      }
      let flips = 0;
      for (let l = 0; l < layers && mode !== 'softmax'; l++) {
        const got = out.tensors[`stage${l}/mask_logits`];
        const data = floats(got.base64);
        if (mode === 'kmeans') {
          const want = goldenTensor(fixture, `stage${l}/assignment`).data;
          flips += argmaxRows(data, got.shape[2]).filter((a, p) => a !== want[p]).length;
        } else {
          const want = foregroundRows(goldenTensor(fixture, `${dir}stage${l}/mask_logits`).data, got.shape[2]);
          flips += foregroundRows(data, got.shape[2]).filter((f, i) => f !== want[i]).length;
        }
      }
      const worst = Object.entries(errors).sort((a, b) => b[1] - a[1])[0];
      console.log(`${fixture} webgpu ${mode}: ${Date.now() - started} ms, worst ${worst[0]} ${worst[1].toExponential(2)}, assignment or foreground flips ${flips}`);
      for (const [name, error] of Object.entries(errors)) expect(error, `${mode} ${name}`).toBeLessThan(RELATIVE_TOLERANCE);
      expect(flips, `${mode}: pixels whose cluster (k-means) or foreground (masked) differs from PyTorch`).toBe(0);
    }
  });
}
