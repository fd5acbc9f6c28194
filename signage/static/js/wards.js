// Refill the ward list when the province changes (forms work without it too).
(function () {
  var province = document.querySelector("[data-wards-url]");
  var ward = document.getElementById("ward_code");
  if (!province || !ward) return;
  province.addEventListener("change", function () {
    fetch(province.dataset.wardsUrl + "?province=" + encodeURIComponent(province.value))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var first = ward.options[0];
        ward.innerHTML = "";
        ward.appendChild(first);
        data.wards.forEach(function (w) {
          var o = document.createElement("option");
          o.value = w.code; o.textContent = w.name;
          ward.appendChild(o);
        });
      });
  });
})();
