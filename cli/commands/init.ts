import { parseArgs } from 'node:util';
import { datasetClasses } from '../../src/datasets';
import { encodeModelFolder } from '../../src/loading/model-folder';
import { getPreset } from '../../src/model/presets';
import { initRandomModel } from '../../src/model/random-init';
import { writeModelDir } from '../model-dir';
import { selectNodeBackend } from '../node-backend';
import { requireValue } from '../usage';

export const INIT_USAGE = 'kmax init --preset NAME --out DIR [--seed N] [--fp16]';

/** `kmax init`: a random model of any preset, BatchNorm statistics calibrated. */
export async function initCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { preset: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '0' }, fp16: { type: 'boolean', default: false } },
  });
  const config = getPreset(requireValue(values.preset, '--preset', INIT_USAGE));
  const out = requireValue(values.out, '--out', INIT_USAGE);
  await selectNodeBackend('wasm');
  const started = performance.now();
  const tensors = await initRandomModel(config, Number(values.seed));
  const files = encodeModelFolder({
    config,
    classes: datasetClasses(config.dataset),
    provenance: { source: 'random-init', tool: 'kmax init', createdAt: new Date().toISOString(), notes: `seed ${values.seed}` },
    tensors,
    fp16: values.fp16,
  });
  const bytes = await writeModelDir(out, files);
  console.log(`${config.name}: ${tensors.size} tensors, ${(bytes / 1e6).toFixed(1)} MB written to ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
