import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFiles } from '../src/loading/model-folder';
import { ModelFormatError } from '../src/loading/model-folder';

/** Reads a model folder (model.json + shards) from disk into memory. */
export async function readModelDir(dir: string): Promise<Map<string, Uint8Array>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new ModelFormatError(`model folder ${dir} does not exist or cannot be read`);
  }
  if (!names.includes('model.json')) throw new ModelFormatError(`model folder ${dir} has no model.json`);
  const files = new Map<string, Uint8Array>();
  for (const name of names) {
    if (name === 'model.json' || name.endsWith('.bin')) files.set(name, new Uint8Array(await readFile(path.join(dir, name))));
  }
  return files;
}

export async function writeModelDir(dir: string, model: ModelFiles): Promise<number> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(model.modelJson, null, 1));
  let bytes = 0;
  for (const [name, data] of model.shards) {
    await writeFile(path.join(dir, name), data);
    bytes += data.byteLength;
  }
  return bytes;
}
