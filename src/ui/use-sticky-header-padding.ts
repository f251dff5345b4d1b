import { useEffect, type RefObject } from 'react';

/**
 * Keeps the page's scroll padding at the sticky header's height, so that whatever is scrolled
 * into view lands below the header and not under it: the header wraps to three rows on a phone,
 * one on a desktop.
 */
export function useStickyHeaderPadding(header: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const element = header.current;
    if (element === null) return;
    const root = document.documentElement;
    const observer = new ResizeObserver(() => {
      root.style.scrollPaddingTop = `${element.getBoundingClientRect().height + 8}px`;
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      root.style.scrollPaddingTop = '';
    };
  }, [header]);
}
