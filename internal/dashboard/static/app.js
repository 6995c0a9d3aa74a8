// Auto-refresh: every 10 s, fetch the page's main fragment (?fragment=1)
// and swap it in place. Paused while a form is being edited, so that an
// operator's typing is never thrown away, and while the tab is hidden.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !main.hasAttribute("data-refresh")) {
    return;
  }
  var period = 1000 * (parseInt(main.getAttribute("data-refresh"), 10) || 10);
  var dirty = false;
  document.addEventListener("input", function (e) {
    if (e.target && e.target.form) {
      dirty = true;
    }
  });
  document.addEventListener("submit", function () {
    dirty = true;
  });
  function editing() {
    var a = document.activeElement;
    return dirty || (a && a.form && a.form.method === "post" && a.type !== "submit");
  }
  function refresh() {
    if (editing() || document.hidden) {
      return;
    }
    var u = new URL(window.location.href);
    u.searchParams.set("fragment", "1");
    fetch(u.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 401) {
          window.location.reload();
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (typeof html === "string" && !editing()) {
          main.innerHTML = html;
        }
      })
      .catch(function () { /* try again next period */ });
  }
  window.setInterval(refresh, period);
})();
