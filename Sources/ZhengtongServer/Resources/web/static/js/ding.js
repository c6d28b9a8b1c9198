// /ding (inbox with big confirm buttons, sent box), /ding/new?to= (compose) and /ding/{id} (the
// sender's live board; a recipient sees the DING and confirms it).

import { api, qs } from "./api.js";
import { loadI18n, t } from "./i18n.js";
import { stream } from "./stream.js";
import { $, h, fill, listIn, debounce, timeEl, fmtTime, fmtDuration, fmtPercent, announce, errorText } from "./dom.js";
import { getMe, getPerson, remember, describe, fillName } from "./people.js";
import { inboxItem, markDingRead, confirmFrom, isRemind, statusOf } from "./dings.js";

// ================================================================ inbox and sent box

function initBoxes() {
  const inboxRoot = $("#ding-inbox");
  const sentRoot = $("#ding-sent");
  const inbox = listIn(inboxRoot);
  const sent = sentRoot ? listIn(sentRoot) : null;
  const reminded = new Set();

  async function loadInbox() {
    try {
      const page = await api("GET", "/api/v1/dings" + qs({ box: "inbox", limit: 50 }));
      const items = page.items.map((d) => inboxItem(d, { remind: reminded.has(d.id) && !d.confirmed_at }));
      if (!items.length) items.push(h("li", { class: "empty muted" }, t("ding.inbox_empty")));
      fill(inbox, items);
      const pending = page.items.filter((d) => !d.confirmed_at).length;
      const count = $("#ding-pending-count");
      if (count) count.textContent = String(pending);
    } catch (e) {
      fill(inbox, h("li", { class: "error" }, errorText(e)));
    }
  }

  async function loadSent() {
    if (!sent) return;
    try {
      const page = await api("GET", "/api/v1/dings" + qs({ box: "sent", limit: 50 }));
      const items = page.items.map((d) => h("li", { class: "ding sent-item", dataset: { dingId: d.id } },
        h("a", { href: "/ding/" + encodeURIComponent(d.id), class: "ding-link" },
          h("span", { class: "ding-text" }, d.text),
          h("span", { class: "ding-meta muted" }, timeEl(d.send_at || d.created_at), " ",
            d.sent ? t("ding.view_board") : t("ding.scheduled_for", { time: fmtTime(d.send_at) })))));
      if (!items.length) items.push(h("li", { class: "empty muted" }, t("ding.sent_empty")));
      fill(sent, items);
    } catch (e) {
      fill(sent, h("li", { class: "error" }, errorText(e)));
    }
  }

  const refreshInbox = debounce(loadInbox, 200);

  inbox.addEventListener("click", async (e) => {
    const button = e.target.closest && e.target.closest(".confirm-button");
    if (button) {
      e.preventDefault();
      const d = await confirmFrom(button);
      if (d) {
        const li = button.closest("li[data-ding-id]");
        reminded.delete(d.id);
        if (li) li.replaceWith(inboxItem(d));
      }
      return;
    }
    // Opening a DING (a tap on it) marks it read.
    const li = e.target.closest && e.target.closest("li.ding[data-ding-id]");
    if (li && !li.classList.contains("open")) {
      li.classList.add("open");
      if (li.getAttribute("data-status") === "unread") {
        try {
          const d = await markDingRead(li.getAttribute("data-ding-id"));
          const fresh = inboxItem(d, { remind: reminded.has(d.id) });
          fresh.classList.add("open");
          li.replaceWith(fresh);
        } catch (err) { /* stays unread; the next tap tries again */ }
      }
    }
  });

  stream.on("ding.new", (d) => {
    if (isRemind(d)) reminded.add(d.ding_id);
    announce(isRemind(d) ? t("ding.remind_arrived") : t("ding.new_arrived"));
    refreshInbox();
  });
  let readies = 0;
  // After a reconnect, catch up (the first ready comes right after the first load).
  stream.on("ready", () => { if (++readies > 1) refreshInbox(); });
  stream.start();
  loadInbox();
  loadSent();
}

// ================================================================ compose

function initCompose() {
  const form = $("#ding-form");
  const picked = new Map(); // key "person:id" → {kind, id, name}

  // Build whatever the server's shell does not already hold.
  let text = $("#ding-text", form);
  if (!text) {
    text = h("textarea", { id: "ding-text", name: "text", rows: "4", required: true, maxlength: "5000" });
    form.insertBefore(h("div", { class: "form-row" }, h("label", { for: "ding-text" }, t("ding.text")), text), form.firstChild);
  }
  if (!text.getAttribute("placeholder")) text.setAttribute("placeholder", t("ding.text_hint"));
  const textRow = text.closest(".form-row") || text;

  let recipients = $("#ding-recipients", form);
  if (!recipients) {
    recipients = h("fieldset", { id: "ding-recipients", class: "fieldset" });
    textRow.parentNode.insertBefore(recipients, textRow.nextSibling);
  }
  fill(recipients,
    h("legend", null, t("ding.recipients")),
    h("ul", { id: "ding-recipient-chips", class: "chips", "aria-live": "polite" }),
    h("label", { for: "ding-recipient-search", class: "visually-hidden" }, t("ding.recipient_search")),
    h("input", { type: "search", id: "ding-recipient-search", autocomplete: "off", placeholder: t("ding.recipient_hint") }),
    h("ul", { id: "ding-recipient-results", class: "list picker-list" }),
    h("div", { id: "ding-quick", class: "quick muted" }));
  const chips = $("#ding-recipient-chips", recipients);
  const search = $("#ding-recipient-search", recipients);
  const results = $("#ding-recipient-results", recipients);

  let channels = $("#ding-channels", form);
  if (!channels) {
    channels = h("fieldset", { id: "ding-channels", class: "fieldset" });
    recipients.parentNode.insertBefore(channels, recipients.nextSibling);
  }
  if (!$("input[name=channels]", channels)) {
    fill(channels,
      h("legend", null, t("ding.channels")),
      h("div", { class: "checks" },
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "channels", value: "app", checked: true, disabled: true }), t("ding.channel_app")),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "channels", value: "sms", id: "channel-sms" }), t("ding.channel_sms")),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "channels", value: "voice", id: "channel-voice" }), t("ding.channel_voice"))),
      h("div", { class: "form-row inline" },
        h("label", { for: "sms-after" }, t("ding.sms_after")),
        h("input", { type: "number", id: "sms-after", name: "sms_after_minutes", min: "1", max: "1440", inputmode: "numeric", value: "5", disabled: true }),
        h("span", { class: "muted" }, t("ding.minutes"))),
      h("div", { class: "form-row inline" },
        h("label", { for: "voice-after" }, t("ding.voice_after")),
        h("input", { type: "number", id: "voice-after", name: "voice_after_minutes", min: "1", max: "1440", inputmode: "numeric", value: "10", disabled: true }),
        h("span", { class: "muted" }, t("ding.minutes"))));
  }
  const smsBox = $("input[name=channels][value=sms]", form);
  const voiceBox = $("input[name=channels][value=voice]", form);
  const smsAfter = $("[name=sms_after_minutes]", form);
  const voiceAfter = $("[name=voice_after_minutes]", form);
  const syncMinutes = () => {
    if (smsAfter && smsBox) smsAfter.disabled = !smsBox.checked;
    if (voiceAfter && voiceBox) voiceAfter.disabled = !voiceBox.checked;
  };
  [smsBox, voiceBox].forEach((b) => b && b.addEventListener("change", syncMinutes));
  syncMinutes();

  let sendAt = $("#ding-send-at", form);
  if (!sendAt) {
    sendAt = h("input", { type: "datetime-local", id: "ding-send-at", name: "send_at" });
    channels.parentNode.insertBefore(h("div", { class: "form-row" }, h("label", { for: "ding-send-at" }, t("ding.send_at")), sendAt,
      h("p", { class: "muted hint" }, t("ding.send_at_hint"))), channels.nextSibling);
  }
  let error = $("#ding-error");
  if (!error) {
    error = h("p", { id: "ding-error", class: "error", role: "alert", hidden: true });
    form.appendChild(error);
  }
  let sendButton = $("#ding-send");
  if (!sendButton) {
    sendButton = h("button", { type: "submit", id: "ding-send", class: "button primary big" }, t("ding.send"));
    form.appendChild(sendButton);
  }
  let result = $("#ding-result");
  if (!result) {
    result = h("section", { id: "ding-result", class: "card", hidden: true, role: "status", "aria-live": "polite" });
    form.parentNode.insertBefore(result, form.nextSibling);
  }

  function renderChips() {
    fill(chips, Array.from(picked.values()).map((r) => h("li", { class: "chip " + r.kind, dataset: { kind: r.kind, id: r.id } },
      h("span", { class: "chip-kind" }, t("ding.kind_" + r.kind)), " ", r.name,
      h("button", { type: "button", class: "button icon", "aria-label": t("ding.remove_recipient", { name: r.name }),
        onclick: () => { picked.delete(r.kind + ":" + r.id); renderChips(); } }, "×"))));
    if (!picked.size) chips.appendChild(h("li", { class: "muted empty" }, t("ding.no_recipients")));
  }

  function add(kind, id, name) {
    picked.set(kind + ":" + id, { kind, id, name });
    renderChips();
  }

  function option(kind, id, name, meta) {
    const chosen = picked.has(kind + ":" + id);
    return h("li", { class: "recipient-option", dataset: { kind, id } },
      h("span", { class: "person-text" }, h("span", { class: "chip-kind" }, t("ding.kind_" + kind)), " ",
        h("span", { class: "name" }, name), meta ? h("span", { class: "meta muted" }, meta) : null),
      h("button", { type: "button", class: "button small add-recipient", disabled: chosen, onclick: (e) => {
        add(kind, id, name);
        e.currentTarget.disabled = true;
        e.currentTarget.textContent = t("ding.added");
        search.focus();
      } }, chosen ? t("ding.added") : t("chat.add")));
  }

  let gen = 0;
  search.addEventListener("input", debounce(async () => {
    const q = search.value.trim();
    const mine = ++gen;
    if (!q) { fill(results); return; }
    const opts = [];
    try {
      if (/^\d{6,12}$/.test(q)) {
        const code = (q + "000000000000").slice(0, 12);
        const region = await api("GET", "/api/v1/regions/" + code).catch(() => null);
        if (region) opts.push(option("region", region.code, region.name, region.code));
      }
      const page = await api("GET", "/api/v1/people" + qs({ q, limit: 10 }));
      if (mine !== gen) return;
      page.items.forEach(remember);
      page.items.forEach((p) => opts.push(option("person", p.id, p.name, describe(p))));
      // The departments of the people found, to DING a whole department.
      const orgs = new Map();
      page.items.forEach((p) => (p.positions || []).forEach((pos) => {
        if (pos.org_name.indexOf(q) >= 0 || orgs.size < 3) orgs.set(pos.org_id, pos.org_name);
      }));
      orgs.forEach((name, id) => opts.push(option("org", id, name, t("ding.whole_org"))));
      if (!opts.length) opts.push(h("li", { class: "muted" }, t("dir.no_results")));
      fill(results, opts);
    } catch (e) {
      if (mine === gen) fill(results, h("li", { class: "error" }, errorText(e)));
    }
  }, 250));
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      // Enter in the search box adds the first result instead of sending the form.
      e.preventDefault();
      const first = results.querySelector(".add-recipient:not([disabled])");
      if (first) first.click();
    }
  });

  // Quick picks: my own departments.
  getMe().then((me) => {
    const quick = $("#ding-quick");
    const seen = new Set();
    const mine = (me.positions || []).filter((p) => !seen.has(p.org_id) && seen.add(p.org_id));
    if (!mine.length) return;
    fill(quick, t("ding.quick_orgs"), " ", mine.map((p) => h("button", { type: "button", class: "button small", onclick: () => add("org", p.org_id, p.org_name) }, p.org_name)));
  }).catch(() => {});

  // ?to=<person id> (from the person card)
  const to = new URLSearchParams(location.search).get("to") || form.getAttribute("data-to") || "";
  if (to) {
    getPerson(to).then((p) => { if (p) add("person", p.id, p.name); else renderChips(); });
  } else {
    renderChips();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const body = { text: text.value, recipients: { people: [], orgs: [], regions: [] } };
    picked.forEach((r) => body.recipients[r.kind === "person" ? "people" : r.kind === "org" ? "orgs" : "regions"].push(r.id));
    if (!text.value.trim()) return showError(t("ding.need_text"), text);
    if (!picked.size) return showError(t("ding.need_recipients"), search);
    const ch = [];
    if (smsBox && smsBox.checked) ch.push("sms");
    if (voiceBox && voiceBox.checked) ch.push("voice");
    body.channels = ["app"].concat(ch);
    if (smsBox && smsBox.checked && smsAfter && smsAfter.value) body.sms_after_minutes = Number(smsAfter.value);
    if (voiceBox && voiceBox.checked && voiceAfter && voiceAfter.value) body.voice_after_minutes = Number(voiceAfter.value);
    if (sendAt && sendAt.value) {
      const when = new Date(sendAt.value);
      if (!isNaN(when.getTime())) body.send_at = when.toISOString();
    }
    sendButton.disabled = true;
    sendButton.setAttribute("aria-busy", "true");
    try {
      const d = await api("POST", "/api/v1/dings", body);
      showResult(d);
      form.hidden = true;
    } catch (ex) {
      showError(errorText(ex));
    } finally {
      sendButton.disabled = false;
      sendButton.removeAttribute("aria-busy");
    }
  });

  function showError(msg, focus) {
    error.textContent = msg;
    error.hidden = false;
    if (focus) focus.focus();
  }

  function showResult(d) {
    const excluded = h("ul", { id: "ding-excluded", class: "list" });
    d.excluded.forEach((x) => {
      const known = picked.get(x.kind + ":" + x.id);
      const name = h("span", { class: "name" }, known ? known.name : x.id);
      if (!known && x.kind === "person" && x.reason !== "not_found") fillName(name, x.id, x.id);
      excluded.appendChild(h("li", { class: "excluded", dataset: { reason: x.reason } },
        h("span", { class: "chip-kind" }, t("ding.kind_" + x.kind)), " ", name, "：", h("span", { class: "reason" }, t("ding.reason_" + x.reason))));
    });
    fill(result,
      h("h2", null, d.sent ? t("ding.sent_title") : t("ding.scheduled_title")),
      h("p", { id: "ding-recipient-count" }, d.sent ? t("ding.sent_to", { n: d.recipient_count }) : t("ding.scheduled_to", { n: d.recipient_count, time: fmtTime(d.send_at) })),
      d.excluded.length ? h("div", { class: "excluded-box" }, h("h3", null, t("ding.excluded_title", { n: d.excluded.length })), excluded) : null,
      h("p", { class: "actions" },
        h("a", { id: "ding-board-link", class: "button primary", href: "/ding/" + encodeURIComponent(d.id) }, t("ding.view_board")),
        h("a", { class: "button", href: "/ding/new" }, t("ding.send_another"))));
    result.hidden = false;
    result.focus && result.setAttribute("tabindex", "-1");
    result.focus();
  }
}

// ================================================================ board

function dingIdFromPage() {
  const el = $("[data-ding-id]");
  if (el && el.id === "ding-board") return el.getAttribute("data-ding-id");
  const m = /^\/ding\/([^/]+)$/.exec(location.pathname);
  return m ? decodeURIComponent(m[1]) : (el ? el.getAttribute("data-ding-id") : null);
}

function initBoard() {
  const board = $("#ding-board");
  const id = dingIdFromPage();
  if (!id) return;
  let me = null;
  let remindUntil = 0;
  let countdown = null;

  function ensure(sel, make, parent) {
    let el = $(sel, board);
    if (!el) { el = make(); (parent || board).appendChild(el); }
    return el;
  }

  function skeleton() {
    ensure(".ding-summary", () => h("section", { class: "ding-summary card" },
      h("p", { id: "ding-board-text", class: "ding-text big-text" }),
      h("p", { id: "ding-board-meta", class: "muted" })));
    const stats = ensure(".stats", () => h("div", { class: "stats", role: "group", "aria-label": t("ding.figures") }));
    [["confirmed", "ok"], ["read", ""], ["delivered", ""], ["unconfirmed", "warn"]].forEach((pair) => {
      if (!$("#stat-" + pair[0], board)) {
        stats.appendChild(h("div", { class: "stat " + pair[1] },
          h("span", { class: "stat-value", id: "stat-" + pair[0] }, "–"),
          h("span", { class: "stat-label" }, t("ding.stat_" + pair[0]))));
      }
    });
    const rates = ensure(".rates", () => h("dl", { class: "rates" }));
    [["arrival-rate", "ding.arrival_rate"], ["confirmation-rate", "ding.confirmation_rate"], ["mean-confirm", "ding.mean_confirm"]].forEach((pair) => {
      if (!$("#" + pair[0], board)) {
        rates.appendChild(h("div", { class: "rate" }, h("dt", null, t(pair[1])), h("dd", { id: pair[0] }, "–")));
      }
    });
    ensure("#confirm-progress", () => h("progress", { id: "confirm-progress", max: "1", value: "0", "aria-label": t("ding.confirmation_rate") }));
    const remindRow = ensure(".remind-row", () => h("div", { class: "remind-row" }));
    let remind = $("#remind-button");
    if (!remind) {
      remind = h("button", { type: "button", id: "remind-button", class: "button danger big" }, t("ding.remind"));
      remindRow.appendChild(remind);
    }
    if (!$("#remind-status")) remindRow.appendChild(h("p", { id: "remind-status", role: "status", "aria-live": "polite" }));
    remind.addEventListener("click", (e) => { e.preventDefault(); doRemind(); });
    const lists = ensure(".name-lists", () => h("div", { class: "name-lists" }));
    if (!$("#list-unconfirmed", board)) {
      lists.appendChild(h("section", { class: "card" }, h("h3", { id: "list-unconfirmed-title" }, t("ding.list_unconfirmed")),
        h("ul", { id: "list-unconfirmed", class: "list names" })));
    }
    if (!$("#list-confirmed", board)) {
      lists.appendChild(h("section", { class: "card" }, h("h3", { id: "list-confirmed-title" }, t("ding.list_confirmed")),
        h("ul", { id: "list-confirmed", class: "list names" })));
    }
  }

  async function recipients() {
    const out = [];
    let cursor = null;
    for (let i = 0; i < 50; i++) {
      const page = await api("GET", "/api/v1/dings/" + encodeURIComponent(id) + "/recipients" + qs({ limit: 200, cursor }));
      out.push.apply(out, page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return out;
  }

  function setText(sel, v) {
    const el = $(sel);
    if (el) el.textContent = v;
  }

  let loading = false;
  let again = false;
  async function load() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const d = await api("GET", "/api/v1/dings/" + encodeURIComponent(id));
      if (!d.stats) { renderRecipientView(d); return; }
      board.classList.remove("is-recipient");
      const s = d.stats;
      setText("#ding-board-text", d.text);
      const meta = $("#ding-board-meta");
      if (meta) {
        fill(meta, d.sent ? t("ding.sent_at", { time: fmtTime(d.send_at) }) : t("ding.scheduled_for", { time: fmtTime(d.send_at) }),
          " · ", t("ding.channels_are", { list: d.channels.map((c) => t("ding.channel_" + c)).join("、") }));
      }
      setText("#stat-confirmed", String(s.confirmed));
      setText("#stat-read", String(s.read));
      setText("#stat-delivered", String(s.delivered));
      setText("#stat-unconfirmed", String(s.recipients - s.confirmed));
      setText("#arrival-rate", fmtPercent(s.arrival_rate));
      setText("#confirmation-rate", fmtPercent(s.confirmation_rate));
      setText("#mean-confirm", s.mean_confirm_seconds === null ? t("ding.none_yet") : fmtDuration(s.mean_confirm_seconds));
      const progress = $("#confirm-progress");
      if (progress) progress.value = s.confirmation_rate;
      board.setAttribute("data-confirmed", String(s.confirmed));
      board.setAttribute("data-recipients", String(s.recipients));
      const remind = $("#remind-button");
      const unconfirmed = s.recipients - s.confirmed;
      if (remind && Date.now() >= remindUntil) {
        remind.disabled = unconfirmed === 0 || !d.sent;
        remind.textContent = unconfirmed ? t("ding.remind_n", { n: unconfirmed }) : t("ding.all_confirmed");
      }
      const rs = await recipients();
      const confirmed = rs.filter((r) => r.confirmed_at);
      const open = rs.filter((r) => !r.confirmed_at);
      fill($("#list-confirmed"), confirmed.map((r) => h("li", { class: "recipient confirmed", dataset: { personId: r.person_id, status: "confirmed" } },
        h("span", { class: "name" }, r.name), " ", h("span", { class: "muted" }, fmtTime(r.confirmed_at)))));
      fill($("#list-unconfirmed"), open.map((r) => {
        const st = r.read_at ? "read" : r.delivered_at ? "delivered" : "undelivered";
        return h("li", { class: "recipient " + st, dataset: { personId: r.person_id, status: st } },
          h("span", { class: "name" }, r.name), " ", h("span", { class: "badge" + (st === "undelivered" ? " warn" : "") }, t("ding.rstatus_" + st)),
          r.sms_at ? h("span", { class: "badge" }, t("ding.sms_sent")) : null,
          r.voice_at ? h("span", { class: "badge" }, t("ding.voice_sent")) : null);
      }));
      if (!confirmed.length) $("#list-confirmed").appendChild(h("li", { class: "muted empty" }, t("chat.nobody")));
      if (!open.length) $("#list-unconfirmed").appendChild(h("li", { class: "muted empty" }, t("ding.everyone_confirmed")));
      setText("#list-confirmed-title", t("ding.list_confirmed_n", { n: confirmed.length }));
      setText("#list-unconfirmed-title", t("ding.list_unconfirmed_n", { n: open.length }));
    } catch (e) {
      fill(board, heading, h("p", { class: "error" }, e.status === 404 ? t("ding.not_found") : errorText(e)));
    } finally {
      loading = false;
      if (again) { again = false; load(); }
    }
  }

  const heading = $("h1", board);
  function renderRecipientView(d) {
    board.classList.add("is-recipient");
    fill(board, heading, h("ul", { class: "list ding-one" }, inboxItem(d)));
    if (!d.read_at) markDingRead(d.id).catch(() => {});
    board.addEventListener("click", async (e) => {
      const button = e.target.closest && e.target.closest(".confirm-button");
      if (!button) return;
      const updated = await confirmFrom(button);
      if (updated) fill(board, heading, h("ul", { class: "list ding-one" }, inboxItem(updated)));
    });
  }

  async function doRemind() {
    const button = $("#remind-button");
    const status = $("#remind-status");
    button.disabled = true;
    status.className = "";
    try {
      const r = await api("POST", "/api/v1/dings/" + encodeURIComponent(id) + "/remind");
      status.textContent = t("ding.reminded_n", { n: r.reminded });
      status.className = "ok";
      startCooldown(300);
    } catch (e) {
      if (e.status === 429) {
        const secs = e.retryAfter || 300;
        status.textContent = t("ding.remind_too_soon", { time: fmtDuration(secs) });
        status.className = "error";
        startCooldown(secs);
      } else {
        status.textContent = errorText(e);
        status.className = "error";
        button.disabled = false;
      }
    }
  }

  function startCooldown(secs) {
    const button = $("#remind-button");
    remindUntil = Date.now() + secs * 1000;
    if (countdown) clearInterval(countdown);
    const tick = () => {
      const left = Math.ceil((remindUntil - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(countdown);
        countdown = null;
        button.disabled = false;
        load();
        return;
      }
      button.disabled = true;
      button.textContent = t("ding.remind_wait", { time: fmtDuration(left) });
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  skeleton();
  const refresh = debounce(load, 250);
  stream.on("ding.updated", (d) => { if (d.ding_id === id) refresh(); });
  let readies = 0;
  stream.on("ready", () => { if (++readies > 1) refresh(); });
  stream.start();
  // Delivery has no event of its own: look again now and then while the board is on screen.
  setInterval(() => { if (document.visibilityState === "visible") refresh(); }, 15000);
  getMe().then((p) => { me = p; }).catch(() => {});
  load();
}

function init() {
  if ($("#ding-form")) initCompose();
  else if ($("#ding-board")) initBoard();
  else if ($("#ding-inbox")) initBoxes();
}

loadI18n().then(init).catch((e) => console.error(e));
