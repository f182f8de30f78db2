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
})();
