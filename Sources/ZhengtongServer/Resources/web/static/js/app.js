// Loaded by every page: registers the service worker, wires the offline banner and loads the page's
// own module, named by <body data-page>. The page module is added as a module <script> (not import()),
// which every browser with ES modules understands.

import { loadI18n, applyI18n, t } from "./i18n.js";
import { setOffline, stream } from "./stream.js";

const MODULES = {
  "home": "home.js",
  "chat": "chat.js",
  "ding": "ding.js",
  "ding-new": "ding.js",
  "ding-board": "ding.js",
  "directory-search": "directory.js",
};

function pageModule() {
  const page = (document.body && document.body.getAttribute("data-page")) || "";
  if (MODULES[page]) return MODULES[page];
  if (page.indexOf("ding") === 0) return "ding.js";
  if (page.indexOf("chat") === 0) return "chat.js";
  return null;
}

function ensureBanner() {
  let banner = document.querySelector(".offline-banner");
  if (!banner) {
    banner = document.createElement("div");
    banner.className = "offline-banner";
    banner.setAttribute("role", "status");
    banner.setAttribute("aria-live", "polite");
    banner.hidden = true;
    const header = document.querySelector(".site-header");
    if (header && header.parentNode) header.parentNode.insertBefore(banner, header.nextSibling);
    else document.body.insertBefore(banner, document.body.firstChild);
  }
  if (!banner.textContent.trim()) banner.textContent = t("app.offline");
  if (navigator.onLine === false) setOffline(true);
  window.addEventListener("offline", () => setOffline(true));
  window.addEventListener("online", () => setOffline(false));
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((e) => {
    console.warn("service worker not registered", e);
  });
}

function loadPageModule() {
  const name = pageModule();
  if (!name) return;
  const s = document.createElement("script");
  s.type = "module";
  s.src = "/static/js/" + name;
  document.head.appendChild(s);
}

function markSubmitting() {
  // Forms that post to the server show they are busy, and cannot be sent twice by a double tap.
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || e.defaultPrevented) return;
    if ((form.method || "get").toLowerCase() !== "post") return;
    if (/\/logout$/.test(form.getAttribute("action") || "")) stream.stop();
    setTimeout(() => {
      if (e.defaultPrevented) return;
      form.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => { b.setAttribute("aria-busy", "true"); });
    }, 0);
  });
}

loadI18n().then(() => {
  document.documentElement.classList.add("js");
  applyI18n(document);
  ensureBanner();
  markSubmitting();
  loadPageModule();
  registerServiceWorker();
});
