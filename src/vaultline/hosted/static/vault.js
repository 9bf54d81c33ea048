/*! Vaultline Vault JS: opens the Hosted Vault in a modal iframe. No dependencies.
 * Vaultline.open({token, serviceId, unifiedApi, initialView, locale, onReady, onClose,
 *                 onConnectionChange, onConnectionDelete, onSessionExpired}); Vaultline.close();
 * Also window.ApideckVault, with the same option names. */
(function (window, document) {
  "use strict";
  var script = document.currentScript;
  var VAULT_ORIGIN = script && script.src ? new URL(script.src).origin : window.location.origin;
  var current = null;

  function call(fn, arg) {
    if (typeof fn === "function") { try { fn(arg); } catch (e) { setTimeout(function () { throw e; }); } }
  }

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; return el; }

  function vaultUrl(o) {
    var q = "?embedded=1&origin=" + encodeURIComponent(window.location.origin);
    if (o.serviceId) q += "&service_id=" + encodeURIComponent(o.serviceId);
    if (o.unifiedApi) q += "&unified_api=" + encodeURIComponent(o.unifiedApi);
    if (o.initialView) q += "&view=" + encodeURIComponent(o.initialView);
    if (o.locale) q += "&locale=" + encodeURIComponent(o.locale);
    return VAULT_ORIGIN + "/session/" + encodeURIComponent(o.token) + q;
  }

  function open(options) {
    var o = options || {};
    if (!o.token) { throw new Error("Vaultline.open needs a session token: {token: ...}"); }
    if (current) close();
    var state = { options: o, ready: false, returnFocus: document.activeElement, inerted: [] };

    var overlay = css(document.createElement("div"), {
      position: "fixed", inset: "0", zIndex: "2147483000", background: "rgba(15,20,30,.55)",
      display: "flex", alignItems: "center", justifyContent: "center"
    });
    overlay.setAttribute("data-vaultline", "overlay");
    var dialog = css(document.createElement("div"), {
      position: "relative", width: "min(56rem, 100vw)", height: "min(46rem, 100vh)",
      background: "#fff", borderRadius: window.innerWidth < 600 ? "0" : "12px", overflow: "hidden",
      boxShadow: "0 10px 40px rgba(0,0,0,.3)"
    });
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", "Integrations");
    var closeButton = css(document.createElement("button"), {
      position: "absolute", top: "6px", right: "6px", zIndex: "1", width: "32px", height: "32px",
      border: "0", borderRadius: "16px", background: "rgba(255,255,255,.9)", cursor: "pointer", fontSize: "20px"
    });
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", "Close");
    closeButton.textContent = "\u00d7";
    closeButton.addEventListener("click", function () { close(); });
    var frame = css(document.createElement("iframe"), { width: "100%", height: "100%", border: "0", display: "block" });
    frame.title = "Integrations";
    frame.src = vaultUrl(o);
    dialog.appendChild(frame);
    dialog.appendChild(closeButton);
    overlay.appendChild(dialog);

    state.frame = frame;
    state.overlay = overlay;
    state.onMessage = function (event) {
      // Only our vault, in our frame, may talk to us.
      if (event.origin !== VAULT_ORIGIN || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.source !== "vaultline") return;
      if (data.type === "ready") {
        applyLabels(data.labels, data.lang);
        if (!state.ready) { state.ready = true; call(o.onReady); }
      } else if (data.type === "close") {
        close();
      } else if (data.type === "connection_change") {
        call(o.onConnectionChange, data.connection);
      } else if (data.type === "connection_delete") {
        call(o.onConnectionDelete, data.connection);
      } else if (data.type === "session_expired") {
        call(o.onSessionExpired);
      }
    };
    // The vault says what to call the modal in its language; text only, never markup.
    function applyLabels(labels, lang) {
      if (!labels || typeof labels !== "object") return;
      if (typeof labels.dialog === "string") { dialog.setAttribute("aria-label", labels.dialog); frame.title = labels.dialog; }
      if (typeof labels.close === "string") closeButton.setAttribute("aria-label", labels.close);
      if (typeof lang === "string") dialog.setAttribute("lang", lang);
    }
    state.onKey = function (event) { if (event.key === "Escape") close(); };
    state.onFocus = function (event) {
      if (!overlay.contains(event.target)) frame.focus(); // focus stays in the modal
    };
    frame.addEventListener("load", function () {
      frame.contentWindow.postMessage({ source: "vaultline-host", type: "hello" }, VAULT_ORIGIN);
    });
    window.addEventListener("message", state.onMessage);
    document.addEventListener("keydown", state.onKey);
    document.addEventListener("focusin", state.onFocus);

    Array.prototype.forEach.call(document.body.children, function (el) {
      if (!el.inert) { el.inert = true; state.inerted.push(el); }
    });
    document.body.appendChild(overlay);
    current = state;
    frame.focus();
    return { close: close };
  }

  function close() {
    var state = current;
    if (!state) return;
    current = null;
    window.removeEventListener("message", state.onMessage);
    document.removeEventListener("keydown", state.onKey);
    document.removeEventListener("focusin", state.onFocus);
    state.overlay.remove();
    state.inerted.forEach(function (el) { el.inert = false; });
    if (state.returnFocus && state.returnFocus.focus) state.returnFocus.focus();
    call(state.options.onClose);
  }

  var api = { open: open, close: close, origin: VAULT_ORIGIN };
  window.Vaultline = api;
  window.ApideckVault = api;
})(window, document);
