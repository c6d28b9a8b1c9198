// The one WebSocket to /api/v1/stream. It keeps the highest cursor it has processed (in
// sessionStorage, so a reload or the next page resumes from it), reconnects by itself with a growing
// delay and ?since=<cursor>, so nothing is lost or doubled, and hands each event to the subscribers of
// its type. Close codes 4000 and 4002 mean "resume from your cursor" (at once); 4001 means the session ended.

import { api, toLogin } from "./api.js";

const KEY = "zt.stream.cursor";
const MIN_DELAY = 1000;
const MAX_DELAY = 30000;

function readCursor() {
  try {
    const c = sessionStorage.getItem(KEY);
    return c && /^\d+$/.test(c) ? c : null;
  } catch (e) {
    return null;
  }
}

function writeCursor(c) {
  try { sessionStorage.setItem(KEY, c); } catch (e) { /* private mode: keep it in memory only */ }
}

class Stream {
  constructor() {
    this.handlers = new Map();
    this.ws = null;
    this.cursor = readCursor();
    this.delay = MIN_DELAY;
    this.timer = null;
    this.started = false;
    this.connected = false;
    this.failures = 0;
    this.leaving = false;
    this.bannerTimer = null;
  }

  /** Subscribes to one event type ("message.new", "ready", "status", or "*" for every frame). Returns an unsubscribe function. */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type).delete(fn);
  }

  emit(type, data, frame) {
    [type, "*"].forEach((key) => {
      const set = this.handlers.get(key);
      if (!set) return;
      set.forEach((fn) => {
        try {
          fn(data, frame);
        } catch (e) {
          console.error("stream handler for " + type + " failed", e);
        }
      });
    });
  }

  /** Opens the connection once; later calls do nothing. */
  start() {
    if (this.started) return this;
    this.started = true;
    window.addEventListener("pagehide", () => { this.leaving = true; });
    window.addEventListener("pageshow", (e) => {
      this.leaving = false;
      if (e.persisted && !this.ws) this.reconnectNow();
    });
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && !this.ws) this.reconnectNow();
    });
    this.connect();
    return this;
  }

  /** Stops for good (signing out): no reconnecting, no banner. */
  stop() {
    this.leaving = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    // Closing a socket that is still connecting makes the browser log an error; let that one fail alone.
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000, "signing out");
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + "/api/v1/stream" + (this.cursor ? "?since=" + encodeURIComponent(this.cursor) : "");
  }

  advance(cursor) {
    if (!cursor || !/^\d+$/.test(String(cursor))) return;
    const c = String(cursor);
    // Keep the highest: on SQLite live frames can arrive slightly out of order.
    if (this.cursor === null || c.length > this.cursor.length || (c.length === this.cursor.length && c > this.cursor)) {
      this.cursor = c;
      writeCursor(c);
    }
  }

  connect() {
    if (this.ws || this.leaving) return;
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (e) {
      this.schedule();
      return;
    }
    this.ws = ws;
    let ready = false;
    ws.onmessage = (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      if (!frame || typeof frame.type !== "string") return;
      if (frame.type === "ready") {
        ready = true;
        this.delay = MIN_DELAY;
        this.failures = 0;
        this.setConnected(true);
        this.advance(frame.cursor);
        this.emit("ready", frame.data || {}, frame);
        return;
      }
      // Process first, then move the cursor: a handler that throws still moves on (it logged the error).
      this.emit(frame.type, frame.data || {}, frame);
      this.advance(frame.cursor);
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.ws = null;
      if (this.leaving) return;
      if (ev.code === 4001) {
        this.setConnected(false);
        toLogin();
        return;
      }
      this.setConnected(false);
      if (ev.code === 4000 || ev.code === 4002) {
        // Cut off for falling behind, or for a ping answered too late (a tab that slept): resume from
        // the cursor at once.
        this.delay = MIN_DELAY;
        this.timer = setTimeout(() => this.connect(), 0);
        return;
      }
      if (!ready) {
        this.failures += 1;
        // The upgrade may have been refused because the session is gone: a plain request tells (and
        // api() sends a 401 to the sign-in page).
        if (this.failures === 2 || this.failures % 5 === 0) api("GET", "/api/v1/me").catch(() => {});
      }
      this.schedule();
    };
    ws.onerror = () => { /* onclose follows and reconnects */ };
  }

  schedule() {
    if (this.timer) clearTimeout(this.timer);
    const jitter = Math.floor(Math.random() * 0.3 * this.delay);
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, this.delay + jitter);
    this.delay = Math.min(MAX_DELAY, this.delay * 2);
  }

  reconnectNow() {
    if (!this.started || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.delay = MIN_DELAY;
    this.connect();
  }

  setConnected(on) {
    if (this.connected === on) return;
    this.connected = on;
    // A hook for tests and styles: <html data-stream="live|down">.
    document.documentElement.setAttribute("data-stream", on ? "live" : "down");
    this.emit("status", { connected: on });
    if (this.bannerTimer) clearTimeout(this.bannerTimer);
    this.bannerTimer = null;
    if (on) {
      setOffline(false);
    } else {
      // A short grace period, so a quick resume does not flash the banner.
      this.bannerTimer = setTimeout(() => { if (!this.connected && !this.leaving) setOffline(true); }, 1500);
    }
  }
}

/** Shows or hides every .offline-banner on the page. */
export function setOffline(on) {
  document.querySelectorAll(".offline-banner").forEach((el) => { el.hidden = !on; });
  document.documentElement.classList.toggle("is-offline", !!on);
}

export const stream = new Stream();
