/* Inactivity timeout: the server ends the session SESSION_COOKIE_AGE seconds after the last
   request. Warn two minutes before, offer to stay signed in, and go to the login page after. */
(function () {
  "use strict";
  var body = document.body;
  var age = parseInt(body.getAttribute("data-session-age") || "0", 10);
  var loginUrl = body.getAttribute("data-login-url");
  var keepUrl = body.getAttribute("data-keepalive-url");
  if (!age || !loginUrl) { return; }
  var warnBefore = Math.min(120, Math.floor(age / 4));
  var box = document.getElementById("session-warning");
  var warnTimer, endTimer;

  function expire() {
    var next = encodeURIComponent(window.location.pathname + window.location.search);
    window.location.assign(loginUrl + "?next=" + next + "&timeout=1");
  }
  function warn() {
    if (!box) { return; }
    box.hidden = false;
    var button = box.querySelector("button");
    if (button) { button.focus(); }
  }
  function arm() {
    clearTimeout(warnTimer); clearTimeout(endTimer);
    warnTimer = setTimeout(warn, (age - warnBefore) * 1000);
    endTimer = setTimeout(expire, age * 1000);
  }
  if (box) {
    box.querySelector("button").addEventListener("click", function () {
      fetch(keepUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (r) { if (r.redirected || !r.ok) { expire(); } else { box.hidden = true; arm(); } })
        .catch(expire);
    });
  }
  /* Every htmx request also renews the session on the server. */
  document.addEventListener("htmx:afterRequest", arm);
  arm();
})();
