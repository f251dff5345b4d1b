/** Registers the offline cache (src/sw/service-worker.ts) in built apps; dev servers get none. */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // Relative to the page: the app may be served from any sub-path.
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch((error: unknown) => console.warn('offline cache unavailable:', error));
}
