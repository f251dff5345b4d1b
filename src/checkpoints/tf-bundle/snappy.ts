/**
 * The raw Snappy format's body (after its varint length preamble): literals and copies
 * written into `output`, which has the declared length. Ours, not a library's: hyparquet's
 * decoder (the snappyjs one with more checks), used before, reads a 4-byte literal length
 * as a signed int, so a damaged length moves its input position backwards; one bit flipped in
 * a 6 KB LevelDB table kept it busy for 11 s (the 100000-case fuzz run). Here every length
 * and offset is checked before it is used, and the output must come out exactly full.
 */
export class SnappyError extends Error {
  override readonly name = 'SnappyError';
}

export function decodeSnappyBody(input: Uint8Array, start: number, output: Uint8Array): void {
  let pos = start;
  let out = 0;
  const need = (bytes: number, what: string) => {
    if (pos + bytes > input.byteLength) throw new SnappyError(`${what} at byte ${pos} runs past the end of the data`);
  };
  const room = (bytes: number) => {
    if (out + bytes > output.byteLength) throw new SnappyError(`the data decode to more than the declared ${output.byteLength} bytes`);
  };
  while (pos < input.byteLength) {
    const tag = input[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let length = (tag >>> 2) + 1;
      if (length > 60) {
        const bytes = length - 60;
        need(bytes, 'a literal length');
        length = 1;
        for (let i = 0; i < bytes; i++) length += input[pos + i] * 2 ** (8 * i);
        pos += bytes;
      }
      need(length, 'a literal');
      room(length);
      output.set(input.subarray(pos, pos + length), out);
      pos += length;
      out += length;
      continue;
    }
    const offsetBytes = kind === 1 ? 1 : kind === 2 ? 2 : 4;
    need(offsetBytes, 'a copy');
    const length = kind === 1 ? ((tag >>> 2) & 7) + 4 : (tag >>> 2) + 1;
    let offset = kind === 1 ? (tag >>> 5) * 256 : 0;
    for (let i = 0; i < offsetBytes; i++) offset += input[pos + i] * 2 ** (8 * i);
    pos += offsetBytes;
    if (offset === 0 || offset > out) throw new SnappyError(`a copy at byte ${pos - offsetBytes - 1} reaches back ${offset} bytes, before the start of the data`);
    room(length);
    // Copies may overlap their own output (a run): byte by byte.
    for (let i = 0; i < length; i++) output[out + i] = output[out - offset + i];
    out += length;
  }
  if (out !== output.byteLength) throw new SnappyError(`the data decode to ${out} bytes, not the declared ${output.byteLength}`);
}
