// / (工作台): keeps #unread-chats and #pending-dings live. The server renders both first; this
// module re-renders them from the API when the stream says something changed, and confirms DINGs
// in place.

import { api, qs } from "./api.js";
import { loadI18n, t } from "./i18n.js";
import { stream } from "./stream.js";
import { $, h, fill, listIn, debounce, timeEl, announce, errorText, initial } from "./dom.js";
import { getMe, fillName } from "./people.js";
import { inboxItem, confirmFrom, isRemind } from "./dings.js";

function init() {
  const chatsRoot = $("#unread-chats");
  const dingsRoot = $("#pending-dings");
  if (!chatsRoot && !dingsRoot) return;
  const chats = chatsRoot ? listIn(chatsRoot) : null;
  const dings = dingsRoot ? listIn(dingsRoot) : null;
  let me = null;

  async function loadChats() {
    if (!chats) return;
    try {
      if (!me) me = await getMe();
      const page = await api("GET", "/api/v1/conversations" + qs({ limit: 100 }));
      const unread = page.items.filter((c) => c.unread_count > 0);
      const items = unread.map((c) => {
        const name = h("span", { class: "conv-name" }, c.name || "…");
        if (c.kind === "direct") {
          const other = c.members.filter((m) => m.person_id !== me.id)[0];
          if (other) fillName(name, other.person_id);
        }
        const last = c.last_message;
        return h("li", { class: "conv has-unread", dataset: { conversationId: c.id } },
          h("a", { href: "/chat?c=" + encodeURIComponent(c.id), class: "conv-link" },
            h("span", { class: "conv-body" }, name,
              h("span", { class: "conv-last muted" }, last ? (last.recalled ? t("chat.recalled_short") : last.text || t("chat.file")) : "")),
            h("span", { class: "conv-meta" }, last ? timeEl(last.created_at) : null,
              h("span", { class: "unread-count badge", dataset: { count: String(c.unread_count) }, "aria-label": t("chat.unread_label", { n: c.unread_count }) },
                String(c.unread_count)))));
      });
      if (!items.length) items.push(h("li", { class: "empty muted" }, t("home.no_unread")));
      fill(chats, items);
      const total = unread.reduce((n, c) => n + c.unread_count, 0);
      const badge = $("#unread-total");
      if (badge) { badge.textContent = String(total); badge.hidden = total === 0; }
    } catch (e) { /* keep what the server rendered */ }
  }

  async function loadDings() {
    if (!dings) return;
    try {
      const page = await api("GET", "/api/v1/dings" + qs({ box: "inbox", limit: 50 }));
      const pending = page.items.filter((d) => !d.confirmed_at);
      const items = pending.map((d) => inboxItem(d, { remind: reminded.has(d.id) }));
      if (!items.length) items.push(h("li", { class: "empty muted" }, t("home.no_pending")));
      fill(dings, items);
      const badge = $("#pending-total");
      if (badge) { badge.textContent = String(pending.length); badge.hidden = pending.length === 0; }
    } catch (e) { /* keep what the server rendered */ }
  }

  const reminded = new Set();
  const refreshChats = debounce(loadChats, 250);
  const refreshDings = debounce(loadDings, 250);

  if (dings) {
    dings.addEventListener("click", async (e) => {
      const button = e.target.closest && e.target.closest(".confirm-button");
      if (!button) return;
      e.preventDefault();
      const d = await confirmFrom(button);
      if (d) {
        const li = button.closest("li");
        if (li) li.remove();
        if (!dings.querySelector("li")) dings.appendChild(h("li", { class: "empty muted" }, t("home.no_pending")));
        refreshDings();
      }
    });
  }

  stream.on("message.new", refreshChats);
  stream.on("message.recalled", refreshChats);
  stream.on("conversation.created", refreshChats);
  stream.on("conversation.members", refreshChats);
  stream.on("ding.new", (d) => {
    if (isRemind(d)) reminded.add(d.ding_id);
    announce(isRemind(d) ? t("ding.remind_arrived") : t("ding.new_arrived"));
    refreshDings();
  });
  let readies = 0;
  stream.on("ready", () => {
    readies += 1;
    // After a reconnect, catch up on what happened meanwhile.
    if (readies > 1) { refreshChats(); refreshDings(); }
  });
  // Reading in another tab lowers the counts; looking again on return keeps the page honest.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") { refreshChats(); refreshDings(); }
  });
  stream.start();
  loadChats();
  loadDings();
}

loadI18n().then(init).catch((e) => console.error(e));
