import { gzipSync, zipSync } from 'fflate';
import { packTar } from 'modern-tar';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { POSTPROCESS } from '../../model/presets';
import type { KMaXConfig } from '../../model/config';
import type { ConvertProgress } from '../convert';
import { CheckpointFormatError } from '../errors';
import { convertArchive, convertCheckpointFiles } from './convert-archive';
import { applyDeeplab2Config, readDeeplab2Config } from './deeplab2-config';
import { CorruptArchiveError, NoCheckpointInArchiveError, TruncatedArchiveError } from './errors';
import { archiveKindOf, readCheckpointArchive } from './read-archive';
import { parseTextProto, textField, TextProtoSyntaxError } from './textproto';

/**
 * Archive reading, the text-format reader and deeplab2's config fields. The fixture
 * `testdata/kmax_resnet50_coco_train.tar.gz` is written by
 * `training/tf_bundle_writer.py --fixture r50tf-coco-4stage --deeplab2-archive PATH`;
 * the whole conversion path (CLI, parity) is tested in cli/commands/convert-archive.test.ts.
 */

const read = (path: string) => new Uint8Array(readFileSync(new URL(path, import.meta.url)));
const archive = read('./testdata/kmax_resnet50_coco_train.tar.gz');
const text = (s: string) => new TextEncoder().encode(s);

/** The fixture's members as path -> bytes. */
async function fixtureMembers(): Promise<Map<string, Uint8Array>> {
  const contents = await readCheckpointArchive(archive, { name: 'a.tar.gz' });
  return new Map([contents.index, ...contents.data, contents.config!].map((m) => [m.path, m.bytes]));
}

const tarOf = (files: ReadonlyMap<string, Uint8Array>) =>
  packTar([...files].map(([name, data]) => ({ header: { name, size: data.byteLength }, body: data })));

describe('parseTextProto', () => {
  it('reads messages, repeated fields, lists, strings, numbers, booleans and comments', () => {
    const message = parseTextProto(`
      # a comment
      name: "a \\"quoted\\" \\x41\\101" 'and more'  # adjacent strings join
      size: 1281 size: 641
      list: [1, -2.5e-1, 0x1F, 3f]
      flag: true other: False
      inner { value: -inf deeper < x: 1; y: ENUM_VALUE > }
      inner: { value: 2 }
    `);
    expect(textField(message, 'name')).toEqual(['a "quoted" AA' + 'and more']);
    expect(textField(message, 'size')).toEqual([1281, 641]);
    expect(textField(message, 'list')).toEqual([1, -0.25, 31, 3]);
    expect(textField(message, 'flag')).toEqual([true]);
    expect(textField(message, 'other')).toEqual([false]);
    expect(textField(message, 'inner.value')).toEqual([-Infinity, 2]);
    expect(textField(message, 'inner.deeper.y')).toEqual(['ENUM_VALUE']);
    expect(textField(message, 'missing.field')).toEqual([]);
  });

  it('names line and column of a syntax error', () => {
    const cases: [string, RegExp][] = [
      ['a: 1\nb {\n c: 2\n', /the config, line 4 column 1: missing "}"/],
      ['a: 1\n  b 2', /line 2 column 5: expected ":" or "\{" after "b"/],
      ['a: "open\n', /line 1 column 4: unterminated string/],
      ['a: 1 }', /line 1 column 6: expected a field name/],
      ['a: ?', /line 1 column 4: unexpected character "\?"/],
    ];
    for (const [source, message] of cases) {
      const error = (() => {
        try {
          parseTextProto(source);
        } catch (e) {
          return e;
        }
      })();
      expect(error, source).toBeInstanceOf(TextProtoSyntaxError);
      expect((error as Error).message, source).toMatch(message);
    }
  });
});

describe('deeplab2 training config', () => {
  it('reads dataset, crop size and every post-processing threshold of the fixture', async () => {
    const members = await fixtureMembers();
    const path = 'kmax_resnet50_coco_train/kmax_resnet50_coco_train.textproto';
    const config = readDeeplab2Config(new TextDecoder().decode(members.get(path)), path);
    expect(config).toEqual({
      source: path,
      experimentName: 'kmax_resnet50_coco_train',
      backbone: 'kmax_resnet50',
      dataset: 'coco_panoptic',
      numClasses: 133,
      cropSize: [641, 641],
      postprocess: {
        pixelThreshold: 0.35,
        classThresholdThing: 0.65,
        classThresholdStuff: 0.45,
        overlapThreshold: 0.75,
        reorderClassWeight: 1,
        reorderMaskWeight: 0.5,
        thingAreaLimit: 300,
        stuffAreaLimit: 4096,
      },
    });
  });

  it('uses the training dataset when eval has none, ignores unknown datasets, takes the last of a repeated singular field', () => {
    expect(readDeeplab2Config('train_dataset_options { dataset: "cityscapes_panoptic" }', 'c').numClasses).toBe(19);
    expect(readDeeplab2Config('eval_dataset_options { dataset: "my_own" }', 'c')).toEqual({ source: 'c', postprocess: {} });
    expect(readDeeplab2Config('evaluator_options { thing_area_limit: 1 thing_area_limit: 2 }', 'c').postprocess).toEqual({ thingAreaLimit: 2 });
  });

  it('refuses values that cannot be thresholds or input sizes, naming the field', () => {
    expect(() => readDeeplab2Config('evaluator_options { pixel_confidence_threshold: 1.5 }', 'x.textproto')).toThrow(
      'x.textproto: evaluator_options.pixel_confidence_threshold is 1.5, expected a number from 0 to 1',
    );
    expect(() => readDeeplab2Config('evaluator_options { stuff_area_limit: "big" }', 'x')).toThrow('stuff_area_limit is big, expected a pixel count');
    expect(() => readDeeplab2Config('eval_dataset_options { crop_size: 640 crop_size: 640 }', 'x')).toThrow(
      'eval_dataset_options.crop_size is [640, 640], expected a height and a width of the form 32k+1',
    );
    expect(() => readDeeplab2Config('eval_dataset_options { crop_size: 641 }', 'x')).toThrow('crop_size is [641]');
  });

  it('the textproto wins over detection and lists what it changed; a dataset of another class count is an error', () => {
    const detected = {
      name: 'x',
      numClasses: 19,
      dataset: 'cityscapes_panoptic',
      inputSize: [1025, 2049],
      postprocess: POSTPROCESS.cityscapes,
    } as unknown as KMaXConfig;
    const training = readDeeplab2Config(
      'eval_dataset_options { dataset: "cityscapes_panoptic" crop_size: 513 crop_size: 1025 } evaluator_options { thing_area_limit: 256 pixel_confidence_threshold: 0.3 }',
      'c',
    );
    const { config, changes } = applyDeeplab2Config(detected, training);
    expect(config.inputSize).toEqual([513, 1025]);
    expect(config.postprocess).toEqual({ ...POSTPROCESS.cityscapes, pixelThreshold: 0.3 });
    expect(changes).toEqual([
      { field: 'inputSize', detected: '1025x2049', textproto: '513x1025' },
      { field: 'postprocess.pixelThreshold', detected: '0.4', textproto: '0.3' },
    ]);
    const coco = readDeeplab2Config('eval_dataset_options { dataset: "coco_panoptic" }', 'coco.textproto');
    expect(() => applyDeeplab2Config(detected, coco)).toThrow(
      "coco.textproto trains on coco_panoptic (133 classes), but the checkpoint's class head has 19 classes",
    );
  });
});

describe('archiveKindOf', () => {
  it('tells archives from checkpoints by their bytes', async () => {
    const members = await fixtureMembers();
    expect(await archiveKindOf(archive)).toBe('tar.gz');
    expect(await archiveKindOf(new Blob([archive]))).toBe('tar.gz');
    expect(await archiveKindOf(await tarOf(members))).toBe('tar');
    expect(await archiveKindOf(zipSync(Object.fromEntries(members)))).toBe('zip');
    // A torch.save .pth is a zip too, without a TF index inside.
    expect(await archiveKindOf(read('../../../training/fixtures/r50-coco-4stage/checkpoint.pth'))).toBeUndefined();
    expect(await archiveKindOf(text('{"not": "an archive"}'))).toBeUndefined();
  });
});

describe('readCheckpointArchive', () => {
  it('streams a download (ReadableStream) with byte progress, and a plain .tar', async () => {
    const events: ConvertProgress[] = [];
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= archive.byteLength) return controller.close();
        controller.enqueue(archive.slice(at, at + 100_000));
        at += 100_000;
      },
    });
    const contents = await readCheckpointArchive(stream, { name: 'dl.tar.gz', size: archive.byteLength, onProgress: (e) => events.push(e) });
    expect(contents.kind).toBe('tar.gz');
    expect(contents.archive).toMatchObject({ name: 'dl.tar.gz', bytes: archive.byteLength });
    expect(events.at(-1)).toEqual({ status: 'read', loaded: archive.byteLength, total: archive.byteLength });
    expect(events.length).toBe(Math.ceil(archive.byteLength / 100_000));

    const tar = await readCheckpointArchive(await tarOf(await fixtureMembers()), { name: 'plain.tar' });
    expect(tar.kind).toBe('tar');
    expect(Buffer.from(tar.index.bytes).equals(contents.index.bytes)).toBe(true);
    expect(Buffer.from(tar.data[0].bytes).equals(contents.data[0].bytes)).toBe(true);
  });

  it('picks the checkpoint TF\'s "checkpoint" file names, else the latest step; shards in order', async () => {
    const members = await fixtureMembers();
    const index = members.get('kmax_resnet50_coco_train/ckpt-150000.index')!;
    const shard = members.get('kmax_resnet50_coco_train/ckpt-150000.data-00000-of-00001')!;
    const files = new Map([
      ['run/ckpt-9.index', index],
      ['run/ckpt-9.data-00000-of-00001', shard],
      ['run/ckpt-10.index', index],
      ['run/ckpt-10.data-00001-of-00002', text('second')],
      ['run/ckpt-10.data-00000-of-00002', shard],
    ]);
    const latest = await readCheckpointArchive(await tarOf(files));
    expect(latest.prefix).toBe('run/ckpt-10');
    expect(latest.data.map((d) => d.path)).toEqual(['run/ckpt-10.data-00000-of-00002', 'run/ckpt-10.data-00001-of-00002']);
    expect(latest.config).toBeUndefined();
    files.set('run/checkpoint', text('model_checkpoint_path: "ckpt-9"\nall_model_checkpoint_paths: "ckpt-9"\n'));
    expect((await readCheckpointArchive(await tarOf(files))).prefix).toBe('run/ckpt-9');
  });

  it('an archive without a complete checkpoint says what it holds', async () => {
    const none = new Map([['photos/cat.jpg', text('jpeg')]]);
    await expect(readCheckpointArchive(gzipSync(await tarOf(none)), { name: 'cats.tar.gz' })).rejects.toThrow(
      new NoCheckpointInArchiveError('cats.tar.gz', 'no "ckpt-N.index" file; it holds photos/cat.jpg'),
    );
    const members = await fixtureMembers();
    const noShard = new Map([['k/ckpt-1.index', members.get('kmax_resnet50_coco_train/ckpt-150000.index')!]]);
    await expect(readCheckpointArchive(await tarOf(noShard), { name: 'x.tar' })).rejects.toThrow(
      '"k/ckpt-1.index" has no "ckpt-1.data-00000-of-0000N" beside it',
    );
    const missing = new Map([...noShard, ['k/ckpt-1.data-00001-of-00002', text('half')]]);
    await expect(readCheckpointArchive(await tarOf(missing), { name: 'x.tar' })).rejects.toThrow('"k/ckpt-1" lacks data shard(s) 0 of 2');
    await expect(readCheckpointArchive(text('no archive at all'), { name: 'n.bin' })).rejects.toThrow(CheckpointFormatError);
  });

  it('a truncated archive: TruncatedArchiveError, whether the gzip stream or a tar entry ends early', async () => {
    for (const cut of [10, 5000, archive.byteLength >> 1, archive.byteLength - 8]) {
      await expect(readCheckpointArchive(archive.subarray(0, cut), { name: 'cut.tar.gz' }), `cut at ${cut}`).rejects.toThrow(TruncatedArchiveError);
    }
    const tar = await tarOf(await fixtureMembers());
    await expect(readCheckpointArchive(tar.subarray(0, 2000), { name: 'cut.tar' })).rejects.toThrow(TruncatedArchiveError);
  });

  it('a corrupted archive: CorruptArchiveError (the gzip CRC, or the deflate stream), never data', async () => {
    for (const at of [300, archive.byteLength >> 1, archive.byteLength - 6]) {
      const damaged = archive.slice();
      damaged[at] ^= 0x55;
      const error = await readCheckpointArchive(damaged, { name: 'bad.tar.gz' }).catch((e: unknown) => e);
      expect(error, `byte ${at}`).toBeInstanceOf(CorruptArchiveError);
      expect((error as Error).message).toMatch(/^The archive "bad\.tar\.gz" is damaged \(its compressed data do not decode: .+\); get the file again\.$/);
    }
  });

  it('a damaged zip member: CorruptArchiveError naming it; a truncated zip is reported as truncated', async () => {
    const members = await fixtureMembers();
    const zip = zipSync(Object.fromEntries([...members].map(([name, bytes]) => [name, [bytes, { level: 0 }]])));
    const contents = await readCheckpointArchive(zip, { name: 'f.zip' });
    // Stored members are found at their offsets; flip a byte inside the index's data.
    const offset = indexOf(zip, contents.index.bytes.subarray(0, 64));
    const damaged = zip.slice();
    damaged[offset + 100] ^= 1;
    await expect(readCheckpointArchive(damaged, { name: 'f.zip' })).rejects.toThrow(
      /^The archive "f\.zip" is damaged \("kmax_resnet50_coco_train\/ckpt-150000\.index": zip entry .* is corrupted \(CRC-32 mismatch\)/,
    );
    // A zip cut short has lost its directory: not recognised as an archive, it goes to the zip reader, which says why.
    const cut = zip.subarray(0, zip.byteLength - 100);
    expect(await archiveKindOf(cut)).toBeUndefined();
    await expect(convertCheckpointFiles([{ name: 'cut.zip', file: cut }])).rejects.toThrow(/The zip archive is incomplete .*probably truncated/);
  });

  it('convertArchive accepts a Blob and names the archive in the provenance', async () => {
    const converted = await convertArchive(new File([archive], 'kmax_resnet50_coco_train.tar.gz'));
    expect(converted.provenance.files[0]).toMatchObject({ name: 'kmax_resnet50_coco_train.tar.gz', bytes: archive.byteLength });
    expect(converted.archive).toEqual({
      kind: 'tar.gz',
      prefix: 'kmax_resnet50_coco_train/ckpt-150000',
      configPath: 'kmax_resnet50_coco_train/kmax_resnet50_coco_train.textproto',
    });
    expect(converted.config.inputSize).toEqual([641, 641]);
    expect(converted.tensors.size).toBe(841);
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.byteLength <= haystack.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
