import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KMaXConfig } from '../../model/config';
import { isTfBookkeepingKey } from '../key-maps/tf';
import { convertTfCheckpoint } from '../key-maps/tf-convert';
import { readPytorchCheckpoint } from '../pytorch/read-checkpoint';
import { toEngineTensors } from '../to-engine';
import { readTfBundle } from './read-bundle';

/**
 * PyTorch fixture checkpoints, rewritten by `training/tf_bundle_writer.py --fixture NAME`
 * under deeplab2's names and layouts (the key map's rules run backwards in Python),
 * must come back through the TF reader and key map as exactly the engine tensors the
 * PyTorch path makes of the original: same names, shapes and bits.
 */
const repo = new URL('../../../', import.meta.url);
const bytes = (path: string) => new Uint8Array(readFileSync(new URL(path, repo)));

describe.each([
  ['r50tf-coco-4stage', 'ResNet-50 (TF variant), COCO'],
  ['convnext-cityscapes-5stage', 'ConvNeXt, Cityscapes: class heads re-ordered'],
  ['maxs-coco-4stage', 'Axial-ResNet (MaX-S), COCO: its blocks share the ResNet blocks\' TF names'],
])('TF bundle of fixture %s (%s)', (name) => {
  const config = JSON.parse(new TextDecoder().decode(bytes(`training/fixtures/${name}/config.json`))) as KMaXConfig;
  const prefix = `src/checkpoints/tf-bundle/testdata/${name}/ckpt-1`;

  it('converts to the engine tensors of the PyTorch checkpoint, bit for bit', () => {
    const raw = readTfBundle(bytes(`${prefix}.index`), [bytes(`${prefix}.data-00000-of-00001`)], {
      include: (key) => !isTfBookkeepingKey(key),
    });
    const fromTf = convertTfCheckpoint(raw, config.dataset);
    const fromPt = toEngineTensors(readPytorchCheckpoint(bytes(`training/fixtures/${name}/checkpoint.pth`))).tensors;

    expect(fromTf.dropped).toEqual([]);
    expect([...fromTf.tensors.keys()].sort()).toEqual([...fromPt.keys()].sort());
    const differing = [...fromPt].filter(([key, pt]) => {
      const tf = fromTf.tensors.get(key)!;
      return tf.shape.join() !== pt.shape.join() || !tf.data.every((v, i) => Object.is(v, pt.data[i]));
    });
    expect(differing.map(([key]) => key)).toEqual([]);
    expect(fromPt.size).toBeGreaterThan(800);

    // The TF file really holds the class head in deeplab2's order for Cityscapes.
    const tfBias = Array.from(raw.get('transformer_class_head/_conv/bias/.ATTRIBUTES/VARIABLE_VALUE')!.data as Float32Array);
    const ptBias = Array.from(fromPt.get('sem_seg_head.predictor._predcitor._transformer_class_head.conv.bias')!.data);
    expect(tfBias.length).toBe(config.numClasses + 1);
    expect(tfBias[tfBias.length - 1]).toBe(ptBias[ptBias.length - 1]);
    if (config.dataset === 'cityscapes_panoptic') expect(tfBias.slice(0, 3)).toEqual([11, 12, 13].map((id) => ptBias[id]));
    else expect(tfBias).toEqual(ptBias);
  });
});
