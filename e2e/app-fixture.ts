import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test as base, expect, type ConsoleMessage, type Page } from '@playwright/test';
import { SCREENSHOTS_DIR } from './paths';

/** Console lines that mean WebGPU misbehaved: they fail the test even if the page looks right. */
const GPU_TROUBLE = /WGSL|validation|GPUValidationError|Invalid (ShaderModule|BindGroup|ComputePipeline|Buffer)|device (was )?lost/i;

export interface App {
  readonly page: Page;
  /** Opens a sample and waits for its result. */
  openSample(name: 'Street' | 'Shapes' | 'Room'): Promise<void>;
  /** Waits until the overlay shows the result for `fileName`. */
  waitForResult(fileName: string): Promise<void>;
  screenshot(name: string): Promise<void>;
  /** Console lines matching GPU trouble, collected so far. */
  readonly gpuTrouble: string[];
}

export const test = base.extend<{ app: App; allowDeviceLoss: boolean }>({
  allowDeviceLoss: [false, { option: true }],
  app: async ({ page, allowDeviceLoss }, provide, testInfo) => {
    const gpuTrouble: string[] = [];
    const watch = (message: ConsoleMessage) => {
      if ((message.type() === 'warning' || message.type() === 'error') && GPU_TROUBLE.test(message.text())) {
        if (!(allowDeviceLoss && /lost|destroyed/i.test(message.text()))) gpuTrouble.push(message.text());
      }
    };
    // The model runs in the worker, so its WebGPU device reports there.
    page.on('console', watch);
    page.on('worker', (worker) => worker.on('console', watch));
    page.on('pageerror', (error) => gpuTrouble.push(`page error: ${error.message}`));
    // SwiftShader is a software adapter, where the automatic choice measures and picks a faster backend: the WebGPU tests ask for it by name.
    await page.goto(testInfo.project.name === 'webgpu' ? '/?debug&model=tiny&backend=webgpu' : '/?debug&model=tiny');
    await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
    const app: App = {
      page,
      gpuTrouble,
      openSample: async (name) => {
        await page.getByRole('group', { name: 'Sample images' }).getByRole('button', { name }).click();
        await app.waitForResult(`${name.toLowerCase()}.png`);
      },
      waitForResult: async (fileName) => {
        await expect(page.locator(`figure[data-result-for="${fileName}"]`)).toBeVisible();
        await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
      },
      screenshot: async (name) => {
        mkdirSync(SCREENSHOTS_DIR, { recursive: true });
        await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`) });
      },
    };
    await provide(app);
    expect(gpuTrouble, 'WebGPU warnings or page errors').toEqual([]);
  },
});

export { expect };
