// Workbench: show the anchor of the chosen impact class, and confirm destructive buttons.
(function () {
  "use strict";
  document.querySelectorAll("select[data-anchor-target]").forEach(function (select) {
    var target = document.getElementById(select.getAttribute("data-anchor-target"));
    if (!target) { return; }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      target.textContent = option ? (option.getAttribute("data-anchor") || "") : "";
    });
  });
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
