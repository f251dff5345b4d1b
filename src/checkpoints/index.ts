/** Checkpoint readers and conversion to engine tensors. No tfjs, no DOM, no fs: usable in Node and workers. */
export { readPytorchCheckpoint } from './pytorch/read-checkpoint';
export { readNumpyPickle } from './numpy/read-pickle';
export { readNpy, writeNpy } from './numpy/npy';
export { toEngineTensors, type EngineTensor, type EngineTensors } from './to-engine';
export { detectConfig } from './detect-config';
export {
  convertCheckpoint,
  CONVERTER_TOOL,
  type ConvertOptions,
  type ConvertProgress,
  type ConvertedCheckpoint,
  type CheckpointSource,
  type ConverterProvenance,
  readCheckpoint,
  checkpointSourceOf,
} from './convert';
export { readTfBundle } from './tf-bundle/read-bundle';
export {
  convertArchive,
  convertCheckpointFiles,
  isConvertedArchive,
  type ConvertArchiveOptions,
  type ConvertedArchive,
} from './archive/convert-archive';
export { archiveKindOf, readCheckpointArchive, type ArchiveKind, type ArchiveSource, type CheckpointArchive } from './archive/read-archive';
export { CorruptArchiveError, NoCheckpointInArchiveError, TruncatedArchiveError } from './archive/errors';
export type { RawDType, RawTensor, RawData } from './raw-tensor';
export type { StateDict } from './state-dict';
export {
  CheckpointFormatError,
  DisallowedGlobalError,
  LegacyTorchFormatError,
  UnmappedKeysError,
} from './errors';
