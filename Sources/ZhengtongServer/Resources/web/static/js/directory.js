// /directory/search: search as you type. The server renders the same page for the plain form
// submit; this module re-renders #results (li.person > a.person-link) from GET /api/v1/people.

import { api, qs } from "./api.js";
import { loadI18n, t } from "./i18n.js";
import { $, h, fill, listIn, debounce, errorText, initial } from "./dom.js";
import { describe, remember } from "./people.js";

const FIELDS = ["q", "region", "org", "line", "rank", "role"];
const PAGE = 20;

/** The same markup as the server's person-item template. */
export function personItem(p) {
  return h("li", { class: "person", dataset: { personId: p.id } },
    h("a", { class: "person-link", href: "/directory/people/" + encodeURIComponent(p.id) },
      h("span", { class: "avatar", "aria-hidden": "true" }, initial(p.name)),
      h("span", { class: "person-name" }, p.name)),
    " ",
    h("span", { class: "muted" }, describe(p)));
}

function init() {
  const form = $("#search-form");
  const input = $("#q");
  const results = $("#results");
  if (!form || !input || !results) return;
  const list = listIn(results);
  let status = $("#results-status");
  if (!status) {
    status = h("p", { id: "results-status", class: "muted", role: "status", "aria-live": "polite" });
    results.parentNode.insertBefore(status, results);
  }
  let more = null;
  let generation = 0;
  let nextCursor = null;

  function params() {
    const out = {};
    FIELDS.forEach((name) => {
      const el = form.elements.namedItem(name);
      if (el && typeof el.value === "string" && el.value.trim()) out[name] = el.value.trim();
    });
    return out;
  }

  function removeServerPager() {
    // The server's "next page" link belongs to its own results; ours page with the "more" button.
    const next = document.getElementById("next-page");
    if (next) (next.parentNode && next.parentNode.tagName === "P" ? next.parentNode : next).remove();
  }

  async function run(append) {
    const p = params();
    const mine = ++generation;
    if (!Object.keys(p).length) {
      fill(list);
      status.textContent = "";
      setMore(null);
      history.replaceState(null, "", "/directory/search");
      return;
    }
    results.setAttribute("aria-busy", "true");
    try {
      const query = Object.assign({ limit: PAGE }, p);
      if (append && nextCursor) query.cursor = nextCursor;
      const page = await api("GET", "/api/v1/people" + qs(query));
      if (mine !== generation) return;
      removeServerPager();
      page.items.forEach(remember);
      const items = page.items.map(personItem);
      if (append) items.forEach((li) => list.appendChild(li));
      else fill(list, items);
      if (!append && !items.length) list.appendChild(h("li", { class: "muted", id: "no-results" }, t("dir.no_results")));
      const shown = list.querySelectorAll("li.person").length;
      status.textContent = shown ? t(page.next_cursor ? "dir.count_more" : "dir.count", { n: shown }) : "";
      nextCursor = page.next_cursor;
      setMore(nextCursor);
      if (!append) history.replaceState(null, "", "/directory/search" + qs(p));
    } catch (e) {
      if (mine !== generation) return;
      status.textContent = errorText(e);
    } finally {
      if (mine === generation) results.removeAttribute("aria-busy");
    }
  }

  function setMore(cursor) {
    if (!cursor) {
      if (more) more.hidden = true;
      return;
    }
    if (!more) {
      more = h("button", { type: "button", id: "more-results", class: "button" }, t("dir.more"));
      more.addEventListener("click", () => run(true));
      results.parentNode.insertBefore(more, results.nextSibling);
    }
    more.hidden = false;
  }

  const later = debounce(() => run(false), 250);
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  // Typed before this module arrived: search now.
  const rendered = new URLSearchParams(location.search).get("q") || "";
  if (input.value.trim() !== rendered.trim()) run(false);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    later.cancel();
    run(false);
  });
}

loadI18n().then(init).catch((e) => console.error(e));
