import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { convertCheckpointFiles, isConvertedArchive } from '../../src/checkpoints/archive/convert-archive';
import type { ConvertedCheckpoint, ConvertProgress } from '../../src/checkpoints/convert';
import { encodeModelFolder } from '../../src/loading/model-folder';
import type { KMaXConfig, ProcessingStyle } from '../../src/model/config';
import { KMaXDeepLab } from '../../src/model/meta-arch/kmax-deeplab';
import { getPreset } from '../../src/model/presets';
import { writeModelDir } from '../model-dir';
import { selectNodeBackend } from '../node-backend';
import { openCheckpointFiles } from './inspect';
import { parseAttention } from './segment';
import { requireValue, UsageError } from '../usage';

export const CONVERT_USAGE =
  'kmax convert CHECKPOINT [MORE_FILES] --out DIR [--fp16] [--preset NAME | --config FILE] [--processing pytorch|tf] ' +
  '[--trained-attention kmeans|softmax|masked|cluster-softmax]\n' +
  '  CHECKPOINT: a PyTorch .pth, a detectron2 .pkl, a TensorFlow checkpoint (ckpt-N.index and its ckpt-N.data-* files),\n' +
  '  or a deeplab2 archive as published (.tar.gz; also .tar, or .zip of the checkpoint folder), whose *.textproto sets\n' +
  '  the dataset, input size and thresholds\n' +
  '  --trained-attention: the cross-attention the weights were trained with, recorded in model.json (the app marks it "as trained")';

/**
 * `kmax convert`: an official checkpoint -> a model folder. The config is detected
 * from the weights (or given), and the weights are checked against the model it
 * describes before anything is written.
 */
export async function convertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      fp16: { type: 'boolean', default: false },
      preset: { type: 'string' },
      config: { type: 'string' },
      processing: { type: 'string' },
      'trained-attention': { type: 'string' },
    },
  });
  requireValue(positionals[0], 'CHECKPOINT', CONVERT_USAGE);
  const out = requireValue(values.out, '--out', CONVERT_USAGE);
  if (values.preset !== undefined && values.config !== undefined) throw new UsageError(`give --preset or --config, not both\nusage: ${CONVERT_USAGE}`);
  const processing = processingStyle(values.processing);
  const trained = values['trained-attention'];
  const trainedAttention = trained === undefined ? undefined : parseAttention(trained, '--trained-attention');
  const started = performance.now();

  const files = await openCheckpointFiles(positionals);
  const progress = new ProgressBar();
  let converted: ConvertedCheckpoint;
  try {
    converted = await convertCheckpointFiles(files, {
      config: await overrideConfig(values.preset, values.config),
      processing,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.finish();
  }
  const given = (values.preset ?? values.config) !== undefined;
  if (isConvertedArchive(converted)) {
    const { archive, changes, training } = converted;
    console.log(`${converted.provenance.source} checkpoint ${archive.prefix} in ${archive.kind} archive ${files[0].name} (optimizer slots and counters skipped)`);
    if (archive.configPath === undefined) console.log('no training config (*.textproto) in the archive: config detected from the weights');
    else if (given) console.log(`training config ${archive.configPath} not used: ${values.preset !== undefined ? '--preset' : '--config'} given`);
    else {
      const what = changes.map((c) => `${c.field} ${c.textproto} (detected ${c.detected})`).join(', ');
      console.log(`training config ${archive.configPath} (${training?.dataset ?? 'dataset not named'}) ${changes.length === 0 ? 'agrees with detection' : `wins over detection: ${what}`}`);
    }
  } else {
    console.log(`${converted.provenance.source} checkpoint: ${converted.provenance.files.map((f) => f.name ?? 'unnamed').join(', ')}`);
  }
  const shaped = given || (isConvertedArchive(converted) && converted.changes.length > 0);
  console.log(`${shaped ? 'config' : 'detected'} ${describe(converted.config)}`);
  await checkWeightsFit(converted);

  const written = await writeModelDir(
    out,
    encodeModelFolder({
      config: converted.config,
      classes: converted.classes,
      provenance: trainedAttention === undefined ? converted.provenance : { ...converted.provenance, trainedAttention },
      tensors: converted.tensors,
      fp16: values.fp16,
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${converted.tensors.size} tensors (${converted.dropped.length} training-only keys dropped), ${(written / 1e6).toFixed(1)} MB ` +
      `${values.fp16 ? 'float16' : 'float32'} -> ${out} in ${seconds.toFixed(1)} s`,
  );
  return 0;
}

function processingStyle(value: string | undefined): ProcessingStyle | undefined {
  if (value === undefined || value === 'pytorch' || value === 'tf') return value;
  throw new UsageError(`--processing must be "pytorch" or "tf", got "${value}"`);
}

async function overrideConfig(preset: string | undefined, configFile: string | undefined): Promise<KMaXConfig | undefined> {
  if (preset !== undefined) return getPreset(preset);
  if (configFile !== undefined) return JSON.parse(await readFile(configFile, 'utf8')) as KMaXConfig;
  return undefined;
}

/**
 * Builds the model of the config around the converted tensors (the cpu backend views
 * them, no copy): its WeightsMismatchError names every missing, unexpected and
 * mis-shaped weight, e.g. for a checkpoint of another variant than `--preset`.
 */
async function checkWeightsFit(converted: ConvertedCheckpoint): Promise<void> {
  await selectNodeBackend('cpu');
  const tensors = new Map([...converted.tensors].map(([key, t]) => [key, tf.tensor(t.data, t.shape)]));
  try {
    new KMaXDeepLab(converted.config, tensors).dispose();
  } catch (e) {
    tf.dispose([...tensors.values()]);
    throw e;
  }
}

function describe(c: KMaXConfig): string {
  const b = c.backbone;
  const backbone =
    b.type === 'resnet'
      ? `ResNet (${b.variant}) depths ${b.depths.join('/')}`
      : b.type === 'convnext'
        ? `ConvNeXt depths ${b.depths.join('/')} dims ${b.dims.join('/')}`
        : `Axial-ResNet (MaX-S type) depths ${b.depths.join('/')} bases ${b.bases.join('/')}`;
  return (
    `${c.name}: ${backbone}, ${c.pixelDecoder.stages.length}-stage decoder, K=${c.transformerDecoder.numClusters}, ` +
    `${c.numClasses} classes (${c.dataset}), input ${c.inputSize.join('x')}, ${c.processing} pre/post-processing`
  );
}

/** A one-line progress bar on stderr (bytes read, then tensors converted); one summary line when not a terminal. */
class ProgressBar {
  private last = '';

  update(p: ConvertProgress): void {
    const [done, total, unit] =
      p.status === 'read' ? [p.loaded / 1e6, p.total / 1e6, 'MB read'] : [p.converted, p.total, 'tensors converted'];
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const amount = p.status === 'read' ? `${done.toFixed(1)}/${total.toFixed(1)}` : `${done}/${total}`;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${amount} ${unit}`;
    if (line !== this.last && process.stderr.isTTY) process.stderr.write(`\r${line}`);
    this.last = line;
  }

  finish(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
    else if (this.last !== '') console.error(this.last);
  }
}
