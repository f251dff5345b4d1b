import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint, type ConvertProgress } from '../../src/checkpoints/convert';
import { encodeModelFolder, type HostTensor } from '../../src/loading/model-folder';
import type { KMaXConfig } from '../../src/model/config';
import { getPreset } from '../../src/model/presets';
import { writeModelDir } from '../model-dir';
import { requireValue } from '../usage';

export const CONVERT_USAGE = 'kmax convert CHECKPOINT --out DIR [--fp16] [--preset NAME | --config FILE]';

/** `kmax convert`: an official checkpoint -> a model folder, config detected from the weights. */
export async function convertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, fp16: { type: 'boolean', default: false }, preset: { type: 'string' }, config: { type: 'string' } },
  });
  const file = requireValue(positionals[0], 'CHECKPOINT', CONVERT_USAGE);
  const out = requireValue(values.out, '--out', CONVERT_USAGE);
  const started = performance.now();
  const bytes = new Uint8Array(await readFile(file));
  const progress = new ProgressBar((await stat(file)).size);
  const converted = await convertCheckpoint(bytes, {
    fileName: path.basename(file),
    config: await overrideConfig(values.preset, values.config),
    onProgress: (p) => progress.update(p),
  });
  progress.finish();
  console.log(`detected ${describe(converted.config)}`);
  const tensors = new Map<string, HostTensor>();
  for (const [key, t] of converted.tensors) tensors.set(key, { shape: t.shape, data: t.data as Float32Array });
  const written = await writeModelDir(
    out,
    encodeModelFolder({ config: converted.config, classes: converted.classes, provenance: converted.provenance, tensors, fp16: values.fp16 }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${tensors.size} tensors (${converted.dropped.length} training-only keys dropped), ${(written / 1e6).toFixed(1)} MB ` +
      `${values.fp16 ? 'float16' : 'float32'} -> ${out} in ${seconds.toFixed(1)} s`,
  );
  return 0;
}

async function overrideConfig(preset: string | undefined, configFile: string | undefined): Promise<KMaXConfig | undefined> {
  if (preset !== undefined) return getPreset(preset);
  if (configFile !== undefined) return JSON.parse(await readFile(configFile, 'utf8')) as KMaXConfig;
  return undefined;
}

function describe(c: KMaXConfig): string {
  const b = c.backbone;
  const backbone = b.type === 'resnet' ? `ResNet (${b.variant}) depths ${b.depths.join('/')}` : `ConvNeXt depths ${b.depths.join('/')} dims ${b.dims.join('/')}`;
  return `${c.name}: ${backbone}, ${c.pixelDecoder.stages.length}-stage decoder, K=${c.transformerDecoder.numClusters}, ${c.numClasses} classes (${c.dataset}), input ${c.inputSize.join('x')}`;
}

/** A one-line progress bar on stderr (bytes read, then tensors converted). */
class ProgressBar {
  private last = '';
  constructor(private readonly bytes: number) {}

  update(p: ConvertProgress): void {
    const [done, total, unit] = p.status === 'read' ? [p.loaded, p.total, 'bytes read'] : [p.converted, p.total, 'tensors converted'];
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${unit}`;
    if (line !== this.last && process.stderr.isTTY) process.stderr.write(`\r${line}`);
    this.last = line;
  }

  finish(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
    else console.error(`${this.last} (${(this.bytes / 1e6).toFixed(1)} MB file)`);
  }
}
