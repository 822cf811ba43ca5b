// baton board: live refresh of the exception board from the server-sent events of /events.
// A notice about an exception or a task reloads the board's part (counts, rows, pager) from
// /board/rows with the page's filters; nothing is reloaded while the person is typing in it.
(function () {
  "use strict";
  var live = document.getElementById("board-live");
  var badge = document.getElementById("live");
  if (!live || !window.EventSource) return;
  var pending = null, busy = false, again = false;
  window.batonRefreshes = 0;

  function typing() {
    var a = document.activeElement;
    return a && live.contains(a) && (a.tagName === "TEXTAREA" || a.tagName === "INPUT");
  }
  function openDetails() {
    return live.querySelector("details[open]") !== null;
  }
  function refresh() {
    pending = null;
    if (busy) { again = true; return; }
    if (typing() || openDetails()) { schedule(1000); return; }
    busy = true;
    var before = {};
    live.querySelectorAll("tr[data-id]").forEach(function (tr) { before[tr.dataset.id] = true; });
    fetch(live.dataset.refresh, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); throw new Error("logged out"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        if (typing() || openDetails()) { schedule(1000); return; }
        live.innerHTML = html;
        live.querySelectorAll("tr[data-id]").forEach(function (tr) {
          if (!before[tr.dataset.id]) tr.classList.add("fresh");
        });
        window.batonRefreshes++;
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; schedule(200); }
      });
  }
  function schedule(ms) {
    if (pending) return;
    pending = setTimeout(refresh, ms);
  }

  // From the notice the rows were rendered at: one that came meanwhile is not missed.
  var source = new EventSource("/events?since=" + encodeURIComponent(live.dataset.since || ""));
  function on() { if (badge) badge.classList.remove("off"); }
  source.addEventListener("open", on);
  source.addEventListener("exception", function () { on(); schedule(250); });
  source.addEventListener("task", function () { on(); schedule(250); });
  source.addEventListener("reset", function () { schedule(250); });
  source.addEventListener("error", function () {
    if (badge) badge.classList.add("off");
  });
})();
