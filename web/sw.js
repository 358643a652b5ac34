/* global self, caches, fetch, URL, __PRECACHE__ */
// Famichat service worker (web/sw.js; the build writes dist/sw.js with the precache list filled in).
// Caches the app shell only: index.html, the hashed assets, icons and the manifest. API responses and the
// socket are never cached or even touched, so nothing one user fetched can be served to another.
const VERSION = '__VERSION__';
const SHELL = __PRECACHE__;
const CACHE = `famichat-shell-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('famichat-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/socket') || url.pathname === '/metrics') return;
  if (request.mode === 'navigate') {
    // The page: the network first (a new deploy shows at once), the cached shell when offline. The shell is the
    // cached "/": it carries the app's CSP (with the inline theme script's hash), which a static /index.html lacks.
    event.respondWith(
      fetch(request).catch(() => caches.match('/').then((shell) => shell || caches.match('/index.html', { ignoreSearch: true }))),
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
