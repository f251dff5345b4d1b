import {
  checkpointSourceOf,
  classesOf,
  convertCheckpoint,
  type ConvertedCheckpoint,
  type ConvertOptions,
  type NamedCheckpointFile,
} from '../convert';
import { applyDeeplab2Config, readDeeplab2Config, type ConfigChange, type Deeplab2Config } from './deeplab2-config';
import { archiveKindOf, readCheckpointArchive, type ArchiveKind, type ArchiveSource } from './read-archive';

/**
 * A deeplab2 checkpoint archive (`.tar.gz` as published, `.tar`, or a `.zip` of the
 * checkpoint folder) -> a converted checkpoint whose config follows the archive's
 * training config where it has one: dataset, input (crop) size and post-processing
 * thresholds come from the `*.textproto`, and every value that differs from what
 * detection gave is listed in `changes`. A config given in the options wins over both.
 */

export interface ConvertArchiveOptions extends Omit<ConvertOptions, 'fileNames'> {
  /** The archive's file name (a File's own name is used where this is absent). */
  readonly name?: string;
  /** Total bytes of a streamed archive, for progress. */
  readonly size?: number;
}

export interface ConvertedArchive extends ConvertedCheckpoint {
  readonly archive: {
    readonly kind: ArchiveKind;
    /** The checkpoint's path prefix inside the archive. */
    readonly prefix: string;
    /** Path of the training config inside the archive, when there is one. */
    readonly configPath?: string;
  };
  /** What the training config says, when the archive has one. */
  readonly training?: Deeplab2Config;
  /** Config fields the training config set to another value than detection gave. */
  readonly changes: readonly ConfigChange[];
}

export async function convertArchive(source: ArchiveSource, options: ConvertArchiveOptions = {}): Promise<ConvertedArchive> {
  const { onProgress } = options;
  const contents = await readCheckpointArchive(source, { name: options.name, size: options.size, onProgress });
  const members = [contents.index, ...contents.data];
  const converted = await convertCheckpoint(
    { index: contents.index.bytes, data: contents.data.map((m) => m.bytes) },
    {
      fileNames: members.map((m) => m.path),
      config: options.config,
      processing: options.processing,
      // The archive's bytes were the read progress; the members are already in memory.
      onProgress: (p) => (p.status === 'convert' ? onProgress?.(p) : undefined),
    },
  );
  const provenance = { ...converted.provenance, files: [contents.archive, ...converted.provenance.files] };
  const archive = { kind: contents.kind, prefix: contents.prefix, ...(contents.config ? { configPath: contents.config.path } : {}) };
  if (contents.config === undefined || options.config !== undefined) {
    return { ...converted, provenance, archive, changes: [] };
  }
  const training = readDeeplab2Config(new TextDecoder().decode(contents.config.bytes), contents.config.path);
  const { config, changes } = applyDeeplab2Config(converted.config, training);
  const classes = config.dataset === converted.config.dataset ? converted.classes : classesOf(config);
  return { ...converted, config, classes, provenance, archive, training, changes };
}

/**
 * Files as a command line or a drop gives them -> a converted checkpoint: one archive
 * is unpacked and converted with its config, anything else goes to convertCheckpoint.
 */
export async function convertCheckpointFiles(
  files: readonly NamedCheckpointFile[],
  options: Omit<ConvertOptions, 'fileNames'> = {},
): Promise<ConvertedCheckpoint | ConvertedArchive> {
  if (files.length === 1 && (await archiveKindOf(files[0].file)) !== undefined) {
    return convertArchive(files[0].file, { ...options, name: files[0].name });
  }
  const { source, fileNames } = await checkpointSourceOf(files);
  return convertCheckpoint(source, { ...options, fileNames });
}

export function isConvertedArchive(converted: ConvertedCheckpoint): converted is ConvertedArchive {
  return 'archive' in converted;
}
