import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runKmax } from '../run-in-process';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const SAMPLES = repo('models/demo/samples');

interface EvalReport {
  readonly images: number;
  readonly all: { readonly pq: number };
  /** Per kMaX layer, then the final masks. */
  readonly layerCovering: readonly number[];
}

describe('kmax eval on the shipped demo model and its samples (with their ground truth)', () => {
  it('the clusters converge: the last stage covers the ground-truth segments at least 10 points better than layer 1', async () => {
    const { code, stdout, stderr } = await runKmax('eval', '--model', repo('models/demo'), '--images', SAMPLES, '--panoptic-json', `${SAMPLES}/panoptic.json`, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as EvalReport;
    expect(report.images).toBe(6);
    expect(report.layerCovering).toHaveLength(7);
    const [first, ...rest] = report.layerCovering;
    const [fifth, sixth, final] = rest.slice(-3);
    console.log(`demo samples: PQ ${report.all.pq.toFixed(3)}, covering per layer ${report.layerCovering.map((c) => c.toFixed(3)).join(' ')}`);
    expect(Math.min(fifth, sixth, final)).toBeGreaterThanOrEqual(first + 0.1);
  });
});
