import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../model/presets';
import { convertCheckpoint, type ConvertProgress } from './convert';
import { DisallowedGlobalError, UnmappedKeysError } from './errors';
import { fixture } from './testdata/fixtures';
import { broadcastSpecs, isInferenceKey, officialKeys } from './testdata/official-keys';
import { writeTorchCheckpoint } from './testdata/torch-writer';

function officialCheckpoint(file: 'kmax_r50_keys.json' | 'kmax_convnext_tiny_keys.json') {
  const keys = officialKeys(file);
  const { tensors, storages } = broadcastSpecs(keys);
  return { keys, bytes: writeTorchCheckpoint(tensors, storages) };
}

describe('convertCheckpoint on checkpoints with the official keys and shapes', () => {
  it('converts COCO R50 with no unmapped or missing key, detects coco-r50', async () => {
    const { keys, bytes } = officialCheckpoint('kmax_r50_keys.json');
    const events: ConvertProgress[] = [];
    const result = await convertCheckpoint(bytes, { fileNames: ['kmax_r50.pth'], onProgress: (e) => events.push(e) });

    expect(result.config).toBe(PRESETS['coco-r50']);
    expect(result.classes).toHaveLength(133);
    expect(result.classes[0].name).toBe('person');
    const inference = [...keys].filter(([, k]) => isInferenceKey(k)).map(([name]) => name);
    expect([...result.tensors.keys()]).toEqual(inference);
    expect(result.dropped).toEqual([...keys].filter(([, k]) => !isInferenceKey(k)).map(([name]) => name));
    expect(result.dropped).toHaveLength(1417 - inference.length);

    // Every tensor is element [..., j] = j in PT layout; check where the engine layout put it.
    const stem = result.tensors.get('backbone.stem.conv1.weight')!;
    expect(stem.shape).toEqual([7, 7, 3, 64]); // HWIO; PT last axis (kw) is now axis 1
    for (const [h, w, i, o] of [[0, 0, 0, 0], [3, 6, 2, 63], [6, 5, 1, 17]]) {
      expect(stem.data[((h * 7 + w) * 3 + i) * 64 + o]).toBe(w);
    }
    const centres = result.tensors.get('sem_seg_head.predictor._cluster_centers.weight')!;
    expect(centres.shape).toEqual([128, 256]);
    expect(centres.data[100 * 256 + 7]).toBe(100); // [k, c] = PT [c, k] = k

    expect(result.provenance).toMatchObject({
      source: 'pytorch',
      files: [{ name: 'kmax_r50.pth', bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }],
    });
    expect(events[0]).toEqual({ status: 'read', loaded: bytes.byteLength, total: bytes.byteLength });
    const converted = events.filter((e) => e.status === 'convert').map((e) => e.converted);
    expect(converted[converted.length - 1]).toBe(1417);
    expect(converted.every((n, i) => i === 0 || n >= converted[i - 1])).toBe(true);
  });

  it('converts COCO ConvNeXt-T from a Blob, detecting coco-convnext-t, float32', async () => {
    const { keys, bytes } = officialCheckpoint('kmax_convnext_tiny_keys.json');
    const reads: number[] = [];
    const result = await convertCheckpoint(new File([bytes as Uint8Array<ArrayBuffer>], 'convnext.pth'), {
      onProgress: (e) => e.status === 'read' && reads.push(e.loaded),
    });
    expect(result.config).toBe(PRESETS['coco-convnext-t']);
    expect(result.provenance.files.map((f) => f.name)).toEqual(['convnext.pth']);
    const inference = [...keys].filter(([, k]) => isInferenceKey(k)).map(([name]) => name);
    expect([...result.tensors.keys()]).toEqual(inference);
    expect(result.dropped.length + inference.length).toBe(keys.size);
    expect(reads[reads.length - 1]).toBe(bytes.byteLength);

    const dw = result.tensors.get('backbone.stages.2.8.dwconv.weight')!;
    expect(dw.shape).toEqual([7, 7, 384, 1]);
    expect(dw.data).toBeInstanceOf(Float32Array);
    expect(dw.data[(3 * 7 + 5) * 384 + 100]).toBe(5); // [kh, kw, C, 1] = PT [C, 0, kh, kw] = kw
    const pw = result.tensors.get('backbone.stages.2.8.pwconv1.weight')!;
    expect(pw.shape).toEqual([384, 1536]);
    expect(pw.data[200 * 1536 + 1000]).toBe(200); // [in, out] = PT [out, in] = in
    const qkv = result.tensors.get('sem_seg_head.pixel_decoder._stages.1._blocks.2._attention._width_axis.qkv_transform.conv.weight')!;
    expect(qkv.shape).toEqual([512, 1024]);
    expect(qkv.data[0]).toBe(0); // PT [out, in, 1]: the last axis has size 1, so every value is 0
    const gamma = result.tensors.get('backbone.stages.0.1.gamma')!;
    expect(Array.from(gamma.data.subarray(0, 4))).toEqual([0, 1, 2, 3]);
  });
});

describe('convertCheckpoint on bad files', () => {
  it('names what is wrong', async () => {
    await expect(convertCheckpoint(new TextEncoder().encode('hello, not a checkpoint'))).rejects.toThrow(
      /not a kMaX-DeepLab checkpoint: expected a PyTorch torch\.save file/,
    );
    const views = fixture('views.pt');
    await expect(convertCheckpoint(views.subarray(0, views.byteLength - 100))).rejects.toThrow(/truncated/);
    await expect(convertCheckpoint(fixture('disallowed_global.pt'))).rejects.toThrow(DisallowedGlobalError);
    await expect(convertCheckpoint(fixture('legacy.pt'))).rejects.toThrow(/legacy \(pre-1\.6/);
    await expect(convertCheckpoint(fixture('bare_module.pt'))).rejects.toThrow(UnmappedKeysError);
    await expect(convertCheckpoint(fixture('bare_module.pt'), { config: PRESETS['coco-r50'] })).rejects.toThrow(
      UnmappedKeysError,
    );
  });
});
