import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from './app-fixture';
import { dropFiles } from './checkpoint-helpers';

/**
 * deeplab2's .tar.gz dropped on the page as downloaded (issue 10): the Worker streams
 * it through DecompressionStream and modern-tar, converts the checkpoint inside and
 * takes the input size from the archive's textproto (641, the weights alone say 1281).
 */
const ARCHIVE = readFileSync(path.join(import.meta.dirname, '..', 'src', 'checkpoints', 'archive', 'testdata', 'kmax_resnet50_coco_train.tar.gz'));

test('a dropped deeplab2 .tar.gz is unpacked and converted in the Worker, with its textproto\'s input size', async ({ app }) => {
  test.setTimeout(300_000);
  const { page } = app;
  await dropFiles(page, [{ name: 'kmax_resnet50_coco_train.tar.gz', bytes: ARCHIVE }]);
  const converted = page.getByRole('list', { name: 'Converted models' }).getByRole('listitem');
  await expect(converted).toContainText('kmax_resnet50_coco_train.tar.gz · detected-coco_panoptic-resnet-tf-2-1-2-1-k24', { timeout: 120_000 });
  await expect(converted).toContainText('ResNet 2-1-2-1 (tf)');
  await expect(converted).toContainText('input 641×641');
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('a truncated or damaged .tar.gz gets a clear message and the page keeps working', async ({ app }) => {
  const { page } = app;
  const input = page.getByLabel('Checkpoint', { exact: true });
  const alert = page.getByRole('alert');
  const damaged = Buffer.from(ARCHIVE);
  damaged[damaged.byteLength >> 1] ^= 0x55;
  const file = (name: string, buffer: Buffer) => ({ name, mimeType: 'application/gzip', buffer });
  await input.setInputFiles([file('cut.tar.gz', ARCHIVE.subarray(0, ARCHIVE.byteLength >> 1))]);
  await expect(alert).toHaveText(/"cut\.tar\.gz": The archive "cut\.tar\.gz" is truncated/);
  console.log(`cut.tar.gz: ${await alert.textContent()}`);
  await input.setInputFiles([file('bad.tar.gz', damaged)]);
  await expect(alert).toHaveText(/"bad\.tar\.gz": The archive "bad\.tar\.gz" is damaged \(its compressed data do not decode/);
  console.log(`bad.tar.gz: ${await alert.textContent()}`);
  await expect(page.getByRole('list', { name: 'Converted models' })).toHaveCount(0);
  await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
});
