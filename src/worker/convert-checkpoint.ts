import { convertCheckpointFiles } from '../checkpoints/archive/convert-archive';
import type { NamedCheckpointFile } from '../checkpoints/convert';
import { streamModelFolder, type StreamedModelFolder } from '../loading/model-folder';
import { openModelStore, storedModelId, type StoredModel } from '../loading/model-store';
import type { Provenance } from '../loading/model-format';
import type { ConversionProgress } from './protocol';

export interface ConvertToStoreOptions {
  /**
   * Network input size to store instead of the detected one (the weights do not fix
   * it): smaller runs faster and sees less detail. Sides must be 32k+1.
   */
  readonly inputSize?: readonly [number, number];
}

/**
 * Checkpoint files or one archive (Files from a drop or the file input) -> a stored model, in
 * the worker: convert, write the model folder in float32 (exactly the official
 * weights), keep it in the browser's model store. A .pth File is read by range, tensor
 * by tensor (never whole), and the shards are made and stored one at a time, so the
 * peak is about the converted tensors once (README, "Converting the largest variant").
 */
export async function convertToStore(
  files: readonly NamedCheckpointFile[],
  options: ConvertToStoreOptions,
  onProgress: (progress: ConversionProgress) => void,
): Promise<StoredModel> {
  // Refused storage is found out before a large file is read.
  const store = await openModelStore();
  const { folder, provenance } = await convertToFolder(files, options, onProgress);
  return store.save(storedModelId(provenance), folder, onProgress);
}

async function convertToFolder(
  files: readonly NamedCheckpointFile[],
  { inputSize }: ConvertToStoreOptions,
  onProgress: (progress: ConversionProgress) => void,
): Promise<{ folder: StreamedModelFolder; provenance: Provenance }> {
  // One archive (deeplab2's .tar.gz, a .zip of a checkpoint folder) is unpacked, and its training config applied.
  const converted = await convertCheckpointFiles(files, { onProgress });
  const config = inputSize === undefined ? converted.config : { ...converted.config, inputSize };
  const { provenance } = converted;
  return { folder: streamModelFolder({ config, classes: converted.classes, provenance, tensors: converted.tensors }), provenance };
}
