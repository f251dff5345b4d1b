import { describe, expect, it } from 'vitest';
import { fixture, misaligned } from '../testdata/fixtures';
import { readNpy, writeNpy } from './npy';

describe('readNpy', () => {
  it('reads float32 (v1 header) as a view into the file', () => {
    const bytes = fixture('f4.npy');
    const t = readNpy(bytes);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(t.data.buffer).toBe(bytes.buffer);
  });

  it('copies when the data is not aligned', () => {
    const bytes = misaligned(fixture('f4.npy'));
    const t = readNpy(bytes);
    expect(Array.from(t.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(t.data.buffer).not.toBe(bytes.buffer);
  });

  it('reads v2 and v3 headers', () => {
    const v2 = readNpy(fixture('f4_v2.npy'));
    expect(v2.shape).toEqual([3, 2]);
    expect(Array.from(v2.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    const v3 = readNpy(fixture('f4_v3.npy'));
    expect(v3.shape).toEqual([4]);
    expect(Array.from(v3.data as Float32Array)).toEqual([0, 1, 2, 3]);
  });

  it('a v2 file cut inside its 4-byte header length is truncated, not a RangeError', () => {
    expect(() => readNpy(fixture('f4_v2.npy').subarray(0, 10))).toThrow('.npy file ends inside its header length (truncated?)');
    expect(() => readNpy(fixture('f4_v2.npy').subarray(0, 11))).toThrow('.npy file ends inside its header length (truncated?)');
  });

  it('reads int64, int32, float16, uint8, bool and 0-d arrays', () => {
    const i8 = readNpy(fixture('i8.npy'));
    expect(i8.dtype).toBe('int64');
    expect(Array.from(i8.data as BigInt64Array)).toEqual([-1n, 2n ** 40n]);
    const i4 = readNpy(fixture('i4.npy'));
    expect([i4.dtype, i4.shape, Array.from(i4.data as Int32Array)]).toEqual(['int32', [1, 1], [-7]]);
    const f2 = readNpy(fixture('f2.npy'));
    expect(f2.dtype).toBe('float16');
    expect(Array.from(f2.data as Uint16Array)).toEqual([0x3c00, 0xb400]); // 1.0, -0.25
    const u1 = readNpy(fixture('u1.npy'));
    expect([u1.dtype, Array.from(u1.data as Uint8Array)]).toEqual(['uint8', [0, 200]]);
    const b1 = readNpy(fixture('b1.npy'));
    expect([b1.dtype, Array.from(b1.data as Uint8Array)]).toEqual(['bool', [1, 0, 1]]);
    const scalar = readNpy(fixture('scalar.npy'));
    expect([scalar.shape, Array.from(scalar.data as Float32Array)]).toEqual([[], [2.5]]);
  });

  it('rejects Fortran order, big-endian and unknown dtypes with specific messages', () => {
    expect(() => readNpy(fixture('fortran.npy'))).toThrow(/Fortran order/);
    expect(() => readNpy(fixture('big_endian.npy'))).toThrow(/big-endian/);
    expect(() => readNpy(fixture('complex.npy'))).toThrow(/"<c8" is not supported/);
    expect(() => readNpy(fixture('views.pt'))).toThrow(/not a \.npy file/);
    expect(() => readNpy(fixture('f4.npy').subarray(0, 140))).toThrow(/truncated/);
  });
});

describe('writeNpy', () => {
  it('writes the same bytes numpy writes', () => {
    const original = fixture('f4.npy');
    expect(writeNpy(readNpy(original))).toEqual(original);
    const b1 = fixture('b1.npy');
    expect(writeNpy(readNpy(b1))).toEqual(b1);
  });

  it('round-trips every dtype with a 64-byte aligned header', () => {
    const tensors = [
      { dtype: 'int64', shape: [2], data: new BigInt64Array([5n, -6n]) },
      { dtype: 'float16', shape: [1, 2], data: new Uint16Array([0x3c00, 0x7bff]) },
      { dtype: 'int32', shape: [], data: new Int32Array([42]) },
      { dtype: 'float32', shape: [2, 1, 2], data: new Float32Array([1, 2, 3, 4]) },
    ] as const;
    for (const t of tensors) {
      const bytes = writeNpy(t);
      const back = readNpy(bytes);
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
      expect((bytes.byteLength - back.data.byteLength) % 64).toBe(0);
    }
  });
});
