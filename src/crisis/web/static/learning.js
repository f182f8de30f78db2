// Learner journey: print button; on a test question, keys a–f or 1–6 pick an option.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var form = document.querySelector("form.question");
  if (!form) { return; }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key.toLowerCase();
    var index = "abcdef".indexOf(key);
    if (index < 0) { index = "123456".indexOf(key); }
    var radio = index >= 0 ? form.querySelector("#option-" + index) : null;
    if (radio) { radio.checked = true; radio.focus(); }
  });
})();
