import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { readNpy } from '../src/checkpoints/numpy/npy';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'training', 'fixtures');

export const fixtureCheckpoint = (fixture: string): Buffer => readFileSync(path.join(FIXTURES, fixture, 'checkpoint.pth'));

/** A golden tensor of a fixture (`golden/<name>.npy`). */
export function goldenTensor(fixture: string, name: string): { shape: number[]; data: Float32Array | Int32Array } {
  const raw = readNpy(new Uint8Array(readFileSync(path.join(FIXTURES, fixture, 'golden', `${name}.npy`))));
  return { shape: [...raw.shape], data: raw.data as Float32Array | Int32Array };
}

/** Drops files on the page, as dragging them from the desktop does (bytes travel as base64). */
export async function dropFiles(page: Page, files: readonly { name: string; bytes: Buffer }[], selector = 'main'): Promise<void> {
  await page.evaluate(
    ({ files, selector }) => {
      const transfer = new DataTransfer();
      for (const f of files) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
      const target = document.querySelector(selector) as HTMLElement;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { files: files.map((f) => ({ name: f.name, base64: f.bytes.toString('base64') })), selector },
  );
}

/**
 * Records every state the conversion progress bar shows (phase, value, max, label)
 * from now on: a conversion of a small file is over before a poll would see it.
 */
export async function recordConversionProgress(page: Page): Promise<() => Promise<{ phase: string; value: number; max: number; label: string }[]>> {
  await page.evaluate(() => {
    const seen: { phase: string; value: number; max: number; label: string }[] = [];
    (window as unknown as { conversionStates: typeof seen }).conversionStates = seen;
    const record = () => {
      const box = document.querySelector('.conversion');
      const bar = box?.querySelector('progress');
      if (box === null || box === undefined || bar === null || bar === undefined) return;
      const state = { phase: box.getAttribute('data-phase') ?? '', value: bar.value, max: bar.max, label: box.textContent ?? '' };
      const last = seen.at(-1);
      if (last === undefined || last.label !== state.label) seen.push(state);
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  return () => page.evaluate(() => (window as unknown as { conversionStates: { phase: string; value: number; max: number; label: string }[] }).conversionStates);
}
