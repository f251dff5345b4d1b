import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, DisallowedGlobalError, LegacyTorchFormatError } from '../errors';
import { readNumpyPickle } from '../numpy/read-pickle';
import { toFloat32 } from '../raw-tensor';
import { fixture, misaligned } from '../testdata/fixtures';
import { openPytorchCheckpoint, readPytorchCheckpoint } from './read-checkpoint';
import { randomAccessBlob, readZipDirectory, type RandomAccessFile } from './zip';

function values(data: ArrayLike<number | bigint>): (number | bigint)[] {
  return Array.from(data);
}

describe('readPytorchCheckpoint', () => {
  const bytes = fixture('views.pt');
  const sd = readPytorchCheckpoint(bytes);

  it("takes obj['model'] and keeps file order, ignoring the other top-level entries", () => {
    expect([...sd.keys()]).toEqual(['f32', 'f16', 'bf16', 'i64', 'i32', 'u8', 'transposed', 'sliced', 'shared', 'param']);
  });

  it('reads float32 as a view into the file (no copy)', () => {
    const t = sd.get('f32')!;
    expect([t.dtype, t.shape, values(t.data)]).toEqual(['float32', [2, 3], [0, 1, 2, 3, 4, 5]]);
    expect(t.data.buffer).toBe(bytes.buffer);
  });

  it('reads float16 bits, widens bfloat16, and keeps integer types', () => {
    const f16 = sd.get('f16')!;
    expect(f16.dtype).toBe('float16');
    expect(values(toFloat32(f16))).toEqual([0.5, -2, 65504, 2 ** -23]); // 1e-7 is the subnormal 2 * 2^-24
    const bf16 = sd.get('bf16')!;
    expect([bf16.dtype, values(bf16.data)]).toEqual(['float32', [1.5, -3, 256]]);
    const i64 = sd.get('i64')!;
    expect([i64.dtype, i64.shape, values(i64.data)]).toEqual(['int64', [], [-5n]]);
    expect(values(sd.get('i32')!.data)).toEqual([7, -8]);
    expect([sd.get('u8')!.dtype, values(sd.get('u8')!.data)]).toEqual(['uint8', [1, 255]]);
  });

  it('materialises transposed and offset views in C order', () => {
    const transposed = sd.get('transposed')!;
    expect(transposed.shape).toEqual([6, 4]);
    expect(values(transposed.data)).toEqual(
      Array.from({ length: 24 }, (_, k) => (k % 4) * 6 + Math.floor(k / 4)), // base.t()[i][j] = base[j][i]
    );
    const sliced = sd.get('sliced')!;
    expect([sliced.shape, values(sliced.data)]).toEqual([[3, 3], [8, 9, 10, 14, 15, 16, 20, 21, 22]]);
    const shared = sd.get('shared')!;
    expect(values(shared.data)).toEqual([12, 13, 14, 15, 16, 17]);
    expect(shared.data.buffer).toBe(bytes.buffer); // contiguous at an offset: still a view
  });

  it('unwraps nn.Parameter', () => {
    expect(values(sd.get('param')!.data)).toEqual([3, 4]);
  });

  it('reads a bare module state dict (OrderedDict with _metadata, num_batches_tracked)', () => {
    const module = readPytorchCheckpoint(fixture('bare_module.pt'));
    expect([...module.keys()]).toEqual([
      '0.weight',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    expect(module.get('0.weight')!.shape).toEqual([3, 2, 3, 3]);
    expect(values(module.get('1.running_var')!.data)).toEqual([1, 1, 1]);
    expect(values(module.get('1.num_batches_tracked')!.data)).toEqual([0n]);
  });

  it('gives the same values from an unaligned buffer', () => {
    const copy = readPytorchCheckpoint(misaligned(bytes));
    for (const [key, t] of sd) expect(values(copy.get(key)!.data), key).toEqual(values(t.data));
  });

  it('reads big-endian records (byteorder "big") and deflated zip entries', () => {
    for (const name of ['big_endian.pt', 'deflated.pt']) {
      const t = readPytorchCheckpoint(fixture(name));
      expect(values(t.get('w')!.data), name).toEqual([1, -2, 3.5]);
      expect(values(t.get('v')!.data), name).toEqual([0, 2, 1, 3]);
    }
  });

  it('a deflated entry whose data does not inflate, or that declares more than it can hold, is a CheckpointFormatError (fuzz cases)', () => {
    const damaged = fixture('deflated.pt');
    damaged[67] = 147; // inside data.pkl's deflate stream: fflate threw a raw "invalid length/literal"
    expect(() => readPytorchCheckpoint(damaged)).toThrow(CheckpointFormatError);
    expect(() => readPytorchCheckpoint(damaged)).toThrow(/^zip entry "[^"]+" is corrupted: its compressed data does not inflate \(invalid length\/literal\)/);

    const bytes = fixture('deflated.pt');
    const entry = [...readZipDirectory(bytes).values()].find((e) => e.method === 8)!;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const central = bytes.findLastIndex((_, p) => p + 46 <= bytes.byteLength && view.getUint32(p, true) === 0x02014b50 && new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + view.getUint16(p + 28, true))) === entry.name);
    view.setUint32(central + 24, 0x7fffffff, true); // uncompressed size: 2 GB, before anything is allocated for it
    expect(() => readPytorchCheckpoint(bytes)).toThrow(`zip entry "${entry.name}" is corrupted: it declares 2147483647 bytes, more than its ${entry.compressedSize} compressed bytes can hold`);
  });

  it('refuses a pickle naming os.system without running it', () => {
    let error: unknown;
    try {
      readPytorchCheckpoint(fixture('disallowed_global.pt'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DisallowedGlobalError);
    expect((error as DisallowedGlobalError).global).toBe('posix.system');
    expect((error as Error).message).toMatch(/"posix\.system".*nothing in the file was executed/);
    expect(existsSync('/tmp/kmax-lens-pwned')).toBe(false);
  });

  it('explains legacy, truncated and foreign files', () => {
    expect(() => readPytorchCheckpoint(fixture('legacy.pt'))).toThrow(LegacyTorchFormatError);
    expect(() => readPytorchCheckpoint(fixture('legacy.pt'))).toThrow(/_use_new_zipfile_serialization=True/);
    expect(() => readPytorchCheckpoint(bytes.subarray(0, bytes.byteLength - 40))).toThrow(/truncated/);
    expect(() => readPytorchCheckpoint(bytes.subarray(0, 1500))).toThrow(/truncated/);
    expect(() => readPytorchCheckpoint(fixture('f4.npy'))).toThrow(/not a PyTorch checkpoint/);
    expect(() => readPytorchCheckpoint(new Uint8Array(0))).toThrow(/not a PyTorch checkpoint/);
  });

  it('names a corrupted tensor record (CRC-32 mismatch)', () => {
    const damaged = new Uint8Array(bytes);
    const entry = [...readZipDirectory(damaged).values()].find((e) => e.name.endsWith('/data/0'));
    if (entry === undefined) throw new Error('fixture has no data/0 record');
    const view = new DataView(damaged.buffer, damaged.byteOffset);
    const at = entry.localHeaderOffset;
    damaged[at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true)] ^= 0xff;
    expect(() => readPytorchCheckpoint(damaged)).toThrow(/zip entry ".*\/data\/0" is corrupted \(CRC-32 mismatch\)/);
    expect(() => readPytorchCheckpoint(bytes)).not.toThrow();
  });

  it('a directory entry whose name, extra field or comment runs past the end is truncated, not a RangeError (a fuzz case)', () => {
    const damaged = new Uint8Array(bytes);
    const view = new DataView(damaged.buffer, damaged.byteOffset);
    let last = -1;
    for (let p = 0; p + 4 <= damaged.byteLength; p++) if (view.getUint32(p, true) === 0x02014b50) last = p;
    view.setUint16(last + 30, 0xfff0, true);
    expect(() => readPytorchCheckpoint(damaged)).toThrow(CheckpointFormatError);
    expect(() => readPytorchCheckpoint(damaged)).toThrow(/truncated/);
  });
});

/** A file read in ranges, recording each range. */
function ranged(bytes: Uint8Array): RandomAccessFile & { reads: [number, number][] } {
  const file = randomAccessBlob(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const reads: [number, number][] = [];
  return { size: file.size, reads, read: (start, end) => (reads.push([start, end]), file.read(start, end)) };
}

async function readLazily(file: RandomAccessFile) {
  const checkpoint = await openPytorchCheckpoint(file);
  const tensors = new Map<string, { dtype: string; shape: readonly number[]; data: (number | bigint)[] }>();
  for await (const [key, t] of checkpoint.entries()) tensors.set(key, { dtype: t.dtype, shape: t.shape, data: values(t.data) });
  return tensors;
}

describe('openPytorchCheckpoint (a file read in ranges)', () => {
  it.each(['views.pt', 'bare_module.pt', 'deflated.pt', 'big_endian.pt'])('gives what readPytorchCheckpoint gives: %s', async (name) => {
    const bytes = fixture(name);
    const whole = readPytorchCheckpoint(bytes);
    const lazy = await readLazily(ranged(bytes));
    expect([...lazy.keys()]).toEqual([...whole.keys()]);
    for (const [key, t] of whole) expect(lazy.get(key)).toEqual({ dtype: t.dtype, shape: t.shape, data: values(t.data) });
  });

  it('never reads the file whole: the directory from the tail, then one record at a time', async () => {
    const bytes = new Uint8Array(readFileSync('training/fixtures/r50-coco-4stage/checkpoint.pth'));
    const file = ranged(bytes);
    const lazy = await readLazily(file);
    expect(lazy.size).toBe(readPytorchCheckpoint(bytes).size);
    const records = [...readZipDirectory(bytes).values()];
    const largest = Math.max(...records.map((e) => e.compressedSize));
    expect(largest).toBeLessThan(bytes.byteLength / 5);
    // The tail: the end record, its comment room and the directory.
    const tail = bytes.byteLength - Math.min(...records.map((e) => e.localHeaderOffset + 30 + e.name.length + e.compressedSize));
    for (const [start, end] of file.reads) expect(end - start).toBeLessThanOrEqual(Math.max(largest, tail + 0xffff + 100));
    expect(file.reads.length).toBeGreaterThan(records.length);
  });

  it('fails as readPytorchCheckpoint does on legacy, truncated, foreign and corrupted files', async () => {
    const bytes = fixture('views.pt');
    const damaged = new Uint8Array(bytes);
    const entry = [...readZipDirectory(damaged).values()].find((e) => e.name.endsWith('/data/0'))!;
    const view = new DataView(damaged.buffer, damaged.byteOffset);
    const at = entry.localHeaderOffset;
    damaged[at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true)] ^= 0xff;
    const cases: [Uint8Array, RegExp][] = [
      [fixture('legacy.pt'), /_use_new_zipfile_serialization=True/],
      [bytes.subarray(0, bytes.byteLength - 40), /truncated/],
      [bytes.subarray(0, 1500), /truncated/],
      [fixture('f4.npy'), /not a PyTorch checkpoint/],
      [new Uint8Array(0), /not a PyTorch checkpoint/],
      [damaged, /zip entry ".*\/data\/0" is corrupted \(CRC-32 mismatch\)/],
    ];
    for (const [file, message] of cases) {
      expect(() => readPytorchCheckpoint(file)).toThrow(message);
      await expect(readLazily(ranged(file))).rejects.toThrow(message);
    }
    await expect(readLazily(ranged(fixture('legacy.pt')))).rejects.toThrow(LegacyTorchFormatError);
  });
});

describe('readNumpyPickle', () => {
  it.each([2, 4, 5])('reads {"model": {name: ndarray}} pickled with protocol %i', (protocol) => {
    const sd = readNumpyPickle(fixture(`numpy_p${protocol}.pkl`));
    expect([...sd.keys()]).toEqual(['a', 'h', 'n', 'b']);
    const a = sd.get('a')!;
    expect([a.dtype, a.shape, values(a.data)]).toEqual(['float32', [2, 3], [0, 1, 2, 3, 4, 5]]);
    expect(values(toFloat32(sd.get('h')!))).toEqual([0.5, -2]);
    const n = sd.get('n')!;
    expect([n.dtype, n.shape, values(n.data)]).toEqual(['int64', [], [9n]]);
    expect([sd.get('b')!.dtype, values(sd.get('b')!.data)]).toEqual(['bool', [1, 0]]);
  });

  it('refuses disallowed globals and non-pickles', () => {
    expect(() => readNumpyPickle(fixture('disallowed_global.pkl'))).toThrow(DisallowedGlobalError);
    expect(() => readNumpyPickle(fixture('f4.npy'))).toThrow(/not a Python pickle/);
    expect(() => readNumpyPickle(fixture('numpy_p4.pkl').subarray(0, 200))).toThrow(/ends early/);
  });
});
