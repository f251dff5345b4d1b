/**
 * `npm run fuzz -- [--cases N] [--seed S] [FILTER...]`: the fuzz suites (*.fuzz.test.ts)
 * with N cases per reader instead of CI's 2000; FILTER (e.g. numpy.fuzz) runs only the matching suites.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { cases: { type: 'string', default: '2000' }, seed: { type: 'string' } },
});
const env = { ...process.env, KMAX_FUZZ_CASES: values.cases, ...(values.seed === undefined ? {} : { KMAX_FUZZ_SEED: values.seed }) };
const filters = positionals.length > 0 ? positionals.map((f) => (f.includes('.fuzz') ? f : `${f}.fuzz`)) : ['.fuzz.test.ts'];
const result = spawnSync('npx', ['vitest', 'run', ...filters], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
