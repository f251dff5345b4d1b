import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runKmax } from '../run-in-process';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const SAMPLES = repo('models/demo/samples');

interface EvalReport {
  readonly images: number;
  readonly attention: string;
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

  it('--attention masked runs Mask2Former\'s masked attention (other numbers than argmax); an unknown mode is a usage error naming the four', async () => {
    const run = async (mode: string): Promise<EvalReport> => {
      const { code, stdout, stderr } = await runKmax('eval', '--model', repo('models/demo'), '--images', SAMPLES, '--panoptic-json', `${SAMPLES}/panoptic.json`, '--attention', mode, '--json');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      return JSON.parse(stdout) as EvalReport;
    };
    const [masked, kmeans] = [await run('masked'), await run('kmeans')];
    expect(masked.attention).toBe('masked');
    // Layer 1 predicts from the initial centres, before any cross-attention.
    expect(masked.layerCovering[0]).toBe(kmeans.layerCovering[0]);
    expect(masked.layerCovering.slice(1)).not.toEqual(kmeans.layerCovering.slice(1));
    const wrong = await runKmax('eval', '--model', repo('models/demo'), '--images', SAMPLES, '--panoptic-json', `${SAMPLES}/panoptic.json`, '--attention', 'mask');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--attention must be one of kmeans, softmax, masked, cluster-softmax, got "mask"');
  });

  it('without --attention a model runs with the attention it was trained with (model.json provenance)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kmax-eval-trained-'));
    try {
      await cp(repo('models/demo'), dir, { recursive: true });
      const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as { provenance: Record<string, unknown> };
      json.provenance.trainedAttention = 'softmax';
      await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      const run = async (model: string, ...flags: string[]): Promise<EvalReport> => {
        const { code, stdout, stderr } = await runKmax('eval', '--model', model, '--images', SAMPLES, '--panoptic-json', `${SAMPLES}/panoptic.json`, '--json', ...flags);
        expect(stderr).toBe('');
        expect(code).toBe(0);
        return JSON.parse(stdout) as EvalReport;
      };
      const [asTrained, softmax, shipped] = [await run(dir), await run(repo('models/demo'), '--attention', 'softmax'), await run(repo('models/demo'))];
      expect(asTrained.attention).toBe('softmax');
      expect(asTrained.all.pq).toBe(softmax.all.pq);
      expect(shipped.attention).toBe('kmeans');
      expect(shipped.all.pq).not.toBe(softmax.all.pq);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
