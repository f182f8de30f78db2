// Live progress of a background job: <div data-job-id="7" data-done-url="/x">…<progress>…</div>
(function () {
  "use strict";
  document.querySelectorAll("[data-job-id]").forEach(function (box) {
    var bar = box.querySelector("progress");
    var label = box.querySelector("[data-job-label]");
    var id = box.getAttribute("data-job-id");
    function poll() {
      fetch("/api/v1/jobs/" + id, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (bar) { bar.value = Math.round(job.progress * 100); }
          if (label) { label.textContent = job.status + " · " + Math.round(job.progress * 100) + " %"; }
          if (job.status === "done") {
            var next = box.getAttribute("data-done-url");
            if (next) { window.location.assign(next); }
          } else if (job.status === "failed") {
            box.setAttribute("data-failed", "true");
            if (label) { label.textContent = job.error || "failed"; }
          } else {
            window.setTimeout(poll, 700);
          }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    poll();
  });
})();
