/// <reference lib="webworker" />
/**
 * Keeps the built app and the models it ships (the demo) in the Cache API, so that a
 * reload works offline. The build (vite.config.ts, `offlineApp`) writes the file list and
 * a version over the contents in place of the two placeholders below; a new build is a new
 * cache, and the old one is dropped once the new worker takes over. Paths are relative to
 * the worker's scope, so the app works from any sub-path of a static host.
 */
declare const self: ServiceWorkerGlobalScope;
export {};

const PRECACHE = JSON.parse('__KMAX_PRECACHE__') as string[];
const CACHE = 'kmax-lens-app-__KMAX_VERSION__';
const PREFIX = 'kmax-lens-app-';

const scoped = (path: string): string => new URL(path, self.registration.scope).href;
const precached = new Set(PRECACHE.map(scoped));

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...precached]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  // Only this app's older copies: the converted models live in another cache.
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  if (request.mode === 'navigate') {
    // The page from the network when there is one (a new deployment shows at once), else the cached one.
    event.respondWith(fetch(request).catch(async () => (await caches.match(scoped('./'), { cacheName: CACHE })) ?? Response.error()));
    return;
  }
  if (!precached.has(url.href)) return;
  event.respondWith(caches.match(url.href, { cacheName: CACHE }).then((hit) => hit ?? fetch(request)));
});
