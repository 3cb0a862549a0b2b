// An album's page follows the checking in place: every few seconds it fetches the changing parts
// (/albums/{id}/progress) and swaps in what changed, keeping the reader's scroll position and focus,
// and tells screen readers the new count politely. Without JavaScript the page refreshes itself.
// A finished album keeps being followed, less often, while the page is shown: a reviewer's decision, a
// withdrawn consent or a takedown changes where a photo stands, and the page shows it as My photos does.
(function () {
  "use strict";
  var EVERY_MS = 3000;
  var FINISHED_EVERY_MS = 20000;

  function start() {
    var holder = document.getElementById("album-progress");
    var announce = document.getElementById("album-announce");
    if (!holder || !announce || !window.fetch || !window.DOMParser) { return; }
    var url = holder.getAttribute("data-progress-url");
    var failures = 0;

    function statusText(root) {
      var text = root.querySelector("#album-status-text");
      return text ? text.textContent.replace(/\s+/g, " ").trim() : "";
    }

    function swap(id, fresh) {
      var old = document.getElementById(id);
      var next = fresh.querySelector("#" + id);
      if (!old || !next || old.innerHTML === next.innerHTML) { return; }
      var focused = document.activeElement && old.contains(document.activeElement) ? document.activeElement.id : "";
      var scrollY = window.scrollY;
      old.innerHTML = next.innerHTML;
      if (focused && document.getElementById(focused)) {
        document.getElementById(focused).focus({ preventScroll: true });
      }
      window.scrollTo(window.scrollX, scrollY);
    }

    function update(html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var live = fresh.getElementById("album-live");
      if (!live) { return true; }
      var before = statusText(document);
      swap("album-status-text", fresh);
      swap("album-results", fresh);
      var bar = document.getElementById("album-bar");
      var freshBar = fresh.getElementById("album-bar");
      if (bar && freshBar) {
        bar.max = freshBar.max;
        bar.value = freshBar.value;
        bar.textContent = freshBar.textContent;
      }
      var after = statusText(document);
      if (after !== before) { announce.textContent = after; }
      return live.getAttribute("data-finished") === "yes";
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) {
          failures = 0;
          later(update(html));
        })
        .catch(function () {
          failures += 1;  // a dropped connection: try again, less often, for a while
          if (failures < 20) { window.setTimeout(poll, EVERY_MS * Math.min(failures + 1, 10)); }
        });
    }

    function later(finished) {
      window.setTimeout(function () {
        if (document.hidden) {  // nobody is looking: ask again when the page is shown
          document.addEventListener("visibilitychange", function shown() {
            document.removeEventListener("visibilitychange", shown);
            poll();
          });
          return;
        }
        poll();
      }, finished ? FINISHED_EVERY_MS : EVERY_MS);
    }

    var current = document.getElementById("album-live");
    if (current) { later(current.getAttribute("data-finished") === "yes"); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
