// CRISIS: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Submit the language form as soon as a language is picked.
  document.querySelectorAll(".lang-form select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
    var button = select.form.querySelector("button");
    if (button) { button.classList.add("visually-hidden"); }
  });
  // fetch() helper that sends the CSRF token with state-changing JSON requests.
  window.crisisFetch = function (url, options) {
    options = options || {};
    options.headers = options.headers || {};
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { options.headers["X-CSRF-Token"] = meta.content; }
    options.credentials = "same-origin";
    return fetch(url, options);
  };

  // --- terms: the explanation next to the button, inside the window; Escape hides it -------
  function place(term) {
    var tip = term.querySelector(".term-tip");
    var button = term.querySelector(".term-button");
    if (!tip || !button) { return; }
    tip.classList.add("placed");
    var margin = 8;
    var b = button.getBoundingClientRect();
    var width = Math.min(tip.offsetWidth, window.innerWidth - 2 * margin);
    var left = Math.min(Math.max(margin, b.left), window.innerWidth - width - margin);
    var top = b.bottom + 6;
    if (top + tip.offsetHeight > window.innerHeight - margin) { top = Math.max(margin, b.top - tip.offsetHeight - 6); }
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }
  function reset(term) {
    term.classList.remove("open", "closed");
    var button = term.querySelector(".term-button");
    if (button) { button.setAttribute("aria-expanded", "false"); }
  }
  document.querySelectorAll(".term").forEach(function (term) {
    var button = term.querySelector(".term-button");
    if (!button) { return; }
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var open = !term.classList.contains("open");
      term.classList.toggle("open", open);
      term.classList.toggle("closed", !open);
      button.setAttribute("aria-expanded", String(open));
      if (open) { place(term); }
    });
    button.addEventListener("focus", function () { term.classList.remove("closed"); place(term); });
    button.addEventListener("blur", function () { reset(term); });
    term.addEventListener("mouseenter", function () { term.classList.remove("closed"); place(term); });
    term.addEventListener("mouseleave", function () { if (document.activeElement !== button) { reset(term); } });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    document.querySelectorAll(".term").forEach(function (term) {
      term.classList.remove("open");
      term.classList.add("closed");
      var button = term.querySelector(".term-button");
      if (button) { button.setAttribute("aria-expanded", "false"); }
    });
  });
  window.addEventListener("scroll", function () {
    document.querySelectorAll(".term.open, .term:focus-within").forEach(place);
  }, { passive: true });

  // --- glossary: find a term as you type --------------------------------------------------
  var search = document.getElementById("glossary-search");
  if (search) {
    search.closest("[hidden]").hidden = false;
    var entries = document.querySelectorAll(".glossary-entry");
    var none = document.getElementById("glossary-none");
    var fold = function (s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
    search.addEventListener("input", function () {
      var q = fold(search.value.trim());
      var shown = 0;
      entries.forEach(function (e) {
        var hit = !q || fold(e.textContent).indexOf(q) >= 0;
        e.hidden = !hit;
        if (hit) { shown += 1; }
      });
      if (none) { none.hidden = shown > 0; }
    });
  }

  // --- charts drawn as scalable SVG keep their text at 11 px or more at any width ---------
  var MIN_TEXT_PX = 11;
  function legible() {
    document.querySelectorAll("main svg[viewBox]").forEach(function (svg) {
      if (svg.closest(".js-plotly-plot")) { return; }
      var m = svg.getScreenCTM();
      if (!m) { return; }
      var k = Math.sqrt(m.a * m.a + m.b * m.b);
      if (!k) { return; }
      svg.querySelectorAll("text").forEach(function (t) {
        if (!t.hasAttribute("data-font-px")) {
          t.setAttribute("data-font-px", String(parseFloat(window.getComputedStyle(t).fontSize)));
        }
        var size = parseFloat(t.getAttribute("data-font-px"));
        t.style.fontSize = size * k < MIN_TEXT_PX ? (MIN_TEXT_PX / k + 0.01) + "px" : "";
      });
    });
  }
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(legible, 100);
  });
  document.addEventListener("toggle", legible, true);
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("svg text[data-font-px]").forEach(function (t) { t.style.fontSize = ""; });
  });
  legible();
})();
