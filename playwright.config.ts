import { defineConfig } from '@playwright/test';
import { E2E_MODELS_DIR, PORT } from './e2e/paths';
import { zooTestCatalogue } from './e2e/zoo-catalogue';

// Debian's Chromium; Playwright's own browser download is never used.
const CHROMIUM = '/usr/bin/chromium';
const QUIET = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // WebGPU here is SwiftShader (CPU): even the tiny model takes seconds per run.
  timeout: 240_000,
  expect: { timeout: 90_000 },
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `npx vite build && npx vite preview --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: false,
    timeout: 180_000,
    // The zoo's stand-in entries (e2e/zoo.spec.ts) are built into the test page only.
    env: { KMAX_EXTRA_MODELS: E2E_MODELS_DIR, VITE_KMAX_ZOO_TEST_CATALOGUE: zooTestCatalogue() },
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /fallback\.spec\.ts/,
      use: {
        browserName: 'chromium',
        permissions: ['camera'],
        // A synthetic camera for the webcam-still input.
        launchOptions: { executablePath: CHROMIUM, args: [...QUIET, '--enable-unsafe-webgpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] },
      },
    },
    {
      // Without --enable-unsafe-webgpu this Chromium refuses an adapter: the fallback path.
      name: 'fallback',
      testMatch: /fallback\.spec\.ts/,
      use: { browserName: 'chromium', launchOptions: { executablePath: CHROMIUM, args: QUIET } },
    },
  ],
});
