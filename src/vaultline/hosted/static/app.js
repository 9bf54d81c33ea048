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

  // The last page of Vault JS's sign-in popup (and its error pages): tell the vault that opened
  // us (our own origin, never "*"), then close. Without an opener (the provider severed it), the
  // vault learns the outcome from the server; an error it cannot learn stays on screen here.
  var popupResult = body.getAttribute("data-oauth-popup-result");
  if (popupResult) {
    var told = false;
    if (window.opener) {
      try {
        window.opener.postMessage({
          source: "vaultline-popup", type: "oauth_result", outcome: popupResult,
          message: body.getAttribute("data-oauth-popup-message") || ""
        }, body.getAttribute("data-opener-origin"));
        told = true;
      } catch (e) { /* an opener on another origin receives nothing */ }
    }
    if (told || popupResult !== "failed") window.close();
  }

  // Inside Vault JS, Authorize opens the provider in a popup, started from the click itself so
  // that browsers let it open. The outcome comes from the popup's message or, when the provider
  // severed window.opener, from polling the sign-in's status on this session.
  var authorize = document.querySelector("a[data-oauth-popup]");
  var panel = document.querySelector("[data-oauth-popup-panel]");
  if (authorize && panel) {
    var popup = null;
    var signIn = null; // {statusUrl, deadline} of the sign-in under way; replaced by a new one
    var showPanel = function (state, message) {
      panel.querySelectorAll("[data-popup-state]").forEach(function (el) {
        el.hidden = el.getAttribute("data-popup-state") !== state;
      });
      var text = panel.querySelector("[data-popup-message]");
      if (state === "failed" && text) text.textContent = message || text.getAttribute("data-default-message");
    };
    var finish = function (status, message) {
      signIn = null; // stops polling
      try { if (popup && !popup.closed) popup.close(); } catch (e) { /* severed: it closes itself */ }
      if (status === "failed" || status === "expired") { showPanel(status, message); return; }
      // The page announces the outcome itself (its notice, and onConnectionChange for Vault JS).
      window.location.assign(panel.getAttribute("data-connection-url"));
    };
    var check = function (current) {
      if (current !== signIn) return;
      fetch(current.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { status: "failed" }; })
        .then(function (data) {
          if (current !== signIn) return;
          if (data.status !== "pending") { finish(data.status, data.message); return; }
          if (Date.now() > current.deadline) { finish("expired"); return; }
          clearTimeout(current.timer);
          current.timer = setTimeout(function () { check(current); }, 1000);
        }, function () { // offline for a moment: keep trying until the sign-in expires
          if (current === signIn) current.timer = setTimeout(function () { check(current); }, 2000);
        });
    };
    var start = function (event) {
      event.preventDefault();
      // Synchronously, inside the click: a window opened later (after the fetch) would be blocked.
      var win = window.open("", "vaultline-oauth", "popup,width=520,height=720");
      if (!win) { showPanel("blocked"); return; }
      popup = win;
      var current = { statusUrl: null, deadline: 0, timer: null };
      signIn = current;
      showPanel("waiting");
      fetch(authorize.getAttribute("data-oauth-popup"), {
        method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { return r.ok ? r.json() : Promise.reject(r); }).then(function (data) {
        if (current !== signIn) return;
        win.location.replace(data.start_url); // a single-use start token: the popup has no session cookie
        current.statusUrl = data.status_url;
        current.deadline = Date.now() + data.expires_in * 1000;
        check(current);
      }).catch(function () {
        if (current === signIn) finish("failed");
      });
    };
    authorize.addEventListener("click", start);
    panel.querySelectorAll("[data-popup-open]").forEach(function (button) {
      button.addEventListener("click", start);
    });
    // Only the popup we opened, on our own origin, may report. A success only makes us ask the
    // server at once (the outcome is the server's); an error is shown as the popup's page said it.
    window.addEventListener("message", function (event) {
      if (!popup || event.source !== popup || event.origin !== window.location.origin) return;
      var data = event.data || {};
      if (data.source !== "vaultline-popup" || data.type !== "oauth_result" || !signIn) return;
      if (data.outcome === "failed") { finish("failed", typeof data.message === "string" ? data.message : ""); return; }
      if (signIn.statusUrl) { clearTimeout(signIn.timer); check(signIn); }
    });
  }

  var redirect = body.getAttribute("data-auto-redirect");
  if (redirect) setTimeout(function () { window.location.assign(redirect); }, 2500);
})();
