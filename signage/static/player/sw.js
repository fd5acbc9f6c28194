/* signage player service worker (scope /play): the page and script network-first
 * with a cached copy for offline reloads; rendered slides cache-first (their URLs
 * are content hashes, so a cached copy is never stale). The API is never cached
 * here: the page keeps its own last manifest. */
"use strict";
var SHELL = "signage-shell-v1";
var MEDIA = "signage-media-v1";
var SHELL_PATHS = ["/play", "/play/player.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(SHELL_PATHS); })
      .catch(function () {})
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname;
  if (path.indexOf("/play/slide/") === 0 || path.indexOf("/play/fallback/") === 0 ||
      path.indexOf("/play/override/") === 0) {
    event.respondWith(
      caches.open(MEDIA).then(function (cache) {
        return cache.match(req).then(function (hit) {
          if (hit) return hit;
          return fetch(req).then(function (resp) {
            if (resp.ok) cache.put(req, resp.clone());
            return resp;
          });
        });
      })
    );
    return;
  }
  if (SHELL_PATHS.indexOf(path) >= 0) {
    event.respondWith(
      fetch(req).then(function (resp) {
        if (resp.ok) {
          var copy = resp.clone();
          caches.open(SHELL).then(function (cache) { cache.put(path, copy); });
        }
        return resp;
      }).catch(function () {
        return caches.match(path).then(function (hit) {
          return hit || new Response("offline", { status: 503 });
        });
      })
    );
  }
});
