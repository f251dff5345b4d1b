/**
 * models/manifest.json, the served model list (src/state/actions.ts reads it): the vite config
 * serves it in dev and preview and writes it into a build.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A model folder's optional reports beside model.json (src/state/model-reports.ts reads them). */
const MODEL_REPORTS = ['held-out.json', 'training-curve.json'];

interface Entry {
  id: string;
  name: string;
  path: string;
  samples?: string[];
  trainedAttention?: string;
  reports?: string[];
}

/**
 * The entries of `listedFile` (a hand-written manifest) if it exists, then every folder under
 * `roots` holding a model.json, demo first. Sample pictures belong to a dataset: a folder ships
 * them in its samples/ (with their ground truth beside them), and a folder without one gets
 * those of the first folder of the same `config.dataset` that has them, so that models of one
 * dataset share one copy.
 */
export function modelManifest(listedFile: string, roots: readonly string[]): string {
  const listed: Entry[] = existsSync(listedFile) ? (JSON.parse(readFileSync(listedFile, 'utf8')) as { models: Entry[] }).models : [];
  const datasets = new Map<Entry, string | undefined>();
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const id of readdirSync(root).sort()) {
      const modelJson = path.join(root, id, 'model.json');
      if (!existsSync(modelJson) || listed.some((m) => m.id === id)) continue;
      const model = JSON.parse(readFileSync(modelJson, 'utf8')) as { config?: { dataset?: unknown }; provenance?: { trainedAttention?: unknown } };
      const samplesDir = path.join(root, id, 'samples');
      const samples = existsSync(samplesDir) ? readdirSync(samplesDir).filter((f) => /\.png$/i.test(f)).sort().map((f) => `${id}/samples/${f}`) : [];
      // The model picker names the attention each model was trained with before any is loaded.
      const trained = model.provenance?.trainedAttention;
      // Which optional reports the folder ships, so the page asks for no file that is not there.
      const reports = MODEL_REPORTS.filter((f) => existsSync(path.join(root, id, f)));
      const entry: Entry = { id, name: id, path: `${id}/model.json`, ...(samples.length > 0 && { samples }), ...(typeof trained === 'string' && { trainedAttention: trained }), ...(reports.length > 0 && { reports }) };
      listed.push(entry);
      datasets.set(entry, typeof model.config?.dataset === 'string' ? model.config.dataset : undefined);
    }
  }
  for (const [entry, dataset] of datasets) {
    if (entry.samples !== undefined || dataset === undefined) continue;
    const donor = [...datasets].find(([other, d]) => d === dataset && other.samples !== undefined)?.[0];
    if (donor?.samples !== undefined) entry.samples = donor.samples;
  }
  listed.sort((a, b) => Number(b.id === 'demo') - Number(a.id === 'demo'));
  return JSON.stringify({ models: listed });
}
