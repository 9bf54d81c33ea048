/* Vaultline Hosted Vault pages: progressive enhancement only (every page works without it).
   In Vault JS's iframe it talks to the embedding page, whose exact origin the server put in
   data-embed-origin after checking it against the application's allowlist. */
(function () {
  "use strict";
  var body = document.body;
  var parentOrigin = body.getAttribute("data-embed-origin");
  var embedded = parentOrigin && window.parent !== window;

  function post(message) {
    if (!embedded) return;
    message.source = "vaultline";
    window.parent.postMessage(message, parentOrigin); // exact target origin, never "*"
  }

  // A logo that cannot load leaves the initial letter (or the name) instead of a broken icon.
  function hideBroken(img) { img.hidden = true; }
  document.addEventListener("error", function (event) {
    if (event.target && event.target.tagName === "IMG") hideBroken(event.target);
  }, true);
  document.querySelectorAll("img").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0) hideBroken(img);
  });

  var pending = [];
  var raw = body.getAttribute("data-vault-event");
  if (raw) { try { pending.push(JSON.parse(raw)); } catch (e) { /* ignore */ } }

  if (embedded) {
    // The parent says hello after each load of this frame; answer only the expected origin.
    window.addEventListener("message", function (event) {
      if (event.origin !== parentOrigin || event.source !== window.parent) return;
      var data = event.data || {};
      if (data.source !== "vaultline-host") return;
      if (data.type === "hello") {
        // The modal's own labels, in the vault's language (rendered by the server, not kept in JS).
        var labels = null;
        try { labels = JSON.parse(body.getAttribute("data-vault-labels") || "null"); } catch (e) { /* ignore */ }
        post({ type: "ready", labels: labels, lang: document.documentElement.lang });
        while (pending.length) post(pending.shift());
      }
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-vault-close]");
    if (target) { event.preventDefault(); post({ type: "close" }); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && embedded) post({ type: "close" });
  });

  // Live filter of the integrations list; the form still searches on the server without JS.
  var filter = document.querySelector("input[data-filter]");
  if (filter) {
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      document.querySelectorAll(filter.getAttribute("data-filter")).forEach(function (item) {
        var text = item.getAttribute("data-search") || "";
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        item.hidden = !match;
        if (match) shown++;
      });
      document.querySelectorAll("[data-group]").forEach(function (group) {
        group.hidden = !group.querySelector(".card-item:not([hidden])");
      });
      var empty = document.querySelector(".filter-empty");
      if (empty) empty.hidden = shown > 0;
    });
  }

  // A session that expires while the page is open says so at once, not only on the next click.
  var expiresAt = Number(body.getAttribute("data-expires-at"));
  if (expiresAt) {
    var showExpired = function () {
      var banner = document.querySelector(".expired-banner");
      if (banner) banner.hidden = false;
      post({ type: "session_expired" });
    };
    var wait = expiresAt * 1000 - Date.now();
    if (wait <= 0) showExpired(); else if (wait < 2147483647) setTimeout(showExpired, wait);
  }

  // A deep link to the resource settings (Vault JS initialView) opens that section.
  var section = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (section && section.tagName === "DETAILS") section.open = true;

  var redirect = body.getAttribute("data-auto-redirect");
  if (redirect) setTimeout(function () { window.location.assign(redirect); }, 2500);
})();
