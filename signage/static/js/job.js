// A job's page: poll its JSON once a second and update the bar, the estimate of the
// time left (from the rate seen since the page opened), the error and the download.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var bar = document.getElementById("job-bar");
  var state = document.getElementById("job-state");
  var count = document.getElementById("job-count");
  var eta = document.getElementById("job-eta");
  var error = document.getElementById("job-error");
  var dl = document.getElementById("job-download");
  var link = document.getElementById("job-download-link");
  var cancel = document.getElementById("job-cancel");
  var first = null; // {t, done}: the first running sample, for the rate

  function duration(s) {
    if (s >= 90) return box.dataset.minutes.replace("{n}", Math.round(s / 60));
    return box.dataset.seconds.replace("{n}", Math.max(1, Math.round(s)));
  }

  function show(job) {
    var active = job.state === "queued" || job.state === "running";
    state.textContent = box.dataset["label" + job.state.charAt(0).toUpperCase() + job.state.slice(1)] || job.state;
    if (job.total) {
      bar.max = job.total;
      bar.value = job.done;
      count.textContent = job.done + " / " + job.total;
    } else if (job.state === "done") {
      bar.max = 1;
      bar.value = 1;
    }
    eta.hidden = !active;
    if (job.state === "running" && job.total) {
      var now = Date.now() / 1000;
      if (!first || job.done < first.done) first = { t: now, done: job.done };
      var rate = (job.done - first.done) / (now - first.t);
      eta.textContent = rate > 0
        ? box.dataset.etaText.replace("{t}", duration((job.total - job.done) / rate))
        : box.dataset.etaCalc;
    }
    error.hidden = !job.error;
    error.textContent = job.error || "";
    dl.hidden = !job.download;
    if (job.download) link.href = job.download;
    cancel.hidden = !active;
    return active;
  }

  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) return setTimeout(poll, 5000);
        if (show(job)) setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  if (box.dataset.state === "queued" || box.dataset.state === "running") poll();
})();
