/* Live preview beside the slide form: the slide as typed, at the chosen size,
 * re-rendered by the server (the same renderer the screens use) a moment after
 * each change, with the sizes at which its text would be cut. */
(function () {
  "use strict";
  var aside = document.getElementById("live-preview");
  var form = document.getElementById("slide-form");
  if (!aside || !form) return;
  var img = document.getElementById("preview-img");
  var select = document.getElementById("preview-size");
  var ok = document.getElementById("preview-ok");
  var warn = document.getElementById("preview-overflow");
  var timer = null;
  var seq = 0;

  function refresh() {
    var mine = ++seq;
    var data = new FormData(form);
    data.delete("image"); // a new upload is not sent until the form is saved
    var url = aside.dataset.url + "?kind=" + encodeURIComponent(aside.dataset.kind) +
      "&size=" + encodeURIComponent(select.value) +
      (aside.dataset.slide ? "&slide=" + aside.dataset.slide : "");
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (res) {
        if (!res || mine !== seq) return;
        img.src = res.image;
        var sizes = res.overflow || [];
        aside.dataset.overflow = sizes.join(",");
        ok.hidden = sizes.length > 0;
        warn.hidden = sizes.length === 0;
        warn.textContent = warn.dataset.text + " " +
          sizes.map(function (s) { return s.replace("x", "×"); }).join(", ");
      })
      .catch(function () {});
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  select.addEventListener("change", refresh);
  refresh();
})();
