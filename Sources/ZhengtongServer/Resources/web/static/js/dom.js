// Small DOM helpers shared by the page modules. No inline styles anywhere: the pages run under a
// Content-Security-Policy without 'unsafe-inline'.

import { t } from "./i18n.js";

export const $ = (sel, root) => (root || document).querySelector(sel);
export const $$ = (sel, root) => Array.prototype.slice.call((root || document).querySelectorAll(sel));

/** h("li", {class: "x", dataset: {id: 1}, onclick: fn}, "text", child) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    Object.keys(props).forEach((k) => {
      const v = props[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "class") el.className = v;
      else if (k === "dataset") Object.keys(v).forEach((d) => { el.dataset[d] = v[d]; });
      else if (k.indexOf("on") === 0 && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else if (v === true) el.setAttribute(k, "");
      else el.setAttribute(k, String(v));
    });
  }
  append(el, children);
  return el;
}

function append(el, children) {
  children.forEach((c) => {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  });
}

/** The list element to fill: the element itself when it is a list, else a ul.list inside it. */
export function listIn(el) {
  if (!el) return null;
  if (el.tagName === "UL" || el.tagName === "OL") return el;
  let ul = el.querySelector(":scope > ul");
  if (!ul) {
    ul = h("ul", { class: "list" });
    el.appendChild(ul);
  }
  return ul;
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
  return el;
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = function (...args) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn.apply(this, args); }, ms);
  };
  wrapped.cancel = () => { if (timer) clearTimeout(timer); timer = null; };
  return wrapped;
}

/** A random UUID: crypto.randomUUID where there is one, else v4 from getRandomValues. */
export function uuid() {
  const c = window.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  if (c && c.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.prototype.map.call(b, (n) => (n + 0x100).toString(16).slice(1)).join("");
  return x.slice(0, 8) + "-" + x.slice(8, 12) + "-" + x.slice(12, 16) + "-" + x.slice(16, 20) + "-" + x.slice(20);
}

const pad = (n) => (n < 10 ? "0" : "") + n;

/** "14:05" today, "11-20 14:05" this year, "2025-11-20 14:05" before. */
export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  const now = new Date();
  const hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
  if (d.toDateString() === now.toDateString()) return hm;
  const md = pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  if (d.getFullYear() === now.getFullYear()) return md + " " + hm;
  return d.getFullYear() + "-" + md + " " + hm;
}

export function timeEl(iso) {
  return h("time", { datetime: iso || "", class: "time" }, fmtTime(iso));
}

/** "3 分 24 秒" / "3 min 24 s" */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const hours = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (hours > 0) return t("time.hm", { h: hours, m });
  if (m > 0) return t("time.ms", { m, s: sec });
  return t("time.s", { s: sec });
}

export function fmtPercent(rate) {
  if (rate === null || rate === undefined || isNaN(rate)) return "—";
  const p = Math.round(rate * 1000) / 10;
  return (p % 1 === 0 ? p.toFixed(0) : p.toFixed(1)) + "%";
}

export function fmtSize(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(bytes < 10240 ? 1 : 0) + " KB";
  return (bytes / 1048576).toFixed(1) + " MB";
}

/** Opens a <dialog> (with a fallback for browsers without showModal). */
export function openDialog(dlg) {
  if (typeof dlg.showModal === "function") {
    if (!dlg.open) dlg.showModal();
  } else {
    dlg.setAttribute("open", "");
    dlg.classList.add("dialog-fallback");
  }
}

export function closeDialog(dlg) {
  if (typeof dlg.close === "function" && dlg.open) dlg.close();
  else dlg.removeAttribute("open");
}

/** A <dialog> with a title, a body and a close button; created once per id. */
export function ensureDialog(id, titleKey) {
  let dlg = document.getElementById(id);
  if (!dlg) {
    dlg = h("dialog", { id, class: "dialog", "aria-labelledby": id + "-title" });
    document.body.appendChild(dlg);
  }
  if (!dlg.querySelector(".dialog-head")) {
    const head = h("div", { class: "dialog-head" },
      h("h2", { id: id + "-title" }, t(titleKey)),
      h("button", { type: "button", class: "button icon dialog-close", "aria-label": t("app.close"), onclick: () => closeDialog(dlg) }, "×"));
    dlg.insertBefore(head, dlg.firstChild);
  }
  if (!dlg.dataset.wired) {
    dlg.dataset.wired = "1";
    dlg.addEventListener("click", (e) => { if (e.target === dlg) closeDialog(dlg); });
  }
  return dlg;
}

/** Shows a short message in the page's live region. */
export function announce(text, kind) {
  let box = document.getElementById("toast");
  if (!box) {
    box = h("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" });
    document.body.appendChild(box);
  }
  box.className = "toast" + (kind ? " " + kind : "");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

/** The text to show for an ApiError: a translated code when the dictionary has one, else the server's message. */
export function errorText(e) {
  if (!e) return t("error.generic");
  if (e.code === "network") return t("error.network");
  const key = "error." + e.code;
  const s = t(key);
  if (s !== key) return s;
  return e.message || t("error.generic");
}

export function initial(name) {
  return name ? Array.from(name)[0] : "?";
}

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  // Paper clip and document, drawn with strokes so they follow the text colour.
  clip: "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l8-8a4 4 0 0 0-5.7-5.7l-8.2 8.2a6 6 0 0 0 8.5 8.5l7-7",
  file: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5M9 13h6M9 17h6",
};

/** A small inline SVG icon (no emoji: many office machines have no emoji font). */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name] || "");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.appendChild(path);
  return svg;
}
