import { expect, test } from './app-fixture';

// This project launches Chromium without --enable-unsafe-webgpu: it refuses a WebGPU adapter.
test('without WebGPU the app runs on another backend and says why', async ({ app }) => {
  const { page } = app;
  const status = page.getByRole('status', { name: 'Engine status' });
  await expect(status).not.toHaveAttribute('data-backend', 'webgpu');
  await expect(status).toHaveAttribute('data-backend', /^(webgl|wasm|cpu)$/);
  await expect(status).toContainText('webgpu: the browser refused a WebGPU adapter');
  await app.openSample('Shapes');
  await expect(page.getByRole('list', { name: 'Segments' }).getByRole('listitem').first()).toBeVisible();
  await app.screenshot('fallback');
});
