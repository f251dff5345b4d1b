import { CheckpointFormatError } from '../errors';

/**
 * Why a TensorFlow checkpoint (`ckpt-N.index` + `ckpt-N.data-*`) could not be read.
 * Structural damage that fits none of these raises a plain CheckpointFormatError.
 */

/** The file given as the index is not a TensorFlow tensor-bundle index at all. */
export class NotATfIndexError extends CheckpointFormatError {
  override readonly name = 'NotATfIndexError';
  constructor(detail: string) {
    super(
      `This is not a TensorFlow checkpoint index (${detail}). ` +
        'Pass the "ckpt-N.index" file as the index and the "ckpt-N.data-00000-of-00001" file(s) as data shards.',
    );
  }
}

/** The index or a data shard ends before the data it announces. */
export class TruncatedTfBundleError extends CheckpointFormatError {
  override readonly name = 'TruncatedTfBundleError';
  constructor(what: string) {
    super(`The TensorFlow checkpoint is truncated: ${what}. Download or copy the file again.`);
  }
}

/** A stored CRC-32C does not match the bytes: the file was damaged after TensorFlow wrote it. */
export class TfChecksumError extends CheckpointFormatError {
  override readonly name = 'TfChecksumError';
  constructor(
    what: string,
    /** The tensor whose data failed, when it was tensor data (not an index block). */
    readonly tensor?: string,
  ) {
    super(`Checksum mismatch in the TensorFlow checkpoint: ${what}. The file is corrupted; download it again.`);
  }
}

/**
 * A compressed index block whose checksum holds but whose contents do not decompress:
 * the file was written wrong (a damaged file fails its checksum first). Names the block.
 */
export class CorruptTfBlockError extends CheckpointFormatError {
  override readonly name = 'CorruptTfBlockError';
  constructor(
    /** Which block, and its byte offset in the index file. */
    readonly block: string,
    detail: string,
  ) {
    super(`The TensorFlow checkpoint index is corrupted: ${block} is Snappy-compressed, but ${detail}. Download or copy the file again.`);
  }
}

/** A valid checkpoint that uses a feature this reader does not implement. */
export class UnsupportedTfBundleError extends CheckpointFormatError {
  override readonly name = 'UnsupportedTfBundleError';
  constructor(what: string) {
    super(`This TensorFlow checkpoint uses ${what}, which kMaX Lens cannot read. Re-save it with TensorFlow's defaults.`);
  }
}
