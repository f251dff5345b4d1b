import { PRESETS } from '../model/presets';
import data from './catalogue.json';

/**
 * The model zoo: every official kMaX-DeepLab checkpoint (src/zoo/catalogue.json),
 * as data. Plain TypeScript, used by `kmax fetch` and by the page.
 */

/** Who publishes the file: deeplab2 (TF archives on Cloud Storage), bytedance (PyTorch, Google Drive), COCONut (Hugging Face Hub). */
export type ZooSource = 'deeplab2' | 'bytedance' | 'coconut';

/** How the file can be had: fetched by the CLI and the page, or downloaded from its web page by hand and then dropped or converted. */
export type ZooAccess = 'direct' | 'download-then-drop';

export type ZooFormat = 'tf-archive' | 'pytorch';

export type ZooClasses = 'coco' | 'cityscapes' | 'ade20k';

export interface ZooEntry {
  /** What `kmax fetch NAME` takes; unique. */
  readonly name: string;
  readonly source: ZooSource;
  /** The training set as published (COCO, Cityscapes, ADE20K, COCONut-S/B/L). */
  readonly dataset: string;
  /** The class list the model predicts. */
  readonly classes: ZooClasses;
  readonly backbone: string;
  /** Panoptic quality as published, in percent; null where none was published. */
  readonly pq: number | null;
  /** What the PQ was measured on, or why there is none. */
  readonly pqNote: string;
  /** The network input [height, width] the model was trained at. */
  readonly inputSize: readonly [number, number];
  /** Exact file size where the host publishes it. */
  readonly bytes: number | null;
  /** SHA-256 of the file (hex) where the host publishes it. */
  readonly sha256: string | null;
  readonly url: string;
  /** The file's name as downloaded (the converter tells formats by bytes, names only route them). */
  readonly fileName: string;
  readonly format: ZooFormat;
  readonly access: ZooAccess;
  /** The architecture (src/model/presets.ts); null only with `unsupported`. */
  readonly preset: string | null;
  /** The page that publishes the checkpoint. */
  readonly page: string;
  /** Why the checkpoint cannot run here yet, said before any download. */
  readonly unsupported?: string;
}

export class ZooCatalogueError extends Error {
  override readonly name = 'ZooCatalogueError';
}

const SOURCES: readonly ZooSource[] = ['deeplab2', 'bytedance', 'coconut'];
const ACCESS: readonly ZooAccess[] = ['direct', 'download-then-drop'];
const FORMATS: readonly ZooFormat[] = ['tf-archive', 'pytorch'];
const CLASSES: readonly ZooClasses[] = ['coco', 'cityscapes', 'ade20k'];
const DATASET_OF_PRESET: Readonly<Record<string, ZooClasses>> = { coco_panoptic: 'coco', cityscapes_panoptic: 'cityscapes', ade20k_panoptic: 'ade20k' };

/**
 * Checks a catalogue file against the schema and the presets: every entry has
 * every field with the right type, a unique name, an http(s) URL, and a preset
 * of its class list (or a reason why it cannot run). A hand-written check: the
 * schema is one flat record, and a schema library would add more to the page
 * than this does.
 */
export function parseCatalogue(json: unknown): ZooEntry[] {
  const root = record(json, 'the catalogue');
  if (!Array.isArray(root.entries)) throw new ZooCatalogueError('the catalogue has no "entries" list');
  const names = new Set<string>();
  return root.entries.map((raw: unknown, i: number) => {
    const where = `catalogue entry ${i}`;
    const e = record(raw, where);
    const name = text(e, 'name', where);
    const at = `catalogue entry "${name}"`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new ZooCatalogueError(`${at}: a name is lower-case letters, digits and dashes`);
    if (names.has(name)) throw new ZooCatalogueError(`${at} appears twice`);
    names.add(name);
    const entry: ZooEntry = {
      name,
      source: oneOf(e, 'source', SOURCES, at),
      dataset: text(e, 'dataset', at),
      classes: oneOf(e, 'classes', CLASSES, at),
      backbone: text(e, 'backbone', at),
      pq: nullable(e, 'pq', at, (v) => typeof v === 'number' && v > 0 && v < 100),
      pqNote: text(e, 'pqNote', at),
      inputSize: size(e.inputSize, at),
      bytes: nullable(e, 'bytes', at, (v) => Number.isSafeInteger(v) && (v as number) > 0),
      sha256: nullable(e, 'sha256', at, (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)),
      url: httpUrl(e, 'url', at),
      fileName: text(e, 'fileName', at),
      format: oneOf(e, 'format', FORMATS, at),
      access: oneOf(e, 'access', ACCESS, at),
      preset: nullable(e, 'preset', at, (v) => typeof v === 'string'),
      page: httpUrl(e, 'page', at),
      ...(e.unsupported === undefined ? {} : { unsupported: text(e, 'unsupported', at) }),
    };
    checkPreset(entry, at);
    return entry;
  });
}

function checkPreset(entry: ZooEntry, at: string): void {
  if (entry.preset === null) {
    if (entry.unsupported === undefined) throw new ZooCatalogueError(`${at} has no preset and no "unsupported" reason`);
    return;
  }
  const preset = PRESETS[entry.preset];
  if (preset === undefined) throw new ZooCatalogueError(`${at}: unknown preset "${entry.preset}"`);
  if (DATASET_OF_PRESET[preset.dataset] !== entry.classes) {
    throw new ZooCatalogueError(`${at}: preset "${entry.preset}" predicts ${preset.dataset} classes, the entry ${entry.classes}`);
  }
}

type Fields = Record<string, unknown>;

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ZooCatalogueError(`${what} is not an object`);
  return value as Fields;
}

function text(e: Fields, key: string, at: string): string {
  const v = e[key];
  if (typeof v !== 'string' || v === '') throw new ZooCatalogueError(`${at}: "${key}" must be a non-empty string`);
  return v;
}

function oneOf<T extends string>(e: Fields, key: string, allowed: readonly T[], at: string): T {
  const v = e[key];
  if (!allowed.includes(v as T)) throw new ZooCatalogueError(`${at}: "${key}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function nullable<T>(e: Fields, key: string, at: string, valid: (v: unknown) => boolean): T | null {
  const v = e[key];
  if (v === null) return null;
  if (!valid(v)) throw new ZooCatalogueError(`${at}: "${key}" is ${JSON.stringify(v)}, which is not valid here (null where unknown)`);
  return v as T;
}

function size(value: unknown, at: string): readonly [number, number] {
  const ok = Array.isArray(value) && value.length === 2 && value.every((n) => Number.isInteger(n) && n > 0 && n % 32 === 1);
  if (!ok) throw new ZooCatalogueError(`${at}: "inputSize" must be [height, width], each 32k+1`);
  return [value[0], value[1]];
}

function httpUrl(e: Fields, key: string, at: string): string {
  const v = text(e, key, at);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ZooCatalogueError(`${at}: "${key}" is not a URL: ${v}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ZooCatalogueError(`${at}: "${key}" must be http(s): ${v}`);
  return v;
}

/** The shipped catalogue. */
export const CATALOGUE: readonly ZooEntry[] = parseCatalogue(data);

export class UnknownZooEntryError extends Error {
  override readonly name = 'UnknownZooEntryError';
}

export function findEntry(catalogue: readonly ZooEntry[], name: string): ZooEntry {
  const entry = catalogue.find((e) => e.name === name);
  if (entry === undefined) throw new UnknownZooEntryError(`no model "${name}" in the model zoo; 'kmax fetch --list' lists them`);
  return entry;
}

/** "977 MB", or "size unknown". */
export function describeSize(bytes: number | null): string {
  return bytes === null ? 'size unknown' : `${Math.round(bytes / 1e6)} MB`;
}

export const describePq = (entry: ZooEntry): string => (entry.pq === null ? 'PQ not published' : `PQ ${entry.pq.toFixed(1)}`);
