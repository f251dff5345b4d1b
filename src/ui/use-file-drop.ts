import { useState, type DragEvent } from 'react';

/**
 * A drop target for files: `over` while files are dragged over it (for its style), and
 * the handlers to spread on the element. The drop is kept from the page-wide drop
 * (which routes files by name) and from the browser, which would open the file.
 */
export function useFileDrop(onFiles: (files: File[]) => void): {
  over: boolean;
  handlers: {
    onDragOver: (e: DragEvent) => void;
    onDragLeave: () => void;
    onDrop: (e: DragEvent) => void;
  };
} {
  const [over, setOver] = useState(false);
  return {
    over,
    handlers: {
      onDragOver: (e) => {
        if (![...e.dataTransfer.types].includes('Files')) return;
        e.preventDefault();
        e.stopPropagation();
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        onFiles([...e.dataTransfer.files]);
      },
    },
  };
}
