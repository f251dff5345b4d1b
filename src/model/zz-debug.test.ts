import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { readNpy, readPytorchCheckpoint, toEngineTensors } from '../checkpoints';
import type { KMaXConfig } from './config';
import { KMaXDeepLab } from './meta-arch/kmax-deeplab';

const F = process.env.FIX ?? 'r50-coco-4stage';
const dir = `training/fixtures/${F}`;
const g = (n: string) => readNpy(new Uint8Array(readFileSync(`${dir}/golden/${n}.npy`)));
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0, e = 0; for (let i = 0; i < b.length; i++) { s = Math.max(s, Math.abs(b[i])); e = Math.max(e, Math.abs(a[i] - b[i])); } return (e / s).toExponential(2); };
it('debug', async () => {
  await tf.setBackend('cpu');
  const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')) as KMaXConfig;
  const { tensors } = toEngineTensors(readPytorchCheckpoint(new Uint8Array(readFileSync(`${dir}/checkpoint.pth`))));
  const model = new KMaXDeepLab(config, new Map([...tensors].map(([k, t]) => [k, tf.tensor(t.data, t.shape)])));
  const x = g('input');
  const kept = new Map<string, tf.Tensor>();
  const out = model.forward(tf.tensor4d(x.data as Float32Array, [1, ...x.shape] as [number, number, number, number]), { keep: (n, t) => kept.set(n, t) });
  const idx = JSON.parse(readFileSync(`${dir}/golden/index.json`, 'utf8'));
  for (const k of Object.keys(idx).filter((k) => k.startsWith('backbone') || k.startsWith('pixel_decoder'))) console.log(k, idx[k].shape);
  for (const [n, t] of kept) if (!n.startsWith('layer')) console.log(n, t.shape);
  const os = ['os32', 'os16', 'os8', 'os4', 'os4b', 'os2'];
  for (const [n, t] of kept) {
    if (n.startsWith('backbone.')) { const k = 'backbone/' + n.slice(9); if (idx[k]) console.log(k, rel(await t.data(), g(k).data as Float32Array)); }
    if (n.startsWith('pixel_decoder.')) { const i = +n.slice(14); const k = Object.keys(idx).filter((k) => k.startsWith('pixel_decoder'))[i]; if (k) console.log(n, k, rel(await t.data(), g(k).data as Float32Array)); }
  }
  for (const [l, layer] of out.layers.entries()) console.log(l, rel(await layer.classLogits.data(), g(`stage${l}/class_logits`).data as Float32Array), rel(await layer.maskLogits.data(), g(`stage${l}/mask_logits`).data as Float32Array));
  console.log('final', rel(await out.predLogits.data(), g('pred_logits').data as Float32Array), rel(await out.predMasks.data(), g('pred_masks').data as Float32Array));
  void os;
  const pd = Object.keys(idx).filter((k) => k.startsWith('pixel_decoder'));
  const outs = pd.map((k) => { const a = g(k); return tf.tensor4d(a.data as Float32Array, [1, ...a.shape] as [number, number, number, number]); });
  for (const mode of ['kmeans', 'softmax', 'cluster-softmax'] as const) {
    const dir = mode === 'kmeans' ? '' : mode + '/';
    let c = model.initialCentres();
    for (let l = 0; l < model.numLayers; l++) {
      const o = model.kmaxLayer(l, c, outs, mode);
      console.log(mode, 'GOLDEN-IN layer', l, rel(await o.prediction.classLogits.data(), g(`${dir}stage${l}/class_logits`).data as Float32Array), rel(await o.prediction.maskLogits.data(), g(`${dir}stage${l}/mask_logits`).data as Float32Array));
      c = o.centres;
    }
    const f = model.finalHead(c, outs);
    console.log(mode, 'GOLDEN-IN final', rel(await f.classLogits.data(), g(`${dir}pred_logits`).data as Float32Array), rel(await f.maskLogits.data(), g(`${dir}pred_masks`).data as Float32Array));
  }
});
