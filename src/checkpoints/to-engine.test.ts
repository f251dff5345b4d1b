import { describe, expect, it } from 'vitest';
import { UnmappedKeysError } from './errors';
import { readPytorchCheckpoint } from './pytorch/read-checkpoint';
import type { RawTensor } from './raw-tensor';
import { fixture } from './testdata/fixtures';
import { toEngineTensors } from './to-engine';

const arange = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
const f32 = (shape: number[]): RawTensor => ({ dtype: 'float32', shape, data: arange(shape.reduce((a, b) => a * b, 1)) });

describe('toEngineTensors', () => {
  const raw = new Map<string, RawTensor>([
    ['backbone.res2.0.conv2.weight', f32([2, 3, 2, 2])], // OIHW
    ['backbone.res2.0.conv2.norm.weight', f32([2])],
    ['backbone.res2.0.conv2.norm.num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array([3n]) }],
    ['backbone.stages.0.1.dwconv.weight', f32([3, 1, 2, 2])],
    ['sem_seg_head.predictor._cluster_centers.weight', f32([2, 3])],
    ['sem_seg_head.predictor._class_embedding_projection.conv.weight', f32([3, 2, 1])],
    ['sem_seg_head.predictor._auxiliary_semantic_predictor.final_conv.conv.weight', f32([4, 2, 1, 1])],
    ['backbone.stages.0.1.gamma', { dtype: 'float16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }],
  ]);
  const { tensors, dropped } = toEngineTensors(raw);

  it('moves every element where the engine layout puts it', () => {
    // HWIO[h][w][i][o] = OIHW[o][i][h][w] = ((o*3 + i)*2 + h)*2 + w
    const conv = tensors.get('backbone.res2.0.conv2.weight')!;
    expect(conv.shape).toEqual([2, 2, 3, 2]);
    for (let h = 0; h < 2; h++)
      for (let w = 0; w < 2; w++)
        for (let i = 0; i < 3; i++)
          for (let o = 0; o < 2; o++) expect(conv.data[((h * 2 + w) * 3 + i) * 2 + o]).toBe(((o * 3 + i) * 2 + h) * 2 + w);
    // [k,k,C,1][h][w][c] = [C,1,k,k][c][0][h][w]
    const dw = tensors.get('backbone.stages.0.1.dwconv.weight')!;
    expect(dw.shape).toEqual([2, 2, 3, 1]);
    expect(Array.from(dw.data)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    const centres = tensors.get('sem_seg_head.predictor._cluster_centers.weight')!;
    expect([centres.shape, Array.from(centres.data)]).toEqual([[3, 2], [0, 3, 1, 4, 2, 5]]);
    const projection = tensors.get('sem_seg_head.predictor._class_embedding_projection.conv.weight')!;
    expect([projection.shape, Array.from(projection.data)]).toEqual([[2, 3], [0, 2, 4, 1, 3, 5]]);
  });

  it('keeps identity-layout float32 data as a view and widens float16', () => {
    const norm = raw.get('backbone.res2.0.conv2.norm.weight')!;
    expect(tensors.get('backbone.res2.0.conv2.norm.weight')!.data).toBe(norm.data);
    expect(Array.from(tensors.get('backbone.stages.0.1.gamma')!.data)).toEqual([1, -2]);
  });

  it('drops and lists exactly the ignore-listed keys', () => {
    expect(dropped).toEqual([
      'backbone.res2.0.conv2.norm.num_batches_tracked',
      'sem_seg_head.predictor._auxiliary_semantic_predictor.final_conv.conv.weight',
    ]);
    expect(tensors.size).toBe(6);
  });

  it('names every key of another model instead of dropping it', () => {
    const other = readPytorchCheckpoint(fixture('bare_module.pt'));
    let error: unknown;
    try {
      toEngineTensors(other);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnmappedKeysError);
    expect((error as UnmappedKeysError).keys).toEqual(['0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var']);
    expect((error as Error).message).toMatch(/5 tensor\(s\).*another model/);
  });

  it('names a key whose shape does not fit its layout', () => {
    const bad = new Map([['backbone.stem.conv1.weight', f32([64, 3, 7])]]);
    expect(() => toEngineTensors(bad)).toThrow(/"backbone\.stem\.conv1\.weight" has shape \[64, 3, 7\].*conv OIHW->HWIO/);
  });
});
