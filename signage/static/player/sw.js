/* signage player service worker (scope /play): the page and script network-first
 * with a cached copy for offline reloads; rendered slides cache-first (their URLs
 * are content hashes, so a cached copy is never stale). Videos: the page decides
 * which to cache (within the manifest's budget, player.js videoUrls); a cached one
 * is answered from the cache, byte ranges included (a <video> asks for ranges and
 * the cache holds the whole file), the others go to the network. The API is never
 * cached here: the page keeps its own last manifest. */
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
  if (path.indexOf("/play/video/") === 0) {
    event.respondWith(
      caches.open(MEDIA).then(function (cache) {
        return cache.match(url.href).then(function (hit) {
          return hit ? ranged(req, hit) : fetch(req);
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

/* A cached whole file answered to a Range request: 206 with that slice (RFC 9110:
 * "bytes=a-b", "bytes=a-", "bytes=-n"); 416 for a range outside the file. */
function ranged(req, whole) {
  var range = req.headers.get("Range");
  if (!range) return whole;
  return whole.blob().then(function (blob) {
    var size = blob.size;
    var m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    var start = -1, end = size - 1;
    if (m && m[1] !== "") {
      start = Number(m[1]);
      if (m[2] !== "") end = Math.min(Number(m[2]), size - 1);
    } else if (m && m[2] !== "") {
      start = Math.max(0, size - Number(m[2]));
    }
    if (start < 0 || start > end) {
      return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
    }
    return new Response(blob.slice(start, end + 1), {
      status: 206,
      headers: {
        "Content-Type": whole.headers.get("Content-Type") || "video/mp4",
        "Content-Range": "bytes " + start + "-" + end + "/" + size,
        "Content-Length": String(end - start + 1),
        "Accept-Ranges": "bytes"
      }
    });
  });
}
