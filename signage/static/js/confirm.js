// Forms and buttons that ask before they act: <form data-confirm="Question?"> or a
// submit button with data-confirm. Replaces inline onsubmit/onclick handlers, which
// the Content-Security-Policy (script-src 'self') does not run.
(function () {
  "use strict";
  document.addEventListener(
    "submit",
    function (e) {
      var form = e.target;
      var button = e.submitter;
      var question =
        (button && button.getAttribute("data-confirm")) ||
        form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) e.preventDefault();
    },
    true
  );
})();
