import { useEffect, useRef, type MouseEvent } from 'react';
import type { RgbaImage } from '../viz';

interface Props {
  readonly image: RgbaImage | null;
  readonly label: string;
  readonly className?: string;
  /** CSS size; without it the stylesheet sizes the canvas. */
  readonly displaySize?: { readonly width: number; readonly height: number };
  /** Click on image pixel (x, y). */
  readonly onPixel?: (x: number, y: number) => void;
  /** Pointer over image pixel (x, y), or null once it leaves. */
  readonly onHover?: (point: { x: number; y: number } | null) => void;
}

/** Puts an RGBA image on a 2D canvas at its own resolution; CSS scales it. */
export function ImageCanvas({ image, label, className, displaySize, onPixel, onHover }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (canvas === null || image === null) return;
    canvas.width = image.width;
    canvas.height = image.height;
    canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  }, [image]);
  const pixel = (event: MouseEvent<HTMLCanvasElement>) => {
    const canvas = ref.current as HTMLCanvasElement;
    const box = canvas.getBoundingClientRect();
    const x = Math.floor(((event.clientX - box.left) / box.width) * canvas.width);
    const y = Math.floor(((event.clientY - box.top) / box.height) * canvas.height);
    return { x: Math.min(canvas.width - 1, Math.max(0, x)), y: Math.min(canvas.height - 1, Math.max(0, y)) };
  };
  return (
    <canvas
      ref={ref}
      role="img"
      aria-label={label}
      className={className}
      style={displaySize}
      onClick={onPixel === undefined ? undefined : (e) => { const p = pixel(e); onPixel(p.x, p.y); }}
      onMouseMove={onHover === undefined ? undefined : (e) => onHover(pixel(e))}
      onMouseLeave={onHover === undefined ? undefined : () => onHover(null)}
      width={image?.width ?? 1}
      height={image?.height ?? 1}
    />
  );
}
