import { readFileSync } from 'node:fs';
import path from 'node:path';
import { standInEntry } from '../src/zoo/stand-in-host';
import { PORT } from './paths';

/** The zoo's stand-in host for the browser tests (never a real host): a fixed port, since the test catalogue is built into the page. */
export const ZOO_PORT = PORT + 150;
export const ZOO_HOST = `127.0.0.1:${ZOO_PORT}`;
export const ZOO_CHECKPOINT = readFileSync(path.resolve(import.meta.dirname, '..', 'training', 'fixtures', 'r50-coco-4stage', 'checkpoint.pth'));

const entry = (name: string, route: string, overrides: Record<string, unknown> = {}) =>
  standInEntry(`http://${ZOO_HOST}`, ZOO_CHECKPOINT, name, route, overrides);

/** VITE_KMAX_ZOO_TEST_CATALOGUE for the e2e build: stand-in entries listed ahead of the shipped catalogue. */
export function zooTestCatalogue(): string {
  return JSON.stringify({
    entries: [
      entry('stand-in-hub', 'cors/checkpoint.pth'),
      entry('stand-in-no-cors', 'nocors/checkpoint.pth'),
      entry('stand-in-cut', 'cut/checkpoint.pth'),
      entry('stand-in-slow', 'slow/checkpoint.pth'),
      entry('stand-in-wrong-size', 'cors/checkpoint.pth', { bytes: ZOO_CHECKPOINT.byteLength + 1, sha256: null }),
      entry('stand-in-missing', 'cors/absent.pth', { bytes: null, sha256: null }),
      entry('stand-in-unrunnable', 'cors/checkpoint.pth', { preset: null, unsupported: 'A test entry whose backbone the engine lacks.' }),
    ],
  });
}
