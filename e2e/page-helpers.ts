import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Download, Page } from '@playwright/test';
import { SAMPLES_DIR } from './paths';

export const sampleBytes = (file: string): Buffer => readFileSync(path.join(SAMPLES_DIR, file));

/** Pastes a PNG into the page as a clipboard file, the way Ctrl+V with an image does. */
export async function pasteImage(page: Page, bytes: Buffer, name: string): Promise<void> {
  await page.evaluate(
    ({ data, name }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], name, { type: 'image/png' }));
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    },
    { data: [...bytes], name },
  );
}

/** Drops a PNG onto the app, as dragging a file from the desktop does. */
export async function dropImage(page: Page, bytes: Buffer, name: string): Promise<void> {
  await page.evaluate(
    ({ data, name }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], name, { type: 'image/png' }));
      const target = document.querySelector('main') as HTMLElement;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { data: [...bytes], name },
  );
}

/** RGBA pixels of a canvas, by its accessible name. */
export async function canvasPixels(page: Page, label: string): Promise<{ width: number; height: number; data: number[] }> {
  return page.evaluate((label) => {
    const canvas = document.querySelector(`canvas[aria-label="${label}"]`) as HTMLCanvasElement;
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
    return { width: canvas.width, height: canvas.height, data: [...data] };
  }, label);
}

/** Clicks a download button and returns the saved file's bytes. */
export async function download(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [file]: [Download, void] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

/** Page coordinates of the centre of pixel (x, y) of a canvas, by its accessible name. */
export async function canvasPoint(page: Page, label: string, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ({ label, x, y }) => {
      const canvas = document.querySelector(`canvas[aria-label="${label}"]`) as HTMLCanvasElement;
      const box = canvas.getBoundingClientRect();
      return { x: box.left + ((x + 0.5) * box.width) / canvas.width, y: box.top + ((y + 0.5) * box.height) / canvas.height };
    },
    { label, x, y },
  );
}

/** Segment id per pixel of a COCO panoptic PNG (id = R + 256·G + 256²·B). */
export function panopticIds(png: { width: number; height: number; data: Buffer }): number[] {
  return Array.from({ length: png.width * png.height }, (_, p) => png.data[p * 4] + 256 * png.data[p * 4 + 1] + 65536 * png.data[p * 4 + 2]);
}
