/**
 * A tensor as a checkpoint file holds it: element type, shape, C-order data.
 * Readers produce these and know nothing about the model; key maps turn them into
 * engine tensors. `data` may be a view into the file's bytes (no copy).
 */
export type RawDType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** float16 is kept as its raw bits; bool as one byte per element (0 or 1). */
export interface RawDataOf {
  float32: Float32Array;
  float16: Uint16Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type RawData = RawDataOf[RawDType];

export interface RawTensor {
  readonly dtype: RawDType;
  readonly shape: readonly number[];
  readonly data: RawData;
}

export const BYTES_PER_ELEMENT: Readonly<Record<RawDType, number>> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Every reader assumes a little-endian host (all browsers and Node targets are). */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Typed array over little-endian `bytes`. A view when the bytes are aligned for the
 * element size (checkpoint records usually are), otherwise a copy.
 */
export function typedArrayFromBytes(dtype: RawDType, bytes: Uint8Array): RawData {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error('kMaX Lens checkpoint readers need a little-endian host');
  const size = BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  // A copy (not `slice`, which is a view on a Node Buffer) re-aligns unaligned storage.
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  const { buffer, byteOffset } = aligned;
  const length = aligned.byteLength / size;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'float16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'float64':
      return new Float64Array(buffer, byteOffset, length);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'int16':
      return new Int16Array(buffer, byteOffset, length);
    case 'int8':
      return new Int8Array(buffer, byteOffset, length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, length);
  }
}

/** The bytes under a typed array (a view, no copy). */
export function bytesOf(data: RawData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Copies the strided view `source[offset + sum(index[d] * stride[d])]` of `shape` into
 * a new C-order array. Materialises torch views, and permutes axes (strides permuted).
 */
export function stridedCopy<T extends RawData>(
  source: T,
  offset: number,
  fullShape: readonly number[],
  fullStride: readonly number[],
): T {
  const out = new (source.constructor as new (n: number) => T)(elementCount(fullShape));
  if (out.length === 0) return out;
  // Size-1 axes do not move the read position; dropping them lengthens the inner run.
  const axes = fullShape.map((_, d) => d).filter((d) => fullShape[d] !== 1);
  const shape = axes.map((d) => fullShape[d]);
  const stride = axes.map((d) => fullStride[d]);
  const src = source as unknown as { [i: number]: number | bigint };
  const dst = out as unknown as { [i: number]: number | bigint };
  // Odometer over the outer axes; a tight loop along the last one.
  const rank = shape.length;
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const innerStride = rank === 0 ? 0 : stride[rank - 1];
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let at = offset;
  for (let k = 0; k < out.length; k += inner) {
    if (innerStride === 1 && inner >= 16) copyRun(out, source, k, at, inner);
    else for (let j = 0, a = at; j < inner; j++, a += innerStride) dst[k + j] = src[a];
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      at += stride[d];
      if (index[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** out[k .. k+n) = source[at .. at+n), natively. */
function copyRun(out: RawData, source: RawData, k: number, at: number, n: number): void {
  (out as Float32Array).set((source as Float32Array).subarray(at, at + n), k);
}

/** Reverses the byte order of every element (for big-endian sources); returns a copy. */
export function swapBytes(bytes: Uint8Array, elementSize: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += elementSize) {
    for (let j = 0; j < elementSize; j++) out[i + j] = bytes[i + elementSize - 1 - j];
  }
  return out;
}

/** IEEE half bits -> float32 value (subnormals, infinities and NaN included). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 bits are the high half of a float32. */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/** Float values of a floating-point raw tensor, as float32 (a view when already float32). */
export function toFloat32(tensor: RawTensor): Float32Array {
  const { data } = tensor;
  switch (tensor.dtype) {
    case 'float32':
      return data as Float32Array;
    case 'float16': {
      const bits = data as Uint16Array;
      const out = new Float32Array(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]);
      return out;
    }
    case 'float64':
      return Float32Array.from(data as Float64Array);
    default:
      throw new TypeError(`expected a floating-point tensor, got ${tensor.dtype}`);
  }
}
