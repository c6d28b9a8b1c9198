// 政通 service worker (served at /sw.js so that its scope is the whole site).
// - The app shell (CSS, JS, icons, dictionaries, the offline page) is cached under a versioned name.
// - Pages: network first; when the network is gone, the cached offline page.
// - Static files: network first (so an update shows at once), the cached copy when offline.
// - /api/ is never cached, and neither is anything that is not a GET.

const VERSION = "zt-shell-v1";
const SHELL = [
  "/static/offline.html",
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/api.js",
  "/static/js/i18n.js",
  "/static/js/dom.js",
  "/static/js/people.js",
  "/static/js/stream.js",
  "/static/js/dings.js",
  "/static/js/home.js",
  "/static/js/chat.js",
  "/static/js/ding.js",
  "/static/js/directory.js",
  "/static/i18n/app.zh-CN.json",
  "/static/i18n/app.en.json",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/manifest.webmanifest",
];
const OFFLINE = "/static/offline.html";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(VERSION).then((cache) =>
      // One missing file must not stop the rest from being cached.
      Promise.all(SHELL.map((url) => cache.add(new Request(url, { cache: "reload" })).catch(() => null)))
    ).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.indexOf("zt-shell-") === 0 && k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function isShellAsset(url) {
  return url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest";
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/api/") === 0) return; // never cached, never touched

  if (req.mode === "navigate") {
    event.respondWith(
      fetch(req).catch(() => caches.match(OFFLINE).then((r) => r || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } })))
    );
    return;
  }

  if (isShellAsset(url)) {
    event.respondWith(
      fetch(req).then((res) => {
        if (res.ok && res.type === "basic") {
          const copy = res.clone();
          caches.open(VERSION).then((cache) => cache.put(req, copy)).catch(() => {});
        }
        return res;
      }).catch(() => caches.match(req, { ignoreSearch: true }).then((r) => r || Response.error()))
    );
  }
});
