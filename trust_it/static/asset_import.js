// The import's progress bar: asks the run's status every second and moves the bar; when the run
// ends, the page is loaded again to show what was done. Without JavaScript, "Check again" does it.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = document.getElementById("import-bar");
  var state = document.getElementById("import-state");
  var again = box.querySelector(".js-hidden");
  if (again) { again.hidden = true; }
  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = s.percent;
        bar.textContent = s.percent + " %";
        if (s.status === "done" || s.status === "failed") {
          if (box.getAttribute("data-status") !== s.status) { window.location.reload(); }
          return;
        }
        state.textContent = s.done + " of " + s.total + " rows written.";
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  var current = box.getAttribute("data-status");
  if (current === "queued" || current === "running") { poll(); }
}());
