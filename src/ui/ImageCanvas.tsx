import { useEffect, useRef } from 'react';
import type { RgbaImage } from '../viz';

interface Props {
  readonly image: RgbaImage | null;
  readonly label: string;
  readonly className?: string;
  readonly onPixel?: (x: number, y: number) => void;
}

/** Puts an RGBA image on a 2D canvas at its own resolution; CSS scales it. */
export function ImageCanvas({ image, label, className, onPixel }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (canvas === null || image === null) return;
    canvas.width = image.width;
    canvas.height = image.height;
    canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  }, [image]);
  const click = (event: React.MouseEvent<HTMLCanvasElement>) => {
    const canvas = ref.current;
    if (canvas === null || onPixel === undefined) return;
    const box = canvas.getBoundingClientRect();
    onPixel(Math.floor(((event.clientX - box.left) / box.width) * canvas.width), Math.floor(((event.clientY - box.top) / box.height) * canvas.height));
  };
  return <canvas ref={ref} role="img" aria-label={label} className={className} onClick={click} width={image?.width ?? 1} height={image?.height ?? 1} />;
}
