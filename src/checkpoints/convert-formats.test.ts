import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KMaXConfig, ProcessingStyle } from '../model/config';
import { checkpointSourceOf, convertCheckpoint, type CheckpointSource, type ConvertProgress, type TfBundleFiles } from './convert';
import { DisallowedGlobalError, UnmappedKeysError } from './errors';
import { readPytorchCheckpoint } from './pytorch/read-checkpoint';
import type { RawTensor } from './raw-tensor';
import { fixture } from './testdata/fixtures';
import { TfChecksumError, TruncatedTfBundleError } from './tf-bundle/errors';
import { toEngineTensors, type EngineTensor } from './to-engine';

/**
 * Every checkpoint format, converted from the golden fixtures (training/fixtures), must
 * give the engine tensors of the fixture's `.pth` bit for bit, and detect the
 * fixture's config.json. Formats:
 *  - `.pth`: the fixture's checkpoint.pth;
 *  - `.pkl`: the same weights as a detectron2 pickle of numpy arrays, written below
 *    with the opcodes numpy's pickling emits (no counters, metadata as
 *    convert-tf-weights-to-d2.py writes it);
 *  - TF bundle: `training/tf_bundle_writer.py --fixture NAME` output in
 *    src/checkpoints/tf-bundle/testdata/NAME (r50-coco-4stage has none: its shapes are
 *    those of r50tf-coco-4stage; maxs-coco-4stage, deeplab2's Axial-ResNet, exists only
 *    as a TF bundle officially, so only that form is checked).
 *
 * Config fields the weights do not fix are compared as documented: the name is
 * `detected-...`, the input size is the dataset's official one, and the ResNet variant
 * and the processing style follow the file format (a TF checkpoint holds a TF ResNet
 * and wants deeplab2 processing; a PyTorch file a PyTorch one).
 */

const repo = new URL('../../', import.meta.url);
const read = (path: string) => new Uint8Array(readFileSync(new URL(path, repo)));

const FIXTURES = ['r50-coco-4stage', 'convnext-cityscapes-5stage', 'r50-cityscapes-5stage', 'r50tf-coco-4stage'] as const;
const TF_BUNDLES = ['r50tf-coco-4stage', 'convnext-cityscapes-5stage', 'r50-cityscapes-5stage', 'maxs-coco-4stage'] as const;

const OFFICIAL_INPUT_SIZE: Readonly<Record<string, readonly [number, number]>> = {
  coco_panoptic: [1281, 1281],
  cityscapes_panoptic: [1025, 2049],
};

const pth = (name: string) => read(`training/fixtures/${name}/checkpoint.pth`);
const fixtureConfig = (name: string) =>
  JSON.parse(new TextDecoder().decode(read(`training/fixtures/${name}/config.json`))) as KMaXConfig;
const tfBundle = (name: string) => {
  const prefix = `src/checkpoints/tf-bundle/testdata/${name}/ckpt-1`;
  return { index: read(`${prefix}.index`), data: [read(`${prefix}.data-00000-of-00001`)] };
};

function expectedConfig(config: KMaXConfig, style: ProcessingStyle): unknown {
  const backbone = config.backbone.type === 'resnet' ? { ...config.backbone, variant: style } : config.backbone;
  return {
    ...config,
    name: expect.stringMatching(/^detected-/),
    inputSize: OFFICIAL_INPUT_SIZE[config.dataset],
    processing: style,
    backbone,
  };
}

function expectSameTensors(actual: ReadonlyMap<string, EngineTensor>, expected: ReadonlyMap<string, EngineTensor>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  const differing = [...expected].filter(([key, e]) => {
    const a = actual.get(key)!;
    return a.shape.join() !== e.shape.join() || !Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
      Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
    );
  });
  expect(differing.map(([key]) => key)).toEqual([]);
}

const referenceTensors = (name: string) => toEngineTensors(readPytorchCheckpoint(pth(name))).tensors;

describe.each(FIXTURES)('fixture %s', (name) => {
  const config = fixtureConfig(name);
  const reference = referenceTensors(name);

  it('.pth: the PyTorch engine tensors, the fixture config', async () => {
    const result = await convertCheckpoint(pth(name));
    expectSameTensors(result.tensors, reference);
    expect(result.config).toEqual(expectedConfig(config, 'pytorch'));
    expect(result.provenance.source).toBe('pytorch');
    expect(result.dropped.length).toBeGreaterThan(0);
    expect(result.dropped.every((k) => /\.num_batches_tracked$|\._auxiliary_semantic_predictor\./.test(k))).toBe(true);
  });

  it('.pkl (numpy arrays): the same tensors and config', async () => {
    const raw = readPytorchCheckpoint(pth(name));
    const result = await convertCheckpoint(numpyPickle(raw, (key) => !key.endsWith('.num_batches_tracked')));
    expectSameTensors(result.tensors, reference);
    expect(result.config).toEqual(expectedConfig(config, 'pytorch'));
    expect(result.provenance.source).toBe('pytorch-pkl');
    expect(result.dropped.every((k) => k.includes('._auxiliary_semantic_predictor.'))).toBe(true);
  });

});

describe.each(TF_BUNDLES)('fixture %s as a TF bundle', (name) => {
  it('the same tensors, the fixture config with a TF ResNet and deeplab2 processing', async () => {
    const reference = referenceTensors(name);
    const config = fixtureConfig(name);
    const bundle = tfBundle(name);
    const events: ConvertProgress[] = [];
    const result = await convertCheckpoint(bundle, {
      fileNames: ['ckpt-1.index', 'ckpt-1.data-00000-of-00001'],
      onProgress: (e) => events.push(e),
    });
    expectSameTensors(result.tensors, reference);
    expect(result.config).toEqual(expectedConfig(config, 'tf'));
    expect(result.dropped).toEqual([]);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(result.provenance).toMatchObject({
      source: 'tf-bundle',
      files: [
        { name: 'ckpt-1.index', bytes: bundle.index.byteLength, sha256: sha(bundle.index) },
        { name: 'ckpt-1.data-00000-of-00001', bytes: bundle.data[0].byteLength, sha256: sha(bundle.data[0]) },
      ],
    });
    const total = bundle.index.byteLength + bundle.data[0].byteLength;
    expect(events.filter((e) => e.status === 'read')).toEqual([
      { status: 'read', loaded: bundle.index.byteLength, total },
      { status: 'read', loaded: total, total },
    ]);
    expect(events[events.length - 1]).toMatchObject({ status: 'convert', converted: events[events.length - 1].total });
  });
});

describe('a TF bundle whose index blocks are Snappy-compressed', () => {
  // `tf_bundle_writer.py --fixture r50tf-coco-4stage --snappy`: the same tensors, so the same data shard.
  const snappyIndex = read('src/checkpoints/tf-bundle/testdata/r50tf-coco-4stage/snappy/ckpt-1.index');

  it('is really compressed, and converts to the same weights and config as the uncompressed bundle', async () => {
    const plain = tfBundle('r50tf-coco-4stage');
    // The metaindex block follows the data blocks: the last data block's 5-byte trailer, just before it,
    // starts with its compression type, 1 = Snappy (the footer's first varint is the metaindex offset).
    const metaindexOffset = readVarintAt(snappyIndex, snappyIndex.byteLength - 48);
    expect(snappyIndex[metaindexOffset - 5]).toBe(1);
    expect(plain.index[readVarintAt(plain.index, plain.index.byteLength - 48) - 5]).toBe(0);
    expect(snappyIndex.byteLength).toBeLessThan(plain.index.byteLength / 2);
    const fromSnappy = await convertCheckpoint({ index: snappyIndex, data: plain.data });
    const fromPlain = await convertCheckpoint(plain);
    expectSameTensors(fromSnappy.tensors, fromPlain.tensors);
    expectSameTensors(fromSnappy.tensors, referenceTensors('r50tf-coco-4stage'));
    expect(fromSnappy.config).toEqual(fromPlain.config);
  });
});

describe('processing style and ResNet variant', () => {
  it('TF R50 detects variant tf (T23); --processing overrides the style only', async () => {
    const bundle = tfBundle('r50tf-coco-4stage');
    const asPytorch = await convertCheckpoint(bundle, { processing: 'pytorch' });
    expect(asPytorch.config.processing).toBe('pytorch');
    expect(asPytorch.config.backbone).toMatchObject({ type: 'resnet', variant: 'tf' });
    expect(asPytorch.config.name).toBe('detected-coco_panoptic-resnet-tf-2-1-2-1-k24');
    const asTf = await convertCheckpoint(pth('r50-coco-4stage'), { processing: 'tf' });
    expect(asTf.config).toMatchObject({ processing: 'tf', backbone: { variant: 'pytorch' } });
  });

  it('a given config replaces detection, processing still follows the format', async () => {
    const config = fixtureConfig('r50tf-coco-4stage');
    const result = await convertCheckpoint(pth('r50tf-coco-4stage'), { config });
    expect(result.config).toEqual({ ...config, processing: 'pytorch' });
    expect(result.classes).toHaveLength(133);
  });
});

describe('checkpointSourceOf', () => {
  it('finds the TF index by its bytes (Blob or bytes) and orders shards by their data-k-of-n suffix', async () => {
    const { index } = tfBundle('r50tf-coco-4stage');
    const [a, b] = [new Uint8Array([1]), new Uint8Array([2])];
    const { source, fileNames } = await checkpointSourceOf([
      { name: 'x.data-00001-of-00002', file: a },
      { name: 'whatever-name', file: new Blob([index as Uint8Array<ArrayBuffer>]) },
      { name: 'x.data-00000-of-00002', file: b },
    ]);
    expect(fileNames).toEqual(['whatever-name', 'x.data-00000-of-00002', 'x.data-00001-of-00002']);
    expect((source as TfBundleFiles).data).toEqual([b, a]);
  });

  it('a single file is the source itself; several without an index are refused', async () => {
    const bytes = pth('r50-coco-4stage');
    expect((await checkpointSourceOf([{ name: 'm.pth', file: bytes }])).source).toBe(bytes);
    await expect(
      checkpointSourceOf([
        { name: 'a.index', file: bytes },
        { name: 'b', file: bytes },
      ]),
    ).rejects.toThrow(/2 files were given.*None of them are a TensorFlow checkpoint index/s);
  });
});

describe('bad files', () => {
  const convert = (source: CheckpointSource) => convertCheckpoint(source);

  it('a file that is no checkpoint, or a TF index alone', async () => {
    await expect(convert(new TextEncoder().encode('{"not": "a checkpoint"}'))).rejects.toThrow(
      /not a kMaX-DeepLab checkpoint: expected a PyTorch torch\.save file \(\.pth\), a detectron2 pickle \(\.pkl\), or a TensorFlow checkpoint/,
    );
    await expect(convert(tfBundle('r50tf-coco-4stage').index)).rejects.toThrow(/index of a TensorFlow checkpoint.*pass those too/);
  });

  it('a truncated zip', async () => {
    const bytes = pth('r50-coco-4stage');
    await expect(convert(bytes.subarray(0, bytes.byteLength >> 1))).rejects.toThrow(/truncated/);
  });

  it('a TF data shard with one flipped bit fails its CRC-32C, naming the tensor; a short shard is truncated', async () => {
    const { index, data } = tfBundle('r50tf-coco-4stage');
    const damaged = data[0].slice();
    damaged[damaged.byteLength >> 1] ^= 0x10;
    const error = await convert({ index, data: [damaged] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TfChecksumError);
    expect((error as TfChecksumError).tensor).toMatch(/\/\.ATTRIBUTES\/VARIABLE_VALUE$/);
    expect((error as Error).message).toMatch(/Checksum mismatch.*corrupted/);
    await expect(convert({ index, data: [data[0].subarray(0, 1000)] })).rejects.toThrow(TruncatedTfBundleError);
  });

  it('a checkpoint of another model lists its foreign keys; one missing a kMaX weight names it', async () => {
    const foreign = await convert(fixture('bare_module.pt')).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(UnmappedKeysError);
    expect((foreign as UnmappedKeysError).keys).toEqual(['0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var']);
    expect((foreign as Error).message).toMatch(/^5 tensor\(s\) in this checkpoint are not kMaX-DeepLab weights.*\n {2}0\.weight\n {2}1\.weight\n/);

    const raw = readPytorchCheckpoint(pth('convnext-cityscapes-5stage'));
    const centres = 'sem_seg_head.predictor._cluster_centers.weight';
    await expect(convert(numpyPickle(raw, (key) => key !== centres))).rejects.toThrow(
      `This is not a complete kMaX-DeepLab checkpoint: "${centres}" is missing.`,
    );
  });

  it('a tensor whose shape does not fit its layout', async () => {
    const raw = new Map(readPytorchCheckpoint(pth('r50-coco-4stage')));
    const key = 'backbone.res3.0.conv2.weight';
    const t = raw.get(key)!;
    raw.set(key, { ...t, shape: [t.shape[0], t.shape[1], t.shape[2] * t.shape[3]] });
    await expect(convert(numpyPickle(raw, () => true))).rejects.toThrow(
      `"${key}" has shape [24, 24, 9], which does not fit conv OIHW->HWIO`,
    );
  });

  it('a pickle naming a disallowed global', async () => {
    await expect(convert(fixture('disallowed_global.pkl'))).rejects.toThrow(DisallowedGlobalError);
  });
});

/** The first varint at `at` (the footer's first block handle starts with the metaindex offset). */
function readVarintAt(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return value;
  }
}

/**
 * `pickle.dumps({"model": {name: ndarray}, "__author__": ..., "matching_heuristics": True}, 2)`:
 * each array as numpy pickles it, `_reconstruct(ndarray, (0,), b'b')` then BUILD with
 * `(1, shape, dtype('<f4'), False, raw bytes)`.
 */
function numpyPickle(tensors: ReadonlyMap<string, RawTensor>, include: (key: string) => boolean): Uint8Array {
  const out: Uint8Array[] = [];
  const op = (...codes: number[]) => out.push(Uint8Array.from(codes));
  const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  const int = (n: number) => op(0x4a, ...le32(n)); // BININT
  const string = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    op(0x58, ...le32(bytes.length)); // BINUNICODE
    out.push(bytes);
  };
  const global = (module: string, name: string) => {
    op(0x63); // GLOBAL
    out.push(new TextEncoder().encode(`${module}\n${name}\n`));
  };
  const codes: Partial<Record<RawTensor['dtype'], string>> = { float32: 'f4', int64: 'i8' };
  op(0x80, 2, 0x7d, 0x28); // PROTO 2, EMPTY_DICT, MARK
  string('model');
  op(0x7d, 0x28);
  for (const [key, t] of tensors) {
    if (!include(key)) continue;
    string(key);
    global('numpy.core.multiarray', '_reconstruct');
    global('numpy', 'ndarray');
    op(0x28);
    int(0);
    op(0x74); // (0,)
    op(0x43, 1, 0x62, 0x87, 0x52); // b'b', TUPLE3, REDUCE
    op(0x28); // state: (1, shape, dtype, False, bytes)
    int(1);
    op(0x28);
    t.shape.forEach(int);
    op(0x74);
    global('numpy', 'dtype');
    string(codes[t.dtype]!);
    op(0x89, 0x88, 0x87, 0x52); // False, True, TUPLE3, REDUCE
    op(0x28); // dtype state (3, '<', None, None, None, -1, -1, 0), BUILD
    int(3);
    string('<');
    op(0x4e, 0x4e, 0x4e);
    [-1, -1, 0].forEach(int);
    op(0x74, 0x62);
    op(0x89); // not Fortran order
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    op(0x42, ...le32(bytes.byteLength)); // BINBYTES
    out.push(bytes);
    op(0x74, 0x62); // TUPLE, BUILD
  }
  op(0x75); // SETITEMS (model)
  string('__author__');
  string('third_party');
  string('matching_heuristics');
  op(0x88, 0x75, 0x2e); // True, SETITEMS, STOP
  return new Uint8Array(Buffer.concat(out)); // a plain Uint8Array: Buffer.slice() would not copy
}
