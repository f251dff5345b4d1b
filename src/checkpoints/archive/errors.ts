import { CheckpointFormatError } from '../errors';

/** Why a checkpoint archive (`.tar.gz`, `.tar`, `.zip`) could not be read. Each names the archive. */

/** The archive ends before its contents do: an interrupted download or copy. */
export class TruncatedArchiveError extends CheckpointFormatError {
  override readonly name = 'TruncatedArchiveError';
  constructor(
    readonly archive: string,
    detail: string,
  ) {
    super(`The archive "${archive}" is truncated (${detail}): the download or copy was cut off; get the file again.`);
  }
}

/** The archive's bytes are damaged: a checksum or the compressed stream does not hold. */
export class CorruptArchiveError extends CheckpointFormatError {
  override readonly name = 'CorruptArchiveError';
  constructor(
    readonly archive: string,
    detail: string,
  ) {
    super(`The archive "${archive}" is damaged (${detail}); get the file again.`);
  }
}

/** A readable archive without a complete TensorFlow checkpoint inside. */
export class NoCheckpointInArchiveError extends CheckpointFormatError {
  override readonly name = 'NoCheckpointInArchiveError';
  constructor(
    readonly archive: string,
    detail: string,
  ) {
    super(`The archive "${archive}" holds no complete TensorFlow checkpoint (${detail}).`);
  }
}
