// The phone page's service worker: saves the page and its scripts on the first (online)
// visit and serves them from then on; the published keys and the revocation list are fetched
// afresh whenever there is a connection and served from the saved copy when there is none,
// stamped with when they were fetched.

// Replaced by the server with a digest of the page's files (src/cli/seal_page.rs).
const VERSION = '__VERSION__';
const SHELL_CACHE = `ecites-seal-${VERSION}`;
// The lists outlive a release of the page: a new page must not forget the keys it had.
const LISTS_CACHE = 'ecites-seal-lists';
const SHELL = ['./', './verify.js', './cp1.js', './noble-ed25519.js', './seal.css'];
const LISTS = ['/.well-known/ecites-keys.json', '/.well-known/ecites-revoked.json'];
// A phone on a bad line must not wait long before the saved copy is shown.
const LIST_TIMEOUT_MS = 5000;

async function fetchList(path) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), LIST_TIMEOUT_MS);
  try {
    const res = await fetch(path, { cache: 'no-store', signal: abort.signal });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    const body = await res.arrayBuffer();
    const headers = new Headers({
      'content-type': res.headers.get('content-type') || 'application/json',
      'x-ecites-fetched-at': new Date().toISOString(),
    });
    const cache = await caches.open(LISTS_CACHE);
    await cache.put(path, new Response(body, { headers }));
    headers.set('x-ecites-source', 'network');
    return new Response(body, { headers });
  } finally {
    clearTimeout(timer);
  }
}

async function list(path) {
  try {
    return await fetchList(path);
  } catch {
    const saved = await caches.match(path, { cacheName: LISTS_CACHE });
    if (!saved) {
      return new Response('{"error":"not saved yet: open the page once with a connection"}', {
        status: 503,
        headers: { 'content-type': 'application/json' },
      });
    }
    const headers = new Headers(saved.headers);
    headers.set('x-ecites-source', 'cache');
    return new Response(await saved.arrayBuffer(), { headers });
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL.map((p) => new Request(p, { cache: 'no-store' })));
    // Best effort: the page fetches them again, and a list that failed now is not a reason
    // to leave the page unsaved.
    await Promise.allSettled(LISTS.map(fetchList));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('ecites-seal-') && name !== SHELL_CACHE && name !== LISTS_CACHE) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || event.request.method !== 'GET') return;
  if (LISTS.includes(url.pathname)) {
    event.respondWith(list(url.pathname));
    return;
  }
  const scope = new URL('./', self.location).pathname;
  if (!url.pathname.startsWith(scope) || url.pathname === `${scope}sw.js`) return;
  // `?engine=noble` and the like are the same page.
  event.respondWith((async () => {
    const saved = await caches.match(event.request, { cacheName: SHELL_CACHE, ignoreSearch: true });
    return saved || fetch(event.request);
  })());
});
