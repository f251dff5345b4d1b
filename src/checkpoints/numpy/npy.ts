import { CheckpointFormatError } from '../errors';
import { bytesOf, elementCount, typedArrayFromBytes, type RawTensor, BYTES_PER_ELEMENT } from '../raw-tensor';
import { descrOf, dtypeOfDescr } from './descr';

/**
 * The .npy format (numpy `lib/format.py` NEP 1): magic "\x93NUMPY", version, header
 * length (2 bytes in v1, 4 in v2/v3), a Python-literal dict header, raw C-order data.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy pads the preamble + header to a multiple of this, for aligned memory maps. */
const HEADER_ALIGNMENT = 64;

interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
}

/** Reads a .npy file. The returned data is a view into `bytes` when aligned. */
export function readNpy(bytes: Uint8Array): RawTensor {
  if (bytes.byteLength < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new CheckpointFormatError('not a .npy file (missing the "\\x93NUMPY" magic)');
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    headerStart = 12;
    if (bytes.byteLength < headerStart) throw new CheckpointFormatError('.npy file ends inside its header length (truncated?)');
    headerLength = view.getUint32(8, true);
  } else {
    throw new CheckpointFormatError(`unsupported .npy version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.byteLength) throw new CheckpointFormatError('.npy file ends inside its header (truncated?)');
  // v1/v2 headers are latin1; v3 allows utf8. The keys we read are ASCII either way.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const header = parseHeader(text);
  const dtype = dtypeOfDescr(header.descr);
  if (header.fortranOrder && header.shape.filter((d) => d > 1).length > 1) {
    throw new CheckpointFormatError(
      '.npy array is in Fortran order; save it with np.save(path, np.ascontiguousarray(arr)) first',
    );
  }
  const byteLength = elementCount(header.shape) * BYTES_PER_ELEMENT[dtype];
  if (dataStart + byteLength > bytes.byteLength) {
    throw new CheckpointFormatError(
      `.npy data is truncated: header promises ${byteLength} bytes, file has ${bytes.byteLength - dataStart}`,
    );
  }
  const data = typedArrayFromBytes(dtype, bytes.subarray(dataStart, dataStart + byteLength));
  return { dtype, shape: header.shape, data };
}

/** Writes a .npy file (version 1.0 unless the header needs 2.0), little-endian, C order. */
export function writeNpy(tensor: RawTensor): Uint8Array {
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(', ')})`;
  const dict = `{'descr': '${descrOf(tensor.dtype)}', 'fortran_order': False, 'shape': ${shape}, }`;
  const needsV2 = dict.length + 10 + HEADER_ALIGNMENT > 0xffff;
  const preamble = needsV2 ? 12 : 10;
  const padded = Math.ceil((preamble + dict.length + 1) / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const headerLength = padded - preamble;
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  const data = bytesOf(tensor.data);
  const out = new Uint8Array(padded + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = needsV2 ? 2 : 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (needsV2) view.setUint32(8, headerLength, true);
  else view.setUint16(8, headerLength, true);
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  out.set(data, padded);
  return out;
}

/** Parses the header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseHeader(text: string): NpyHeader {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (descr === null || fortran === null || shape === null) {
    if (/'descr'\s*:\s*\[/.test(text)) {
      throw new CheckpointFormatError('.npy structured (record) arrays are not supported');
    }
    throw new CheckpointFormatError(`malformed .npy header: ${text.trim()}`);
  }
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new CheckpointFormatError(`malformed .npy shape: (${shape[1]})`);
  }
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims };
}
