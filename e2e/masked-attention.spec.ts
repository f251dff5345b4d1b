/**
 * Mask2Former's masked attention in the app (issue 12): the "masked softmax" option
 * runs and Compare shows its numbers against argmax; a model whose folder records
 * the attention it was trained with has that option marked "as trained", and a
 * model that records nothing has no mark.
 */
import { expect, test } from './app-fixture';
import { canvasPixels } from './page-helpers';

test('masked softmax runs and compares with argmax; the demo model marks argmax "as trained"', async ({ app }) => {
  // Two models warm up on SwiftShader.
  test.setTimeout(480_000);
  const { page } = app;
  const status = page.getByRole('status', { name: 'Engine status' });
  const attention = page.getByRole('radiogroup', { name: 'Attention' });
  // The tiny random model says nothing about its training.
  await expect(attention.getByText('as trained')).toHaveCount(0);

  await app.openSample('Room');
  const argmax = await canvasPixels(page, 'Panoptic overlay');
  await attention.getByRole('radio', { name: 'masked softmax', exact: true }).check();
  await expect(status).toHaveAttribute('data-status', 'ready');
  const masked = await canvasPixels(page, 'Panoptic overlay');
  expect(masked.data).not.toEqual(argmax.data);

  await page.getByRole('button', { name: 'Compare' }).click();
  const table = page.getByRole('table', { name: 'Comparison' });
  await expect(table.getByRole('columnheader')).toHaveText(['Measure', 'argmax', 'masked softmax']);
  const changed = Number((await table.locator('[data-measure="changed"]').innerText()).replace('%', ''));
  expect(changed).toBeGreaterThan(0);
  await expect(table.getByRole('row', { name: /Mean assignment confidence/ })).toContainText(/0\.\d{3}/);
  await expect(table.getByRole('row', { name: /Cluster-size entropy/ })).toContainText(/\d\.\d{3}/);

  // models/demo/model.json records argmax (kmeans) training.
  await page.getByRole('combobox', { name: 'Model' }).selectOption('demo');
  await expect(status).toHaveAttribute('data-status', 'ready');
  await expect(attention.getByRole('radio', { name: 'argmax', exact: true })).toHaveAccessibleDescription('as trained');
  for (const name of ['softmax', 'masked softmax', 'cluster softmax']) {
    await expect(attention.getByRole('radio', { name, exact: true })).toHaveAccessibleDescription('');
  }
  await expect(attention.getByText('as trained')).toHaveCount(1);
});
