// People as the signed-in person may see them, fetched once per page and shared by the modules.

import { api } from "./api.js";

const cache = new Map();
let mePromise = null;

/** GET /api/v1/me, once. */
export function getMe() {
  if (!mePromise) {
    mePromise = api("GET", "/api/v1/me").then((p) => { cache.set(p.id, Promise.resolve(p)); return p; });
    mePromise.catch(() => { mePromise = null; });
  }
  return mePromise;
}

/** A person by id, or null when they cannot be seen. */
export function getPerson(id) {
  if (!id) return Promise.resolve(null);
  if (!cache.has(id)) {
    const p = api("GET", "/api/v1/people/" + encodeURIComponent(id)).catch(() => null);
    cache.set(id, p);
  }
  return cache.get(id);
}

/** Remembers people from a search answer so later look-ups cost nothing. */
export function remember(person) {
  if (person && person.id && !cache.has(person.id)) cache.set(person.id, Promise.resolve(person));
}

export function nameOf(id, fallback) {
  return getPerson(id).then((p) => (p ? p.name : (fallback || "—")));
}

/** The main position's title and org, for lists: "科员 · 办公室". */
export function describe(person) {
  if (!person || !person.positions || !person.positions.length) return "";
  const main = person.positions.filter((p) => p.main)[0] || person.positions[0];
  return [main.title, main.org_name].filter(Boolean).join(" · ");
}

/** Sets an element's text to a person's name once it is known. */
export function fillName(el, id, fallback) {
  nameOf(id, fallback).then((n) => { el.textContent = n; });
  return el;
}
