/**
 * `npx tsx scripts/attention-matrix.ts --images DIR --panoptic-json FILE (--write | --check)`:
 * `kmax eval` of every demo model (training/configs/demo-models.json) under every
 * cross-attention on the held-out scenes (made by `python3 -m training.synthetic.generate
 * --seed 7 --num 200 --size 129`). --write publishes docs/attention-matrix.json and each model's
 * models/<id>/held-out.json (its own attention's `kmax eval --json`, which the app shows);
 * --check (CI) fails where the fresh matrix departs from the published one by more than the
 * table's tolerance or a model falls under its floor. Two evaluations run at a time.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { belowFloor, matrixDepartures, matrixMarkdown, type AttentionMatrix, type DemoModelEntry, type MatrixCell, type MatrixRow } from '../src/eval/attention-matrix';
import { ATTENTION_MODES, type AttentionMode } from '../src/segmenter/types';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TABLE = path.join(ROOT, 'training/configs/demo-models.json');
const PUBLISHED = path.join(ROOT, 'docs/attention-matrix.json');

interface ModelTable {
  readonly heldOut: AttentionMatrix['heldOut'];
  readonly tolerance: number;
  readonly models: readonly DemoModelEntry[];
}

/** What `kmax eval --json` prints (the fields used here). */
interface EvalJson {
  readonly images: number;
  readonly attention: AttentionMode;
  readonly seconds: number;
  readonly all: { readonly pq: number };
  readonly things: { readonly pq: number };
  readonly stuff: { readonly pq: number };
  readonly layerCovering: readonly number[];
}

const { values } = parseArgs({
  options: { images: { type: 'string' }, 'panoptic-json': { type: 'string' }, write: { type: 'boolean', default: false }, check: { type: 'boolean', default: false } },
});
if (values.images === undefined || values['panoptic-json'] === undefined || values.write === values.check) {
  console.error('usage: npx tsx scripts/attention-matrix.ts --images DIR --panoptic-json FILE (--write | --check)');
  process.exit(2);
}
const { images, 'panoptic-json': panopticJson } = values;
const table = JSON.parse(await readFile(TABLE, 'utf8')) as ModelTable;

function kmaxEval(model: string, attention: AttentionMode): Promise<EvalJson> {
  const args = ['bin/kmax.mjs', 'eval', '--model', path.join('models', model), '--images', images, '--panoptic-json', panopticJson, '--attention', attention, '--json'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as EvalJson) : reject(new Error(`kmax ${args.slice(1).join(' ')} exited with ${code}`))));
  });
}

const jobs = table.models.flatMap(({ id }) => ATTENTION_MODES.map((mode) => ({ id, mode })));
const results = new Map<string, EvalJson>();
const started = performance.now();
let next = 0;
await Promise.all(
  [0, 1].map(async () => {
    while (next < jobs.length) {
      const { id, mode } = jobs[next++];
      const result = await kmaxEval(id, mode);
      if (result.images !== table.heldOut.images) throw new Error(`${images} holds ${result.images} scenes, not the ${table.heldOut.images} held-out ones`);
      results.set(`${id}/${mode}`, result);
      console.log(`${id} run with ${mode}: PQ ${(100 * result.all.pq).toFixed(1)} (${result.seconds.toFixed(0)} s)`);
    }
  }),
);
const cell = (r: EvalJson): MatrixCell => ({ pq: r.all.pq, pqThings: r.things.pq, pqStuff: r.stuff.pq, layerCovering: r.layerCovering });
const fresh: AttentionMatrix = {
  heldOut: table.heldOut,
  models: Object.fromEntries(
    table.models.map(({ id, attention }): [string, MatrixRow] => [
      id,
      { trainedWith: attention, runs: Object.fromEntries(ATTENTION_MODES.map((mode) => [mode, cell(results.get(`${id}/${mode}`)!)])) as Record<AttentionMode, MatrixCell> },
    ]),
  ),
};
console.log(`\n${matrixMarkdown(fresh)}\n\n${jobs.length} evaluations took ${((performance.now() - started) / 1000).toFixed(0)} s`);

if (values.write) {
  await writeFile(PUBLISHED, `${JSON.stringify(fresh, null, 1)}\n`);
  for (const { id, attention } of table.models) {
    // Without the run's seconds, so the file changes only when the numbers do.
    const own = { ...results.get(`${id}/${attention}`)!, seconds: undefined };
    await writeFile(path.join(ROOT, 'models', id, 'held-out.json'), `${JSON.stringify(own, null, 1)}\n`);
  }
  console.log(`wrote ${path.relative(ROOT, PUBLISHED)} and models/<id>/held-out.json`);
} else {
  const published = JSON.parse(await readFile(PUBLISHED, 'utf8')) as AttentionMatrix;
  const problems = [...matrixDepartures(published, fresh, table.tolerance), ...belowFloor(fresh, table.models)];
  for (const problem of problems) console.error(`FAIL: ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log(`the matrix matches ${path.relative(ROOT, PUBLISHED)} within ${100 * table.tolerance} PQ and every model is above its floor`);
}
