import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Models made for the tests; served by the preview server, never built into dist. */
export const E2E_MODELS_DIR = path.join(ROOT, 'e2e-artifacts', 'models');
export const SCREENSHOTS_DIR = path.join(ROOT, 'e2e-artifacts', 'screenshots');
export const SAMPLES_DIR = path.join(ROOT, 'public', 'samples');
// KMAX_E2E_PORT lets several checkouts run their browser tests side by side.
export const PORT = Number(process.env.KMAX_E2E_PORT ?? 4173);
