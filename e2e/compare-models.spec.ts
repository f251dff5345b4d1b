/**
 * Compare explains itself (issue 11, point 9) and pits two models (issue 12, point 5):
 * it opens at the first layer whose assignments differ, says why a segment of one run is
 * missing from the other, draws a soft-attention map with its colour scale; two models run
 * on the same picture with their held-out PQ and training curves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from './app-fixture';
import { canvasPixels } from './page-helpers';

/** The shipped model trained with the spatial softmax. */
const SOFTMAX = 'demo-softmax';
const folderOf = (id: string) => path.resolve(import.meta.dirname, '..', 'models', id);
const heldOutPq = (id: string) => (JSON.parse(readFileSync(path.join(folderOf(id), 'held-out.json'), 'utf8')) as { all: { pq: number } }).all.pq;
const percent = async (cell: import('@playwright/test').Locator) => Number((await cell.innerText()).replace('%', ''));

/** A vanished segment's sentence: the run that lost it, the cluster under its pixels there and the rule's verdict with its numbers. */
const VANISHED = /^\S.* \(segment \d+ of .+, \d+ px\) is not in .+: its pixels are mostly \(\d+\.\d%\) on cluster \d+ there, (dropped: class score \d\.\d{3} \(.+\) fails score >=? \d\.\d{3}, the (thing|stuff) threshold|dropped by the overlap rule: only \d+ of its \d+ mask pixels|dropped: empty mask|kept as segment \d+)/;

test('Compare opens at the first layer whose assignments differ, explains vanished segments and maps soft attention', async ({ app }) => {
  test.setTimeout(480_000);
  const { page } = app;
  const status = page.getByRole('status', { name: 'Engine status' });
  await app.openSample('Room');
  const attention = page.getByRole('radiogroup', { name: 'Attention' });
  await attention.getByRole('radio', { name: 'softmax', exact: true }).check();
  await expect(status).toHaveAttribute('data-status', 'ready');
  await attention.getByRole('combobox', { name: 'Attention from layer' }).selectOption({ label: '3' });
  await expect(status).toHaveAttribute('data-status', 'ready');
  const slider = page.getByRole('slider', { name: 'Decoder layer' });
  await slider.fill('7');

  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  const panel = page.getByRole('region', { name: /^Comparison: argmax vs softmax from layer 3$/ });
  await expect(panel).toBeVisible();
  // Layers 1-3 predict from argmax-updated centres in both runs; the first soft update shows from layer 4 on.
  const opened = Number(await panel.locator('.compare-opened').getAttribute('data-opened-at'));
  expect(opened).toBeGreaterThanOrEqual(3);
  await expect(slider).toHaveValue(String(opened + 1));
  const name = opened >= 6 ? 'Final' : `Layer ${opened + 1}`;
  await expect(panel.getByText(opened >= 6 ? /^Opened at Final: no layer/ : `Opened at ${name.toLowerCase()}: the first layer where the assignments differ.`)).toBeVisible();
  const perLayer = panel.getByRole('table', { name: 'Per-layer numbers' });
  await expect(perLayer.locator('caption')).toHaveText(name);
  if (opened < 6) expect(await percent(perLayer.locator('[data-measure="layer-changed"]'))).toBeGreaterThan(0);
  await panel.getByRole('button', { name: 'Earlier layer' }).click();
  await expect(perLayer.locator('caption')).toHaveText(`Layer ${opened}`);
  expect(await percent(perLayer.locator('[data-measure="layer-changed"]'))).toBe(0);

  // The soft run at a soft layer: click a cluster, its weights appear over the photo with the scale's ends.
  await slider.fill('5');
  const sides = panel.getByRole('group', { name: 'Side by side' });
  const soft = sides.getByRole('img', { name: 'softmax from layer 3: Layer 5', exact: true });
  await soft.click({ position: { x: 40, y: 40 } });
  const map = sides.getByRole('img', { name: /^softmax from layer 3: attention of cluster \d+$/ });
  await expect(map).toBeVisible();
  const scale = sides.getByRole('img', { name: /^Colour scale from / });
  await expect(scale).toHaveCount(1);
  const [, min, max] = /^Colour scale from (\S+) to (\S+)$/.exec((await scale.getAttribute('aria-label')) ?? '') ?? [];
  // A spatial softmax over the map's cells: positive weights, the largest well above the smallest.
  expect(Number(max)).toBeGreaterThan(Number(min));
  expect(Number(min)).toBeGreaterThanOrEqual(0);
  expect(Number(max)).toBeLessThanOrEqual(1);
  // The argmax run says it has no soft weights at this layer.
  await expect(sides.getByText(/^argmax: this layer uses argmax, so cluster \d+ takes its pixels whole/)).toBeVisible();

  // Vanished segments: as many sentences at least as the segment counts differ, each naming its rule.
  const final = panel.getByRole('table', { name: 'Comparison' });
  const counts = await Promise.all(['segments-a', 'segments-b'].map(async (m) => Number(await final.locator(`[data-measure="${m}"]`).innerText())));
  const items = panel.getByRole('list', { name: 'Segments only one run has' }).getByRole('listitem');
  const texts = await items.allInnerTexts();
  expect(texts.length).toBeGreaterThanOrEqual(Math.abs(counts[0] - counts[1]));
  for (const text of texts) expect(text).toMatch(VANISHED);
  await panel.scrollIntoViewIfNeeded();
  await app.screenshot('compare-explained');
});

test('two models in Compare: the argmax-trained demo against the softmax-trained one, layer by layer and final, with held-out PQ and training curves', async ({ app }) => {
  test.setTimeout(600_000);
  const { page } = app;
  const status = page.getByRole('status', { name: 'Engine status' });
  const picker = page.getByRole('combobox', { name: 'Model', exact: true });
  await expect(picker.locator(`option[value="${SOFTMAX}"]`)).toHaveText(`${SOFTMAX} — trained with spatial softmax`);
  await expect(picker.locator('option[value="demo"]')).toHaveText('demo — trained with argmax (k-means)');
  await picker.selectOption('demo');
  await expect(status).toHaveAttribute('data-status', 'ready');
  await page.getByRole('group', { name: 'Sample images' }).getByRole('button').first().click();
  await app.waitForResult('synthetic-1.png');

  const second = page.getByRole('combobox', { name: 'Compare against' });
  await expect(second.locator('option[value="demo"]')).toHaveCount(0);
  await second.selectOption(SOFTMAX);
  await page.getByRole('button', { name: 'Run both models' }).click();
  const panel = page.getByRole('region', { name: `Comparison: demo (argmax) vs ${SOFTMAX} (softmax)` });
  await expect(panel).toBeVisible({ timeout: 240_000 });
  await expect(status).toHaveAttribute('data-status', 'ready');

  // Held-out PQ of each model, from the held-out.json its folder ships.
  const final = panel.getByRole('table', { name: 'Comparison' });
  await expect(final.locator('[data-measure="held-out-a"]')).toHaveText(`${heldOutPq('demo').toFixed(3)} (200 scenes)`);
  await expect(final.locator('[data-measure="held-out-b"]')).toHaveText(`${heldOutPq(SOFTMAX).toFixed(3)} (200 scenes)`);
  expect(await percent(final.locator('[data-measure="changed"]'))).toBeGreaterThan(0);
  // Segments one model has and the other lacks, each with the rule that removed it (the two demos differ in count on this sample).
  const counts = await Promise.all(['segments-a', 'segments-b'].map(async (m) => Number(await final.locator(`[data-measure="${m}"]`).innerText())));
  const vanished = await panel.getByRole('list', { name: 'Segments only one run has' }).getByRole('listitem').allInnerTexts();
  expect(vanished.length).toBeGreaterThanOrEqual(Math.abs(counts[0] - counts[1]));
  for (const text of vanished) expect(text).toMatch(VANISHED);

  // Every layer and Final: the numbers show for both models and differ between them.
  const slider = page.getByRole('slider', { name: 'Decoder layer' });
  const sides = panel.getByRole('group', { name: 'Side by side' });
  const perLayer = panel.getByRole('table', { name: 'Per-layer numbers' });
  const changed: number[] = [];
  const confidences: [string, string][] = [];
  for (let layer = 1; layer <= 7; layer++) {
    await slider.fill(String(layer));
    const name = layer === 7 ? 'Final' : `Layer ${layer}`;
    await expect(perLayer.locator('caption')).toHaveText(name);
    const left = await canvasPixels(page, `demo (argmax): ${name}`);
    const right = await canvasPixels(page, `${SOFTMAX} (softmax): ${name}`);
    expect(left.data, name).not.toEqual(right.data);
    await expect(sides.getByRole('img', { name: `${SOFTMAX} (softmax): ${name}`, exact: true })).toBeVisible();
    const confidence = perLayer.getByRole('row', { name: /^Mean assignment confidence/ }).getByRole('cell');
    const [a, b] = await confidence.allInnerTexts();
    expect(a).toMatch(/^0\.\d{3}$|^1\.000$/);
    expect(b).toMatch(/^0\.\d{3}$|^1\.000$/);
    confidences.push([a, b]);
    changed.push(await percent(perLayer.locator('[data-measure="layer-changed"]')));
  }
  expect(Math.max(...changed)).toBeGreaterThan(0);
  // Both models are confident at Final (0.990 and 0.992); the layers before tell them apart.
  expect(confidences.filter(([a, b]) => a !== b).length).toBeGreaterThanOrEqual(5);

  // The training curves: all four demo models ship one; the two compared are drawn bold, the others faint.
  const curves = panel.getByRole('img', { name: 'Training curves: validation PQ against training step' });
  await expect(curves).toBeVisible();
  await expect(curves.locator('path[data-model]')).toHaveCount(4);
  for (const id of ['demo', SOFTMAX]) await expect(curves.locator(`path[data-model="${id}"]`)).toHaveAttribute('data-highlighted', 'true');
  for (const id of ['demo-masked', 'demo-cluster-softmax']) await expect(curves.locator(`path[data-model="${id}"]`)).toHaveAttribute('data-highlighted', 'false');
  const legend = panel.getByRole('list', { name: 'Training curves legend' });
  await expect(legend).toContainText(/demo: argmax \(k-means\), PQ 0\.\d{3} at step 9000 \(on 40 validation scenes\) \(compared\)/);
  await expect(legend).toContainText(`${SOFTMAX}: spatial softmax, PQ 0.`);
  await expect(legend).not.toContainText('no training curve shipped');
  await curves.scrollIntoViewIfNeeded();
  await app.screenshot('compare-models');

  // Masked softmax runs on the loaded model.
  const before = await canvasPixels(page, 'Panoptic overlay');
  await page.getByRole('radiogroup', { name: 'Attention' }).getByRole('radio', { name: 'masked softmax', exact: true }).check();
  await expect(status).toHaveAttribute('data-status', 'ready');
  const masked = await canvasPixels(page, 'Panoptic overlay');
  expect(masked.data).not.toEqual(before.data);
});
