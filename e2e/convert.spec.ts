import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from './app-fixture';
import { dropFiles, fixtureCheckpoint, recordConversionProgress } from './checkpoint-helpers';

const TESTDATA = path.join(import.meta.dirname, '..', 'src', 'checkpoints', 'testdata');
const TF_CHECKPOINT = path.join(import.meta.dirname, '..', 'src', 'checkpoints', 'tf-bundle', 'testdata', 'r50tf-coco-4stage');
const tfFiles = () => ({ index: readFileSync(path.join(TF_CHECKPOINT, 'ckpt-1.index')), data: readFileSync(path.join(TF_CHECKPOINT, 'ckpt-1.data-00000-of-00001')) });

const DETECTED_NAME = 'detected-coco_panoptic-resnet-2-1-2-1-k24';

test.describe('converting an official checkpoint in the page', () => {
  test('a dropped .pth is converted with progress, stored, listed after a reload, segments, and can be deleted', async ({ app }) => {
    const { page } = app;
    const status = page.getByRole('status', { name: 'Engine status' });
    const picker = page.getByRole('combobox', { name: 'Model' });
    const progressStates = await recordConversionProgress(page);
    // The trained 1281x1281 takes minutes per picture on SwiftShader; the weights do not fix the size.
    await page.getByRole('combobox', { name: 'Input size' }).selectOption('129');

    await dropFiles(page, [{ name: 'checkpoint.pth', bytes: fixtureCheckpoint('r50-coco-4stage') }]);
    const converted = page.getByRole('list', { name: 'Converted models' }).getByRole('listitem');
    await expect(converted).toHaveCount(1);
    await expect(converted).toContainText(`checkpoint.pth · ${DETECTED_NAME}`);
    await expect(converted).toContainText('ResNet 2-1-2-1 (pytorch) · decoder res5/res4/res3/res2 · K=24 · input 129×129');
    await expect(converted).toContainText('133 classes (coco_panoptic)');
    await expect(converted).toContainText(/\d\.\d MB/);
    const states = await progressStates();
    const phases = [...new Set(states.map((s) => s.phase))];
    console.log(`conversion progress: ${states.length} states, ${phases.join(' -> ')}; last: ${states.at(-1)?.label}`);
    // Bytes read, then tensors converted, then bytes stored, each bar filling up to its total.
    expect(phases.filter((p) => p !== 'open')).toEqual(['read', 'convert', 'store']);
    for (const phase of ['read', 'convert', 'store']) {
      const last = states.filter((s) => s.phase === phase).at(-1);
      expect(last?.value, phase).toBe(last?.max);
      expect(last?.max, phase).toBeGreaterThan(1);
    }

    // The converted model is loaded at once, and stays in the picker after a reload (no ?model=).
    await expect(picker).toHaveValue(/^converted-/);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(status).toContainText(`Model: ${DETECTED_NAME}`);
    await page.goto('/?debug');
    await expect(picker.locator('optgroup[label="Converted in this browser"] option')).toHaveText([`checkpoint.pth · ${DETECTED_NAME}`]);
    await expect(picker).toHaveValue(/^converted-/);
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(status).toContainText(`Model: ${DETECTED_NAME}`);

    const started = Date.now();
    await app.openSample('Shapes');
    console.log(`segmentation with the converted model (input 129x129): ${Date.now() - started} ms, ${await page.locator('.timings').textContent()}`);
    await expect(page.getByRole('img', { name: 'Panoptic overlay' })).toBeVisible();
    await app.screenshot('converted-model');

    await page.getByRole('button', { name: `Delete checkpoint.pth · ${DETECTED_NAME}` }).click();
    await expect(converted).toHaveCount(0);
    // Back on a served model (the bundled demo, or the test's tiny one), also after a reload.
    await expect(picker).not.toHaveValue(/^converted-/);
    await page.goto('/?debug');
    await expect(status).toHaveAttribute('data-status', 'ready');
    await expect(picker.locator('optgroup[label="Converted in this browser"] option')).toHaveCount(0);
    await expect(picker).not.toHaveValue(/^converted-/);
  });

  test('a bad file gets a clear message and the page keeps working', async ({ app }) => {
    const { page } = app;
    const input = page.getByLabel('Checkpoint', { exact: true });
    // Said in the panel where the file was picked.
    const alert = page.getByRole('region', { name: 'Official checkpoint' }).getByRole('alert', { name: 'Checkpoint problem' });
    const whole = fixtureCheckpoint('r50-coco-4stage');
    const tf = tfFiles();
    const corrupted = Buffer.from(tf.data);
    corrupted[corrupted.byteLength >> 1] ^= 0xff;
    const file = (name: string, buffer: Buffer) => ({ name, mimeType: 'application/octet-stream', buffer });
    const cases: { files: ReturnType<typeof file>[]; message: RegExp }[] = [
      { files: [file('notes.pth', Buffer.from('these are not weights\n'))], message: /"notes\.pth": This file is not a kMaX-DeepLab checkpoint/ },
      { files: [file('truncated.pth', whole.subarray(0, whole.byteLength >> 1))], message: /"truncated\.pth": The zip archive is incomplete.*probably truncated/ },
      { files: [file('evil.pkl', readFileSync(path.join(TESTDATA, 'disallowed_global.pkl')))], message: /"evil\.pkl": .*refusing to load it \(nothing in the file was executed\)/ },
      { files: [file('classifier.pt', readFileSync(path.join(TESTDATA, 'bare_module.pt')))], message: /"classifier\.pt": 5 tensor\(s\) .* not kMaX-DeepLab weights; is it a checkpoint of another model\?/ },
      {
        files: [file('ckpt-1.index', tf.index), file('ckpt-1.data-00000-of-00001', corrupted)],
        message: /"ckpt-1\.index" \+ "ckpt-1\.data-00000-of-00001": Checksum mismatch in the TensorFlow checkpoint.*corrupted/,
      },
    ];
    for (const c of cases) {
      await input.setInputFiles(c.files);
      await expect(alert).toHaveText(c.message);
      console.log(`${c.files.map((f) => f.name).join(' + ')}: ${await alert.textContent()}`);
    }
    // A checkpoint dropped anywhere on the page is answered above the main view, and the panel's message goes.
    await dropFiles(page, [{ name: 'notes.pth', bytes: Buffer.from('these are not weights\n') }]);
    const dropped = page.getByRole('alert', { name: 'Checkpoint problem' });
    await expect(dropped).toHaveText(/^could not convert "notes\.pth": This file is not a kMaX-DeepLab checkpoint/);
    await expect(alert).toHaveCount(0);
    await expect(dropped).toBeInViewport();
    const [alertBox, viewBox] = await Promise.all([dropped.boundingBox(), page.getByRole('figure', { name: 'Main view' }).boundingBox()]);
    expect(alertBox !== null && viewBox !== null && alertBox.y + alertBox.height <= viewBox.y).toBe(true);
    await expect(page.getByRole('list', { name: 'Converted models' })).toHaveCount(0);
    await expect(page.getByRole('combobox', { name: 'Model' })).toHaveValue('tiny');
    await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
    await app.openSample('Shapes');
  });
});

test('a TensorFlow .index + .data pair dropped together is converted as one checkpoint', async ({ app }) => {
  const { page } = app;
  const tf = tfFiles();
  await page.getByRole('combobox', { name: 'Input size' }).selectOption('129');
  // Data shard first: the index is told by its bytes, not by the order or the names.
  await dropFiles(page, [
    { name: 'ckpt-1.data-00000-of-00001', bytes: tf.data },
    { name: 'ckpt-1.index', bytes: tf.index },
  ]);
  const converted = page.getByRole('list', { name: 'Converted models' }).getByRole('listitem');
  await expect(converted).toContainText('ckpt-1.index · detected-coco_panoptic-resnet-tf-2-1-2-1-k24');
  await expect(converted).toContainText('ResNet 2-1-2-1 (tf)');
  await expect(converted).toContainText('tf processing');
  await expect(page.getByRole('status', { name: 'Engine status' })).toHaveAttribute('data-status', 'ready');
  await expect(page.getByRole('alert')).toHaveCount(0);
});
