// Staff scan page: read a personal card with the phone's camera where the browser has
// BarcodeDetector (Chrome on Android), and submit what it read. A handheld scanner
// needs no script: it types into the focused field and presses Enter.
(function () {
  "use strict";
  var button = document.getElementById("camera");
  var video = document.getElementById("preview");
  var form = document.getElementById("scan-form");
  var field = document.getElementById("code");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          function tick() {
            detector.detect(video).then(function (codes) {
              if (codes.length) {
                stream.getTracks().forEach(function (t) { t.stop(); });
                field.value = codes[0].rawValue;
                form.submit();
              } else {
                window.requestAnimationFrame(tick);
              }
            }, function () { window.requestAnimationFrame(tick); });
          }
          tick();
        });
      })
      .catch(function () { button.hidden = true; });
  });
})();
