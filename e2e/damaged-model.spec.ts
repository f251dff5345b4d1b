import { expect, test } from '@playwright/test';

const ID = 'converted-abababababababab';

// No model is warmed up here: the damaged model is requested at start, and fails before the GPU is used.
test('a stored model whose shard was damaged fails with the shard named, and the list offers to delete it', async ({ page }) => {
  await page.goto('/?debug&model=none');
  await expect(page.getByRole('combobox', { name: 'Model' })).toBeVisible();
  // Store a copy of the served tiny model, with its shard hashes, then change one byte of a shard.
  await page.evaluate(async (id) => {
    const json = (await (await fetch('models/tiny/model.json')).json()) as {
      provenance: Record<string, unknown>;
      weightsManifest: { paths: string[] }[];
      shardSha256?: Record<string, string>;
    };
    json.shardSha256 = {};
    json.provenance = { ...json.provenance, createdAt: '2024-01-01T00:00:00Z', files: [{ name: 'damaged.pth', bytes: 1, sha256: 'ab'.repeat(32) }] };
    const cache = await caches.open('kmax-lens-converted-models');
    const key = (file: string) => `${location.origin}/kmax-lens/converted-models/${id}/${file}`;
    for (const [i, name] of json.weightsManifest.flatMap((g) => g.paths).entries()) {
      const bytes = new Uint8Array(await (await fetch(`models/tiny/${name}`)).arrayBuffer());
      // As the converter records it (also when the served folder predates shard hashes).
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      json.shardSha256[name] = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      if (i === 0) bytes[100] ^= 0x01;
      await cache.put(key(name), new Response(bytes));
    }
    await cache.put(key('model.json'), new Response(JSON.stringify(json)));
  }, ID);
  await page.goto(`/?debug&model=${ID}`);
  await expect(page.getByRole('combobox', { name: 'Model' })).toHaveValue(ID);

  const item = page.getByRole('list', { name: 'Converted models' }).getByRole('listitem');
  await expect(item.getByRole('alert')).toContainText(/This stored copy is damaged \(weight shard "group1-shard1of\d+\.bin" is corrupted/);
  await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'error');
  await item.getByRole('button', { name: /^Delete damaged\.pth/ }).click();
  await expect(item).toHaveCount(0);
  expect(await page.evaluate(async () => (await (await caches.open('kmax-lens-converted-models')).keys()).length)).toBe(0);
});
