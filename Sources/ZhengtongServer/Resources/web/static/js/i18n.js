// Dictionaries for the JavaScript modules: /static/i18n/app.<lang>.json, lang from <html lang>.

let dict = {};
let loading = null;

export function lang() {
  const l = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  return l.indexOf("en") === 0 ? "en" : "zh-CN";
}

export function loadI18n() {
  if (!loading) {
    loading = fetch("/static/i18n/app." + lang() + ".json", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}))
      .then((d) => { dict = d || {}; return dict; });
  }
  return loading;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(dict, key);
}

/** t("chat.unread_by", {n: 3}) → "3 人未读". A missing key shows itself, so gaps are visible. */
export function t(key, vars) {
  let s = has(key) ? dict[key] : key;
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, k) => (Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m));
  }
  return s;
}

/** Fills [data-i18n] text and [data-i18n-placeholder] / [data-i18n-aria-label] / [data-i18n-title] attributes. */
export function applyI18n(root) {
  const base = root || document;
  base.querySelectorAll("[data-i18n]").forEach((el) => {
    const k = el.getAttribute("data-i18n");
    if (has(k)) el.textContent = t(k);
  });
  [["data-i18n-placeholder", "placeholder"], ["data-i18n-aria-label", "aria-label"], ["data-i18n-title", "title"]].forEach((pair) => {
    base.querySelectorAll("[" + pair[0] + "]").forEach((el) => {
      const k = el.getAttribute(pair[0]);
      if (has(k)) el.setAttribute(pair[1], t(k));
    });
  });
}
