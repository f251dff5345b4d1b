import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runKmax } from '../run-in-process';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const SAMPLES = repo('models/demo/samples');
const DATA = ['--model', repo('models/demo'), '--images', SAMPLES, '--panoptic-json', `${SAMPLES}/panoptic.json`];
const dir = mkdtempSync(path.join(tmpdir(), 'kmax-eval-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The report without its wall-clock time. */
function numbers(stdout: string): Record<string, unknown> {
  const report = JSON.parse(stdout) as Record<string, unknown>;
  delete report.seconds;
  return report;
}

describe('kmax eval --shard K/N --partial, then --merge', () => {
  it('three shards of the demo samples merge to exactly the numbers of one run', async () => {
    const single = await runKmax('eval', ...DATA, '--json');
    expect(single.stderr).toBe('');
    expect(single.code).toBe(0);

    const parts: string[] = [];
    for (let k = 0; k < 3; k++) {
      const out = path.join(dir, `part-${k}.json`);
      const shard = await runKmax('eval', ...DATA, '--shard', `${k}/3`, '--partial', out);
      expect(shard.code).toBe(0);
      expect(shard.stdout).toMatch(new RegExp(`^shard ${k}/3: 2 of 6 images in [\\d.]+ s -> ${out.replace(/[.\\/]/g, '\\$&')}$`));
      parts.push(out);
    }
    // Every 3rd image, starting at K.
    expect(parts.map((p) => (JSON.parse(readFileSync(p, 'utf8')) as { imageIds: string[] }).imageIds)).toEqual([
      ['synthetic-1.png', 'synthetic-4.png'],
      ['synthetic-2.png', 'synthetic-5.png'],
      ['synthetic-3.png', 'synthetic-6.png'],
    ]);

    const merged = await runKmax('eval', '--merge', parts[2], parts[0], parts[1], '--json');
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    const want = numbers(single.stdout);
    expect(want.images).toBe(6);
    expect(numbers(merged.stdout)).toEqual(want);
    console.log(`single run and merged shards agree exactly: PQ ${(want.all as { pq: number }).pq}, covering ${(want.layerCovering as number[]).join(' ')}`);

    // Incomplete or mixed-up parts are refused, by name.
    const missing = await runKmax('eval', '--merge', parts[0], parts[1]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('kmax eval: PartialFormatError: shards 2/3 are missing');
    const twice = await runKmax('eval', '--merge', parts[0], parts[1], parts[1], parts[2]);
    expect(twice.stderr).toBe(`kmax eval: PartialFormatError: shard 1/3 is in both ${parts[1]} and ${parts[1]}`);
    const other = path.join(dir, 'other.json');
    const json = JSON.parse(readFileSync(parts[2], 'utf8')) as { run: { attention: string } };
    writeFileSync(other, JSON.stringify({ ...json, run: { ...json.run, attention: 'softmax' } }));
    const mixed = await runKmax('eval', '--merge', parts[0], parts[1], other);
    expect(mixed.stderr).toBe(`kmax eval: PartialFormatError: ${other} comes from another evaluation than ${parts[0]} (model, attention, size or dataset differ)`);
  });

  it('--shard without --partial, or a malformed K/N, is a usage error', async () => {
    expect((await runKmax('eval', ...DATA, '--shard', '0/3')).stderr).toMatch(/^kmax eval: --shard needs --partial OUT\.json/);
    expect((await runKmax('eval', ...DATA, '--shard', '3/3', '--partial', path.join(dir, 'x.json'))).stderr).toMatch(
      /^kmax eval: --shard must be K\/N with 0 <= K < N \(e\.g\. 0\/3\), got "3\/3"/,
    );
  });
});
