import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Models made for the tests; served by the preview server, never built into dist. */
export const E2E_MODELS_DIR = path.join(ROOT, 'e2e-artifacts', 'models');
export const SCREENSHOTS_DIR = path.join(ROOT, 'e2e-artifacts', 'screenshots');
export const SAMPLES_DIR = path.join(ROOT, 'public', 'samples');
export const PORT = 4173;
