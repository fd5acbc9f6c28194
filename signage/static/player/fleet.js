/* The fleet list refreshes itself: every poll interval the rows are fetched again
 * (same filters) and swapped in, so status, last seen and the slide on each screen
 * stay current without a reload. Paused while the tab is hidden. */
(function () {
  "use strict";
  var table = document.getElementById("fleet");
  if (!table) return;
  var seconds = Math.max(5, parseInt(table.dataset.refresh, 10) || 30);
  function refresh() {
    if (document.hidden) return;
    var url = new URL(location.href);
    url.searchParams.set("partial", "1");
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) table.tBodies[0].innerHTML = html;
        table.dataset.refreshed = String(Date.now());
      })
      .catch(function () {});
  }
  setInterval(refresh, seconds * 1000);
})();
