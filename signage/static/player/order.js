/* Loop editor: reorder slides by drag and drop (HTML5), saved at once. The arrow
 * buttons next to each slide do the same without JavaScript. */
(function () {
  "use strict";
  var list = document.getElementById("slides");
  if (!list) return;
  var dragged = null;

  function ids() {
    return Array.prototype.map.call(list.querySelectorAll("li[data-id]"), function (li) {
      return li.dataset.id;
    });
  }

  function save() {
    var body = new FormData();
    body.append("csrf_token", list.dataset.csrf);
    body.append("order", ids().join(","));
    list.classList.add("saving");
    fetch(list.dataset.orderUrl, {
      method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (r) {
      list.classList.remove("saving");
      if (!r.ok) window.location.reload();
      else list.dataset.saved = ids().join(",");
    }).catch(function () { window.location.reload(); });
  }

  list.addEventListener("dragstart", function (e) {
    dragged = e.target.closest("li[data-id]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.dataset.id);
  });
  list.addEventListener("dragover", function (e) {
    var over = e.target.closest("li[data-id]");
    if (!dragged || !over || over === dragged) return;
    e.preventDefault();
    var rect = over.getBoundingClientRect();
    var after = e.clientY > rect.top + rect.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", function (e) { e.preventDefault(); });
  list.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    save();
  });
})();
