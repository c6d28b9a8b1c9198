// The JSON API, called with the session cookie. Every state-changing request carries the CSRF token
// from <meta name="csrf-token">. Errors are thrown as ApiError carrying the server's
// {"error": {"code", "message", "retry_after"?}} shape; a 401 sends the browser to the sign-in page.

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || ("HTTP " + status));
    this.name = "ApiError";
    this.status = status;
    this.code = err.code || (status === 0 ? "network" : "http_" + status);
    this.retryAfter = typeof err.retry_after === "number" ? err.retry_after : null;
    this.body = body;
  }
}

export function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.getAttribute("content") || "" : "";
}

let redirecting = false;

/** Sends the browser to the sign-in page, coming back here afterwards. */
export function toLogin() {
  if (redirecting) return;
  redirecting = true;
  const here = location.pathname + location.search;
  location.assign("/login?next=" + encodeURIComponent(here));
}

/**
 * api("GET", "/api/v1/me"), api("POST", path, {json}), api("POST", path, file) for a raw upload.
 * Resolves to the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  let payload;
  if (typeof Blob !== "undefined" && body instanceof Blob) {
    payload = body;
    headers["Content-Type"] = body.type || "application/octet-stream";
  } else if (body !== undefined && body !== null) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, { error: { code: "network", message: String((e && e.message) || e) } });
  }
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, await readJSON(res));
  }
  if (res.status === 204) return null;
  const data = await readJSON(res);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

async function readJSON(res) {
  try {
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  } catch (e) {
    return null;
  }
}

/** Builds a query string from an object, leaving out empty values. */
export function qs(params) {
  const parts = [];
  Object.keys(params).forEach((k) => {
    const v = params[k];
    if (v === undefined || v === null || v === "") return;
    parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
  });
  return parts.length ? "?" + parts.join("&") : "";
}
