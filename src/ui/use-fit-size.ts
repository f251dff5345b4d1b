import { useEffect, useState } from 'react';

/**
 * The largest size of a `width`×`height` picture that fits the observed
 * element's content width and `maxHeight` CSS pixels, scaled up or down with
 * its aspect ratio kept. Attach `ref` to the element (it may mount later).
 */
export function useFitSize(width: number, height: number, maxHeight: number): { ref: (element: HTMLElement | null) => void; size: { width: number; height: number } } {
  const [element, ref] = useState<HTMLElement | null>(null);
  const [available, setAvailable] = useState(0);
  useEffect(() => {
    if (element === null) return;
    const observer = new ResizeObserver(([entry]) => setAvailable(entry.contentRect.width));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  const scale = Math.min((available || width) / width, maxHeight / height);
  return { ref, size: { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) } };
}
