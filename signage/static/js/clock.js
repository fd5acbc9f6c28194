// The confirmation page's live clock (server time, so a screenshot from yesterday is
// told apart): the server writes its time and the zone offset in data attributes.
(function () {
  var c = document.getElementById("clock"),
    d = document.getElementById("date");
  if (!c) return;
  var skew = +c.getAttribute("data-now") - Date.now(),
    off = +c.getAttribute("data-offset"),
    lang = document.documentElement.lang,
    day = null;
  function p(n) {
    return (n < 10 ? "0" : "") + n;
  }
  // The server wrote today's date in the page's language; past midnight the date is
  // written here the same way (Vietnamese dd/mm/yyyy, other languages their medium form).
  function date(t) {
    return lang == "vi"
      ? p(t.getUTCDate()) + "/" + p(t.getUTCMonth() + 1) + "/" + t.getUTCFullYear()
      : t.toLocaleDateString(lang, { timeZone: "UTC", dateStyle: "medium" });
  }
  function tick() {
    var t = new Date(Date.now() + skew + off),
      today = t.getUTCDate();
    c.textContent = p(t.getUTCHours()) + ":" + p(t.getUTCMinutes()) + ":" + p(t.getUTCSeconds());
    if (day !== null && today !== day) d.textContent = date(t);
    day = today;
  }
  tick();
  setInterval(tick, 1000);
})();
