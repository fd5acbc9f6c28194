/* signage screen player: plain JavaScript, no build step.
 *
 * - Pairing: shows a 6-character code until an editor pairs the screen; the secret
 *   behind the code becomes the screen's key (localStorage).
 * - Manifest: polled every poll_seconds (+-15 % jitter) with If-None-Match; a 304
 *   costs the server one indexed read. The last manifest is kept in localStorage and
 *   every image in Cache Storage (the service worker serves them), so the screen
 *   keeps playing with the server or the network down, and after a reload. Videos
 *   too, within the manifest's video_cache_bytes (see videoUrls); the worker answers
 *   the <video>'s byte-range requests from the cached file.
 * - Playback: two stacked <img> layers; the next slide is decoded (img.decode())
 *   behind the current one and swapped in only when ready: never a black frame. Slide
 *   ends are planned on the wall clock from the previous planned end, so timer
 *   lateness never accumulates. Schedules (dates, weekdays, daily window that may
 *   cross midnight) are evaluated here, in the province's time zone.
 * - Proof of play: every slide shown is queued (localStorage) with a random id and
 *   uploaded in batches; only ids the server acknowledges leave the queue, and the
 *   server stores each id once, so a retry never counts twice.
 */
(function () {
  "use strict";

  var K_KEY = "signage.key";
  var K_PAIR = "signage.pairing";
  var K_MANIFEST = "signage.manifest";
  var K_ETAG = "signage.etag";
  var K_QUEUE = "signage.plays";
  var K_ALERT = "signage.alert";
  var MEDIA_CACHE = "signage-media-v1";
  var PLAYER_VERSION = "2026.12-1"; // shown in the portal's fleet view
  var QUEUE_MAX = 40000;
  var BATCH = 500;
  var FALLBACK_MS = 10000;

  var layers = [document.getElementById("layer-a"), document.getElementById("layer-b")];
  var pairingPanel = document.getElementById("pairing");
  var fallbackPanel = document.getElementById("fallback");
  var alertImg = document.getElementById("alert");
  var videoEl = document.getElementById("video");
  videoEl.muted = true; // autoplay is allowed muted; screens play no sound

  var state = {
    key: localStorage.getItem(K_KEY),
    manifest: readJSON(K_MANIFEST, null),
    etag: localStorage.getItem(K_ETAG),
    queue: readJSON(K_QUEUE, []),
    front: 0,
    position: -1, // index in manifest.slides of the slide on screen
    pos: {}, // per pool: index in manifest.slides of the pool's last slide shown
    air: { campaign: 0, own: 0 }, // airtime planned per pool while both played
    current: null, // {item, start, plannedEnd}
    next: null, // {item, ready, failed, version}
    timer: null,
    pollTimer: null,
    flushing: false,
    reported: "", // the status the server last acknowledged (JSON)
    alert: readJSON(K_ALERT, null), // the emergency override on screen, if any
    alertEtag: null,
    alertTimer: null,
    alertEnd: null,
    online: null,
    transitions: 0,
    recorded: 0, // proof-of-play records made since the page loaded
    history: [] // the last 200 slides shown (tests and diagnostics)
  };

  function readJSON(key, fallback) {
    try {
      var v = localStorage.getItem(key);
      return v ? JSON.parse(v) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function writeJSON(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* storage full: the queue in memory still works until the next reload */
    }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) {
      return (x + 256).toString(16).slice(1);
    }).join("");
  }

  function jitter(seconds) {
    return seconds * 1000 * (0.85 + Math.random() * 0.3);
  }

  function authHeaders() {
    return { Authorization: "Bearer " + state.key };
  }

  /* Pairing ------------------------------------------------------------------- */

  // The notes live in the page (play.html), in both languages.
  var note = document.getElementById("pair-note");

  function showPairing(code, text) {
    pairingPanel.classList.add("show");
    document.getElementById("code").textContent = code || "······";
    note.textContent = text || "";
  }

  function pair() {
    var p = readJSON(K_PAIR, null);
    var fresh = p && p.expires > Date.now() ? Promise.resolve(p) : fetch("/play/api/pair", { method: "POST" })
      .then(function (r) {
        if (!r.ok) throw new Error("pair " + r.status);
        return r.json();
      })
      .then(function (data) {
        data.expires = Date.now() + 25 * 60 * 1000;
        writeJSON(K_PAIR, data);
        return data;
      });
    fresh.then(function (data) {
      showPairing(data.code, note.dataset.waiting);
      waitForPairing(data);
    }).catch(function () {
      showPairing("", note.dataset.offline);
      setTimeout(pair, 5000);
    });
  }

  function waitForPairing(data) {
    fetch("/play/api/pair", { headers: { Authorization: "Bearer " + data.secret }, cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.status === "paired") {
          localStorage.setItem(K_KEY, data.secret);
          localStorage.removeItem(K_PAIR);
          state.key = data.secret;
          pairingPanel.classList.remove("show");
          start();
        } else if (res.status === "expired") {
          localStorage.removeItem(K_PAIR);
          pair();
        } else {
          setTimeout(function () { waitForPairing(data); }, jitter(data.poll_seconds || 5));
        }
      })
      .catch(function () {
        setTimeout(function () { waitForPairing(data); }, 5000);
      });
  }

  function unpair() {
    // Revoked: plays not yet uploaded can no longer be proven for this screen, and
    // must not be counted for whatever screen this device is paired as next.
    state.queue = [];
    localStorage.removeItem(K_QUEUE);
    localStorage.removeItem(K_KEY);
    localStorage.removeItem(K_MANIFEST);
    localStorage.removeItem(K_ETAG);
    localStorage.removeItem(K_ALERT);
    hideAlert();
    clearTimeout(state.alertTimer);
    state.key = null;
    state.manifest = null;
    state.etag = null;
    state.current = null;
    state.next = null;
    state.position = -1;
    state.pos = {};
    clearTimeout(state.timer);
    clearTimeout(state.pollTimer);
    layers.forEach(function (img) { img.className = ""; img.removeAttribute("src"); });
    fallbackPanel.classList.remove("show");
    pair();
  }

  /* Manifest ------------------------------------------------------------------ */

  function pollSeconds() {
    return (state.manifest && state.manifest.poll_seconds) || 30;
  }

  function poll() {
    clearTimeout(state.pollTimer);
    var headers = authHeaders();
    if (state.manifest && state.etag) headers["If-None-Match"] = state.etag;
    fetch("/play/api/manifest", { headers: headers, cache: "no-store" })
      .then(function (r) {
        state.online = true;
        if (r.status === 401) {
          unpair();
          return null;
        }
        if (r.status === 200) {
          var etag = r.headers.get("ETag");
          return r.json().then(function (m) { applyManifest(m, etag); });
        }
        return null;
      })
      .catch(function () {
        state.online = false;
      })
      .then(function () {
        if (!state.key) return;
        flush();
        state.pollTimer = setTimeout(poll, jitter(pollSeconds()));
      });
  }

  function applyManifest(m, etag) {
    var changed = !state.manifest || state.manifest.version !== m.version;
    state.manifest = m;
    state.etag = etag;
    writeJSON(K_MANIFEST, m);
    if (etag) localStorage.setItem(K_ETAG, etag);
    if (changed) {
      state.position = -1; // a new version starts from its first slide
      state.pos = {};
      state.next = null; // whatever was preloaded belongs to the old version
    }
    if (!state.current) advance(); // first the slide to show, then the rest
    cacheMedia(m);
  }

  function mediaUrls(m) {
    var urls = m.slides.map(function (s) { return s.src; });
    if (m.fallback) urls.push(m.fallback);
    if (state.alert && state.alert.src) urls.push(state.alert.src); // kept for restarts
    return urls;
  }

  /* Which videos to keep for offline play: in the loop's order, each once, while
   * their sizes (from the manifest) add up to no more than the budget; one that
   * does not fit is skipped (a smaller one after it may still fit). The others
   * stream while online and are skipped offline (never a blank screen). */
  function videoUrls(m, budget) {
    var seen = {}, total = 0, out = [];
    m.slides.forEach(function (s) {
      if (s.type !== "video" || !s.video || seen[s.video]) return;
      seen[s.video] = true;
      var size = s.video_bytes || 0;
      if (size <= 0 || total + size > budget) return;
      total += size;
      out.push(s.video);
    });
    return out;
  }

  // The server's budget for cached videos (video_cache_bytes), and never more than
  // half of what the browser grants this origin (the images and shell need room).
  function videoBudget(m) {
    var budget = m.video_cache_bytes || 0;
    if (!budget || !navigator.storage || !navigator.storage.estimate) {
      return Promise.resolve(budget);
    }
    return navigator.storage.estimate().then(function (e) {
      return e && e.quota ? Math.min(budget, Math.floor(e.quota / 2)) : budget;
    }, function () { return budget; });
  }

  /* The slide being decoded for the screen is already on its way (the worker and
   * the HTTP cache keep it): wait for it rather than ask the server for the same
   * picture at the same moment, which renders a fresh version's slide twice. */
  function preloaded(url) {
    var n = state.next;
    if (!n || n.item.type !== "image" || n.item.src !== url || n.ready || n.failed) {
      return Promise.resolve();
    }
    return new Promise(function (done) {
      n.waiters.push(done);
      setTimeout(done, 10000); // a stalled download must not stop the caching
    });
  }

  function cacheMedia(m) {
    if (!("caches" in window)) return;
    if (state.caching) { state.cacheAgain = m; return; } // one download at a time
    state.caching = true;
    videoBudget(m).then(function (budget) {
      var wanted = mediaUrls(m).concat(videoUrls(m, budget));
      return caches.open(MEDIA_CACHE).then(function (cache) {
        var chain = Promise.resolve();
        wanted.forEach(function (url) {
          chain = chain.then(function () {
            return preloaded(url);
          }).then(function () {
            return cache.match(url).then(function (hit) {
              if (hit) return null;
              return fetch(url).then(function (r) {
                if (r.ok) return cache.put(url, r);
                return null;
              });
            });
          }).catch(function () { /* offline: try again with the next manifest */ });
        });
        return chain.then(function () {
          // Keep the cache to what this version needs (and the budget allows).
          return cache.keys().then(function (keys) {
            var keep = {};
            wanted.forEach(function (u) { keep[new URL(u, location.href).href] = true; });
            return Promise.all(keys.filter(function (req) { return !keep[req.url]; })
              .map(function (req) { return cache.delete(req); }));
          });
        });
      });
    }).catch(function () {}).then(function () {
      state.caching = false;
      var again = state.cacheAgain;
      state.cacheAgain = null;
      if (again) cacheMedia(again);
    });
  }

  /* Schedules ----------------------------------------------------------------- */

  var formatter = null;
  var formatterZone = null;
  var WEEKDAY = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

  function localParts(now, zone) {
    if (formatterZone !== zone) {
      try {
        formatter = new Intl.DateTimeFormat("en-US", {
          timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", weekday: "short", hourCycle: "h23"
        });
      } catch (e) {
        formatter = new Intl.DateTimeFormat("en-US", {
          year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", weekday: "short", hourCycle: "h23"
        });
      }
      formatterZone = zone;
    }
    var p = {};
    formatter.formatToParts(now).forEach(function (x) { p[x.type] = x.value; });
    return {
      date: p.year + "-" + p.month + "-" + p.day,
      weekday: WEEKDAY[p.weekday],
      minutes: (parseInt(p.hour, 10) % 24) * 60 + parseInt(p.minute, 10)
    };
  }

  function eligible(slide, parts) {
    if (slide.start_date && parts.date < slide.start_date) return false;
    if (slide.end_date && parts.date > slide.end_date) return false;
    if (!(slide.weekdays & (1 << parts.weekday))) return false;
    if (slide.window) {
      var s = slide.window[0], e = slide.window[1], m = parts.minutes;
      if (s < e ? !(m >= s && m < e) : !(m >= s || m < e)) return false;
    }
    return true;
  }

  /* Picks the next slide, or the fallback slide. A screen plays two pools: the
   * campaign feeds and its organisation's own loop. Each pool keeps its own place;
   * when both have something to show, the pool whose turn keeps the campaign's
   * share of airtime closest to the province's setting goes next (counted only
   * while both pools play, so a pool that was off-schedule never "catches up"). */
  /* Films that could not play (corrupt, missing, stopped decoding) are left out
   * for a while, then tried again: the loop goes on without them, and a loop of
   * nothing else shows the fallback slide. */
  var BAD_VIDEO_MS = 60000;
  var badVideos = {};

  function playable(s) {
    return s.type !== "video" || !(badVideos[s.video] > Date.now());
  }

  function nextInPool(m, pool, parts) {
    var n = m.slides.length;
    var last = state.pos[pool] === undefined ? -1 : state.pos[pool];
    for (var step = 1; step <= n; step++) {
      var i = (last + step + n) % n;
      var s = m.slides[i];
      if ((s.pool || "own") === pool && eligible(s, parts) && playable(s)) return i;
    }
    return -1;
  }

  function choosePool(m, c, o) {
    var share = (m.share === undefined ? 50 : m.share) / 100;
    var a = state.air, dc = m.slides[c].duration_ms, dO = m.slides[o].duration_ms;
    var ifC = Math.abs((a.campaign + dc) / (a.campaign + a.own + dc) - share);
    var ifO = Math.abs(a.campaign / (a.campaign + a.own + dO) - share);
    return ifC <= ifO ? c : o;
  }

  function pick() {
    var m = state.manifest;
    if (!m) return null;
    var parts = localParts(new Date(), m.timezone);
    var c = nextInPool(m, "campaign", parts);
    var o = nextInPool(m, "own", parts);
    var i = c >= 0 && o >= 0 ? choosePool(m, c, o) : (c >= 0 ? c : o);
    if (i >= 0) {
      var s = m.slides[i];
      return { index: i, id: s.id, src: s.src, duration: s.duration_ms,
               version: s.version || m.version, pool: s.pool || "own",
               shared: c >= 0 && o >= 0, title: s.title, schedule: m.version,
               type: s.type || "image", video: s.video || "" };
    }
    if (!m.fallback) return null;
    return { index: -1, id: 0, src: m.fallback, duration: Math.min(FALLBACK_MS, pollSeconds() * 1000),
             version: m.version, pool: "", shared: false, title: "", schedule: m.version,
             type: "image", video: "" };
  }

  /* Playback ------------------------------------------------------------------ */

  function preload() {
    var item = pick();
    if (!item) {
      state.next = null;
      return;
    }
    var img = layers[1 - state.front];
    var next = { item: item, ready: false, failed: false, waiters: [] };
    state.next = next;
    if (item.type === "video") {
      // The one <video> may be playing the slide on screen: load the next film
      // only when that one ends (advance), never under it.
      if (state.current && state.current.item.type === "video") next.deferred = true;
      else loadVideo(next);
      return;
    }
    if (img.getAttribute("src") !== item.src) img.src = item.src;
    img.decode().then(function () {
      next.ready = true;
    }, function () {
      next.failed = true;
    }).then(function () {
      var w = next.waiters;
      next.waiters = [];
      w.forEach(function (fn) { fn(); });
    });
  }

  function settle(next) {
    var w = next.waiters;
    next.waiters = [];
    w.forEach(function (fn) { fn(); });
  }

  /* Video slides: one muted inline <video> above the image layers; ready once it
   * can play, skipped (never a blank screen) when the file cannot be played. */
  function loadVideo(next) {
    var v = videoEl;
    var url = next.item.video;
    if (v.getAttribute("src") !== url || v.error) { // a failed load is not retried by itself
      v.src = url;
      v.load();
    }
    if (v.readyState >= 3) {
      next.ready = true;
      return;
    }
    var ok = function () { done(); next.ready = true; settle(next); };
    var bad = function () {
      done();
      badVideos[url] = Date.now() + BAD_VIDEO_MS;
      next.failed = true;
      settle(next);
    };
    var done = function () {
      v.removeEventListener("canplay", ok);
      v.removeEventListener("error", bad);
    };
    v.addEventListener("canplay", ok);
    v.addEventListener("error", bad);
  }

  function advance() {
    clearTimeout(state.timer);
    if (!state.key) return; // unpaired: the pairing panel is up, nothing to play
    var next = state.next;
    if (!next || (state.manifest && next.item.schedule !== state.manifest.version)) {
      preload();
      next = state.next;
    }
    if (!next) {
      showFallbackPanel();
      state.timer = setTimeout(advance, 1000);
      return;
    }
    if (next.deferred) {
      next.deferred = false;
      loadVideo(next);
    }
    if (!next.ready && !next.failed) {
      // Not decoded yet: keep the current slide a little longer, never a blank frame.
      next.waiters.push(function () { advance(); });
      return;
    }
    if (next.failed) {
      state.next = null;
      if (next.item.index >= 0) {
        state.position = next.item.index;
        state.pos[next.item.pool] = next.item.index;
      }
      if (state.current || next.item.index >= 0) {
        state.timer = setTimeout(advance, 200); // skip the broken slide
      } else {
        showFallbackPanel();
        state.timer = setTimeout(advance, 5000);
      }
      return;
    }
    swap(next.item);
  }

  function swap(item) {
    var now = Date.now();
    var prev = state.current;
    if (item.type === "video") {
      videoEl.currentTime = 0;
      videoEl.className = "on";
      var playing = videoEl.play();
      if (playing && playing.catch) {
        playing.catch(function () {
          // It would not start (it stopped decoding): on to the next slide.
          if (state.current && state.current.item === item) {
            badVideos[item.video] = Date.now() + BAD_VIDEO_MS;
            advance();
          }
        });
      }
    } else {
      var incoming = layers[1 - state.front];
      var outgoing = layers[state.front];
      incoming.className = "on";
      outgoing.className = "off";
      state.front = 1 - state.front;
      if (videoEl.className) {
        videoEl.className = "";
        videoEl.pause();
      }
    }
    fallbackPanel.classList.remove("show");
    if (prev) record(prev, now);
    // Plan from the previous planned end (no drift) unless we are far behind it
    // (the tab slept, the next slide took long to decode): then from now.
    var base = prev && now - prev.plannedEnd < 1000 ? prev.plannedEnd : now;
    state.current = { item: item, start: now, plannedEnd: base + item.duration,
                      hidden: alertImg.classList.contains("show") };
    if (item.index >= 0) {
      state.position = item.index;
      state.pos[item.pool] = item.index;
      if (item.shared) state.air[item.pool] += item.duration;
    }
    state.next = null;
    state.transitions++;
    document.body.dataset.slide = String(item.id);
    document.body.dataset.version = item.version || "";
    state.history.push({ id: item.id, at: now, pool: item.pool });
    if (state.history.length > 200) state.history.shift();
    preload();
    state.timer = setTimeout(advance, Math.max(0, state.current.plannedEnd - Date.now()));
    // The first slide after a start or a pairing is reported at once: the fleet
    // view shows what a new screen plays without waiting for its next poll.
    if (!prev) flush();
  }

  function showFallbackPanel() {
    layers.forEach(function (img) { img.className = ""; });
    videoEl.className = "";
    videoEl.pause();
    fallbackPanel.classList.add("show");
  }

  /* Emergency override ----------------------------------------------------------
   * Asked on a path of its own every alert_seconds (5 s by default, far more often
   * than the manifest): a 304 while nothing changed. The override covers the loop
   * until its end time (kept on the screen's own clock too, so it leaves on time
   * with the network down), a cancel, or a newer override. The last answer is kept
   * in localStorage, so a screen that restarts offline still shows it. */

  function alertSeconds() {
    return (state.manifest && state.manifest.alert_seconds) || 5;
  }

  function showAlert(a) {
    if (!a || (a.ends_at && a.ends_at <= Date.now())) {
      hideAlert();
      return;
    }
    state.alert = a;
    writeJSON(K_ALERT, a);
    clearTimeout(state.alertEnd);
    if (a.ends_at) state.alertEnd = setTimeout(hideAlert, a.ends_at - Date.now());
    if (alertImg.getAttribute("src") !== a.src) {
      alertImg.src = a.src;
      alertImg.decode().then(function () { reveal(a); }, function () {
        // Not loaded (offline, its picture not cached yet): the loop plays on,
        // never a blank cover, and the next ask fetches the override again.
        if (state.alert !== a) return;
        alertImg.classList.remove("show");
        alertImg.removeAttribute("src");
        delete document.body.dataset.alert;
        state.alertEtag = null;
      });
    } else {
      reveal(a);
    }
  }

  function reveal(a) {
    if (state.alert !== a) return;
    alertImg.classList.add("show");
    document.body.dataset.alert = String(a.id);
    if (state.current) state.current.hidden = true; // not airtime of the loop
  }

  function hideAlert() {
    clearTimeout(state.alertEnd);
    state.alert = null;
    localStorage.removeItem(K_ALERT);
    alertImg.classList.remove("show");
    alertImg.removeAttribute("src");
    delete document.body.dataset.alert;
  }

  function alertPoll() {
    clearTimeout(state.alertTimer);
    if (!state.key) return;
    var headers = authHeaders();
    if (state.alertEtag) headers["If-None-Match"] = state.alertEtag;
    fetch("/play/api/alert", { headers: headers, cache: "no-store" })
      .then(function (r) {
        if (r.status === 200) {
          state.alertEtag = r.headers.get("ETag");
          return r.json().then(function (a) {
            if (a.id) showAlert(a);
            else hideAlert();
          });
        }
        return null;
      })
      .catch(function () { /* offline: keep what is shown until its end time */ })
      .then(function () {
        if (state.key) state.alertTimer = setTimeout(alertPoll, jitter(alertSeconds()));
      });
  }

  /* Proof of play ------------------------------------------------------------- */

  function record(shown, end) {
    if (!shown.item.id) return; // the fallback slide is not campaign airtime
    if (shown.hidden) return; // an emergency override covered it
    state.queue.push({
      id: uuid(),
      slide: shown.item.id,
      version: shown.item.version,
      start: shown.start,
      duration: end - shown.start
    });
    state.recorded++;
    if (state.queue.length > QUEUE_MAX) state.queue.splice(0, state.queue.length - QUEUE_MAX);
    writeJSON(K_QUEUE, state.queue);
    if (state.queue.length >= 50 && state.online !== false) flush();
  }

  /* What is on screen now, for the fleet view: the exact picture's URL (the override
   * when one covers the loop), the player's version and its real resolution. */
  function status() {
    var dpr = window.devicePixelRatio || 1;
    var shown = state.alert && alertImg.classList.contains("show")
      ? { src: state.alert.src, label: state.alert.title || "" }
      : state.current
        ? { src: state.current.item.src, label: state.current.item.title || "" }
        : { src: "", label: "" };
    return {
      src: shown.src ? new URL(shown.src, location.href).pathname : "",
      label: shown.label,
      version: PLAYER_VERSION,
      size: Math.round(window.innerWidth * dpr) + "x" + Math.round(window.innerHeight * dpr)
    };
  }

  /* Uploads queued plays (and the status when it changed) after every poll, so the
   * server's proof of play is at most one poll interval behind the screen. */
  function flush() {
    if (state.flushing || !state.key) return;
    var now = status();
    var nowJSON = JSON.stringify(now);
    if (!state.queue.length && nowJSON === state.reported) return;
    state.flushing = true;
    var batch = state.queue.slice(0, BATCH);
    var headers = authHeaders();
    headers["Content-Type"] = "application/json";
    fetch("/play/api/plays", { method: "POST", headers: headers,
                               body: JSON.stringify({ plays: batch, status: now }) })
      .then(function (r) {
        if (r.status === 401) {
          unpair();
          return null;
        }
        return r.ok ? r.json() : null;
      })
      .then(function (res) {
        state.flushing = false;
        if (!res || !res.ids) return;
        state.reported = nowJSON;
        var acked = {};
        res.ids.forEach(function (id) { acked[id] = true; });
        state.queue = state.queue.filter(function (p) { return !acked[p.id]; });
        writeJSON(K_QUEUE, state.queue);
        if (state.queue.length && res.ids.length) setTimeout(flush, 100);
      })
      .catch(function () {
        state.flushing = false;
      });
  }

  /* Start --------------------------------------------------------------------- */

  function start() {
    if (state.alert) showAlert(state.alert); // it was on when the screen went down
    alertPoll();
    if (state.manifest) {
      cacheMedia(state.manifest);
      advance(); // play what we had at once, even offline
    } else {
      showFallbackPanel();
    }
    poll();
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/play/sw.js", { scope: "/play" }).catch(function () {});
  }
  window.signagePlayer = { state: state, flush: flush, poll: poll, alertPoll: alertPoll,
                           videoUrls: videoUrls };
  if (state.key) start();
  else pair();
})();
