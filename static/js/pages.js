/* Small behaviours of the pages, kept out of the templates: the Content-Security-Policy allows
   scripts from this site's files only (no inline script, no onclick attributes). */
(function () {
  "use strict";

  /* <button data-print>: print the page (the randomisation confirmation). */
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) { window.print(); }
  });

  /* <div data-export-poll="API URL">: follow an export until it is done, then reload the page
     to show its downloads. */
  function pollExport(url) {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (e) {
        var progress = document.getElementById("export-progress");
        var status = document.getElementById("export-status");
        var message = document.getElementById("export-message");
        if (progress) { progress.value = e.progress; }
        if (status) { status.textContent = e.status; }
        if (message) { message.textContent = e.message; }
        if (e.status === "done" || e.status === "failed") { window.location.reload(); }
        else { setTimeout(function () { pollExport(url); }, 1000); }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var poll = document.querySelector("[data-export-poll]");
    if (poll) { pollExport(poll.getAttribute("data-export-poll")); }
  });
})();
