/**
 * Why a checkpoint could not be read. Every message says what the file is (or is
 * not) and what to do next.
 */

/** The bytes are not (or no longer) a file this reader understands. */
export class CheckpointFormatError extends Error {
  override readonly name: string = 'CheckpointFormatError';
}

/** A torch.save file in the pre-1.6 (non-zip) format. */
export class LegacyTorchFormatError extends CheckpointFormatError {
  override readonly name = 'LegacyTorchFormatError';
  constructor() {
    super(
      'This is a PyTorch checkpoint in the legacy (pre-1.6, non-zip) format, which kMaX Lens does not read. ' +
        'Re-save it with torch>=1.6: torch.save(torch.load(path), new_path, _use_new_zipfile_serialization=True).',
    );
  }
}

/**
 * The pickle names a Python object outside the whitelist. Raised when the name is
 * resolved, before anything could be called: nothing in the file was executed.
 */
export class DisallowedGlobalError extends CheckpointFormatError {
  override readonly name = 'DisallowedGlobalError';
  constructor(readonly global: string) {
    super(
      `The checkpoint's pickle refers to "${global}", which a weights file never needs; refusing to load it ` +
        '(nothing in the file was executed). Only tensors, numpy arrays and plain containers are accepted.',
    );
  }
}

/** Tensors the key map does not know: most likely a checkpoint of another model. */
export class UnmappedKeysError extends CheckpointFormatError {
  override readonly name = 'UnmappedKeysError';
  constructor(readonly keys: readonly string[]) {
    const shown = keys.slice(0, 10).map((k) => `  ${k}`);
    const more = keys.length > 10 ? [`  ... and ${keys.length - 10} more`] : [];
    super(
      `${keys.length} tensor(s) in this checkpoint are not kMaX-DeepLab weights; is it a checkpoint of another model?\n` +
        [...shown, ...more].join('\n'),
    );
  }
}
