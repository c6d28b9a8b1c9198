// /chat and /chat?c=<id>: the conversation list (unread counts, last message, live order) and one
// conversation (history paged with before_seq, live messages, read receipts, recall, @mentions,
// replies, attachments), plus creating a group and opening a department group.

import { api, qs } from "./api.js";
import { loadI18n, t } from "./i18n.js";
import { stream } from "./stream.js";
import { $, $$, h, fill, listIn, debounce, uuid, fmtTime, timeEl, fmtSize, openDialog, closeDialog, ensureDialog,
  announce, errorText, initial, icon } from "./dom.js";
import { getMe, getPerson, remember, describe, fillName } from "./people.js";

const PAGE = 30;
const RECALL_WINDOW_MS = 24 * 3600 * 1000;

const S = {
  me: null,
  list: [],
  listEl: null,
  view: null,      // #conversation
  msgsEl: null,    // ul#messages
  cur: null,       // the open conversation's state
  composer: null,
  text: null,
  sendButton: null,
  attachInput: null,
  readyCount: 0,
};

// ---------------------------------------------------------------- layout

function ensureLayout() {
  const listRoot = $("#conversations");
  S.listEl = listIn(listRoot);
  S.view = $("#conversation");
  if (!S.view) {
    S.view = h("section", { id: "conversation" });
    ($("main#main") || document.body).appendChild(S.view);
  }
  S.view.classList.add("conversation");

  let head = $(".conv-header", S.view);
  if (!head) {
    head = h("header", { class: "conv-header" });
    S.view.insertBefore(head, S.view.firstChild);
  }
  fill(head,
    h("a", { href: "/chat", class: "back-link button icon", "aria-label": t("chat.back") }, "‹"),
    h("div", { class: "conv-title-box" },
      h("h2", { id: "conversation-title", class: "conv-title" }, t("chat.heading_none")),
      h("p", { id: "conversation-sub", class: "muted conv-sub" })));

  let empty = $("#conversation-empty");
  if (!empty) {
    empty = h("p", { id: "conversation-empty", class: "muted empty-state" }, t("chat.pick_hint"));
    head.parentNode.insertBefore(empty, head.nextSibling);
  }

  let older = $("#load-older");
  if (!older) {
    older = h("button", { type: "button", id: "load-older", class: "button small load-older", hidden: true }, t("chat.load_older"));
    empty.parentNode.insertBefore(older, empty.nextSibling);
  }
  older.addEventListener("click", loadOlder);

  let msgs = $("#messages");
  if (!msgs) {
    msgs = h("ul", { id: "messages" });
    older.parentNode.insertBefore(msgs, older.nextSibling);
  }
  S.msgsEl = listIn(msgs);
  S.msgsEl.classList.add("messages");
  S.msgsEl.setAttribute("aria-live", "polite");
  S.msgsEl.setAttribute("aria-relevant", "additions");

  buildComposer();
  buildSidebarButtons();
  S.view.addEventListener("click", onMessageClick);
}

function buildComposer() {
  let form = $("#composer");
  if (!form) {
    form = h("form", { id: "composer" });
    S.view.appendChild(form);
  }
  form.classList.add("composer");
  S.composer = form;
  S.text = $("#message-text", form) || $("#message-text");
  if (!S.text) {
    S.text = h("textarea", { id: "message-text", rows: "1" });
    form.appendChild(S.text);
  }
  if (!S.text.getAttribute("aria-label")) S.text.setAttribute("aria-label", t("chat.message_label"));
  if (!S.text.getAttribute("placeholder")) S.text.setAttribute("placeholder", t("chat.placeholder"));
  if (!$("#message-hint")) {
    form.appendChild(h("p", { id: "message-hint", class: "visually-hidden" }, t("chat.keys_hint")));
    S.text.setAttribute("aria-describedby", "message-hint");
  }
  S.attachInput = $("#attach-input");
  if (!S.attachInput) {
    S.attachInput = h("input", { type: "file", id: "attach-input", multiple: true, class: "visually-hidden" });
    const label = h("label", { for: "attach-input", class: "button icon attach-label", title: t("chat.attach") },
      icon("clip"), h("span", { class: "visually-hidden" }, t("chat.attach")));
    form.insertBefore(S.attachInput, S.text);
    form.insertBefore(label, S.text);
  }
  S.attachInput.multiple = true;
  S.sendButton = $("#send-button");
  if (!S.sendButton) {
    S.sendButton = h("button", { type: "submit", id: "send-button", class: "button primary" }, t("chat.send"));
    form.appendChild(S.sendButton);
  }
  // Above the text: what the message replies to, and the files waiting to go with it.
  const extras = h("div", { class: "composer-extras" },
    h("div", { id: "reply-preview", class: "reply-preview", hidden: true }),
    h("ul", { id: "pending-attachments", class: "pending-attachments", hidden: true }),
    h("ul", { id: "mention-picker", class: "picker", role: "listbox", "aria-label": t("chat.mention_pick"), hidden: true }));
  form.insertBefore(extras, form.firstChild);

  form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
  S.text.addEventListener("keydown", onComposerKey);
  S.text.addEventListener("input", () => { updateMentionPicker(); });
  S.text.addEventListener("blur", () => setTimeout(hidePicker, 150));
  S.attachInput.addEventListener("change", onFilesPicked);
}

function buildSidebarButtons() {
  let newGroup = $("#new-group-button");
  if (!newGroup) {
    newGroup = h("button", { type: "button", id: "new-group-button", class: "button" }, t("chat.new_group"));
    S.listEl.parentNode.insertBefore(newGroup, S.listEl);
  }
  newGroup.classList.add("small");
  newGroup.addEventListener("click", (e) => { e.preventDefault(); openNewGroup(); });
  let orgGroup = $("#open-org-group-button");
  if (!orgGroup) {
    orgGroup = h("button", { type: "button", id: "open-org-group-button", class: "button small" }, t("chat.org_group"));
  }
  // Both buttons side by side, wherever the page put the first one.
  const group = h("span", { class: "chat-actions" });
  newGroup.parentNode.insertBefore(group, newGroup);
  group.appendChild(newGroup);
  group.appendChild(orgGroup);
  orgGroup.addEventListener("click", (e) => { e.preventDefault(); openOrgGroups(); });
}

// ---------------------------------------------------------------- conversation list

function convTitle(c) {
  if (c.kind === "direct") {
    const other = (c.members || []).filter((m) => m.person_id !== S.me.id)[0];
    return other ? { id: other.person_id } : { text: t("chat.just_me") };
  }
  return { text: c.name || t("chat.group") };
}

function titleSpan(c, cls) {
  const tt = convTitle(c);
  const span = h("span", { class: cls }, tt.text || "…");
  if (tt.id) fillName(span, tt.id);
  return span;
}

function preview(m) {
  if (!m) return t("chat.no_messages");
  if (m.recalled) return t("chat.recalled_short");
  const files = (m.attachments || []).map((a) => "[" + t("chat.file") + "] " + a.name).join(" ");
  return (m.text || "").replace(/\s+/g, " ").trim() || files;
}

function renderList() {
  const items = S.list.map((c) => {
    const current = S.cur && S.cur.id === c.id;
    const unread = current && document.visibilityState === "visible" ? 0 : c.unread_count;
    const badge = h("span", { class: "unread-count badge", "aria-label": t("chat.unread_label", { n: unread }), dataset: { count: String(unread) } },
      String(unread));
    badge.hidden = unread === 0;
    const when = c.last_message ? c.last_message.created_at : c.created_at;
    const kindTag = c.kind === "org" ? h("span", { class: "tag" }, t("chat.kind_org")) : c.kind === "group" ? h("span", { class: "tag" }, t("chat.kind_group")) : null;
    const name = titleSpan(c, "conv-name");
    return h("li", { class: "conv" + (current ? " active" : "") + (unread ? " has-unread" : ""), dataset: { conversationId: c.id } },
      h("a", { href: "/chat?c=" + encodeURIComponent(c.id), class: "conv-link", "aria-current": current ? "true" : null },
        h("span", { class: "avatar", "aria-hidden": "true" }, c.kind === "direct" ? "" : initial(c.name || "群")),
        h("span", { class: "conv-body" },
          h("span", { class: "conv-line" }, name, kindTag),
          h("span", { class: "conv-last muted" }, preview(c.last_message))),
        h("span", { class: "conv-meta" }, timeEl(when), badge)));
  });
  // Direct conversations show the other person's initial once their name is known.
  items.forEach((li, i) => {
    const c = S.list[i];
    if (c.kind === "direct") {
      const tt = convTitle(c);
      if (tt.id) getPerson(tt.id).then((p) => { if (p) $(".avatar", li).textContent = initial(p.name); });
    }
  });
  if (!items.length) items.push(h("li", { class: "empty muted" }, t(S.listLoaded ? "chat.no_conversations" : "app.loading")));
  fill(S.listEl, items);
}

let listGen = 0;
async function loadList() {
  const mine = ++listGen;
  try {
    const page = await api("GET", "/api/v1/conversations" + qs({ limit: 100 }));
    if (mine !== listGen) return;
    S.list = page.items;
    S.listLoaded = true;
    renderList();
  } catch (e) {
    if (mine === listGen) announce(errorText(e), "error");
  }
}
const refreshList = debounce(loadList, 250);

S.listClick = (e) => {
  const a = e.target.closest && e.target.closest("a.conv-link");
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  const li = a.closest("li[data-conversation-id]");
  openConversation(li.getAttribute("data-conversation-id"), true);
};

// ---------------------------------------------------------------- one conversation

function showEmptyView() {
  S.cur = null;
  document.body.classList.remove("chat-open");
  $("#conversation-title").textContent = t("chat.heading_none");
  $("#conversation-sub").textContent = "";
  $("#conversation-empty").hidden = false;
  $("#load-older").hidden = true;
  fill(S.msgsEl);
  S.composer.hidden = true;
  renderList();
}

async function openConversation(id, push) {
  if (push) history.pushState({ c: id }, "", "/chat?c=" + encodeURIComponent(id));
  const cur = { id, conv: null, msgs: new Map(), pending: new Map(), nextCursor: null, readSent: 0, reads: new Map(),
    replyTo: null, mentions: new Map(), attachments: [], refreshGen: 0 };
  S.cur = cur;
  document.body.classList.add("chat-open");
  $("#conversation-empty").hidden = true;
  $("#load-older").hidden = true;
  fill(S.msgsEl, h("li", { class: "muted loading" }, t("app.loading")));
  S.composer.hidden = false;
  clearReply();
  renderPendingAttachments();
  renderList();
  try {
    const conv = await api("GET", "/api/v1/conversations/" + encodeURIComponent(id));
    if (S.cur !== cur) return;
    cur.conv = conv;
    conv.members.forEach((m) => cur.reads.set(m.person_id, m.read_seq));
    cur.readSent = cur.reads.get(S.me.id) || 0;
    renderHeader();
    const page = await api("GET", "/api/v1/conversations/" + encodeURIComponent(id) + "/messages" + qs({ limit: PAGE }));
    if (S.cur !== cur) return;
    fill(S.msgsEl);
    page.items.slice().reverse().forEach(putMessage);
    cur.nextCursor = page.next_cursor;
    $("#load-older").hidden = !cur.nextCursor;
    if (!page.items.length) S.msgsEl.appendChild(h("li", { class: "muted empty", id: "no-messages" }, t("chat.no_messages_yet")));
    scrollToEnd();
    markRead();
    if (window.matchMedia && window.matchMedia("(min-width: 48em)").matches) S.text.focus();
  } catch (e) {
    if (S.cur !== cur) return;
    fill(S.msgsEl, h("li", { class: "error" }, e.status === 404 ? t("chat.not_found") : errorText(e)));
    S.composer.hidden = true;
  }
}

function renderHeader() {
  const c = S.cur.conv;
  const title = $("#conversation-title");
  fill(title, titleSpan(c, "conv-name"));
  const sub = $("#conversation-sub");
  if (c.kind === "direct") {
    const other = c.members.filter((m) => m.person_id !== S.me.id)[0];
    sub.textContent = "";
    if (other) getPerson(other.person_id).then((p) => { if (p && S.cur && S.cur.conv === c) sub.textContent = describe(p); });
  } else {
    sub.textContent = t(c.kind === "org" ? "chat.org_members" : "chat.members", { n: c.members.length });
  }
}

function audience(cur) {
  return Math.max(0, (cur.conv ? cur.conv.members.length : 1) - 1);
}

function maxSeq(cur) {
  let top = 0;
  cur.msgs.forEach((m) => { if (m.seq && m.seq > top) top = m.seq; });
  return top;
}

function isMine(m) { return m.sender_id === S.me.id; }

function myRole(cur) {
  const me = cur.conv ? cur.conv.members.filter((m) => m.person_id === S.me.id)[0] : null;
  return me ? me.role : "member";
}

function canRecall(m) {
  if (m.recalled || !m.id) return false;
  const c = S.cur.conv;
  if (c && c.kind === "group" && c.owner_id === S.me.id) return true;
  return isMine(m) && Date.now() - new Date(m.created_at).getTime() < RECALL_WINDOW_MS;
}

function readStatusText(m) {
  if (m.unread_count > 0) return t("chat.unread_by", { n: m.unread_count });
  return S.cur.conv && S.cur.conv.kind === "direct" ? t("chat.read") : t("chat.all_read");
}

function renderMessage(m) {
  const mine = isMine(m);
  const mentionsMe = (m.mentions || []).some((x) => x === S.me.id || x === "all");
  const li = h("li", {
    class: "message" + (mine ? " mine" : "") + (m.recalled ? " recalled" : "") + (mentionsMe && !mine ? " mentions-me" : "") + (m.pending ? " pending" : "") + (m.failed ? " failed" : ""),
    dataset: { seq: m.seq ? String(m.seq) : "", id: m.id || "", clientMsgId: m.client_msg_id || "" },
  });
  const sender = h("span", { class: "sender" }, mine ? t("chat.me") : "…");
  if (!mine) fillName(sender, m.sender_id);
  li.appendChild(h("div", { class: "msg-head" }, sender, " ", timeEl(m.created_at)));
  if (m.recalled) {
    li.appendChild(h("p", { class: "text muted recalled-note" }, mine ? t("chat.recalled_mine") : t("chat.recalled")));
    return li;
  }
  const bubble = h("div", { class: "bubble" });
  if (m.reply_to) {
    const orig = S.cur.msgs.get(m.reply_to);
    const quote = h("blockquote", { class: "reply-quote" });
    if (orig) {
      const who = h("span", { class: "reply-sender" }, isMine(orig) ? t("chat.me") : "…");
      if (!isMine(orig)) fillName(who, orig.sender_id);
      quote.appendChild(who);
      quote.appendChild(document.createTextNode("：" + (orig.recalled ? t("chat.recalled_short") : shorten(orig.text || preview(orig), 60))));
    } else {
      quote.textContent = t("chat.reply_to_earlier");
    }
    bubble.appendChild(quote);
  }
  if (m.text) bubble.appendChild(h("p", { class: "text" }, m.text));
  if (m.attachments && m.attachments.length) {
    bubble.appendChild(h("ul", { class: "attachments" }, m.attachments.map((a) =>
      h("li", null, h("a", { href: "/api/v1/attachments/" + encodeURIComponent(a.id), download: a.name, class: "attachment" },
        icon("file"), a.name, h("span", { class: "muted" }, " (" + fmtSize(a.size) + ")"))))));
  }
  li.appendChild(bubble);
  const actions = h("div", { class: "msg-actions" });
  if (m.pending) actions.appendChild(h("span", { class: "muted sending" }, t("chat.sending")));
  if (m.failed) {
    actions.appendChild(h("span", { class: "error" }, m.failed));
    actions.appendChild(h("button", { type: "button", class: "button small retry-button" }, t("chat.retry")));
  }
  if (mine && m.id && !m.pending && audience(S.cur) > 0) {
    actions.appendChild(h("button", {
      type: "button", class: "read-status link" + (m.unread_count > 0 ? "" : " all-read"),
      dataset: { unread: String(m.unread_count), read: String(m.read_count) }, "aria-haspopup": "dialog",
    }, readStatusText(m)));
  }
  if (m.id && !m.pending) actions.appendChild(h("button", { type: "button", class: "link reply-button" }, t("chat.reply")));
  if (canRecall(m) && !m.pending) actions.appendChild(h("button", { type: "button", class: "link recall-button" }, t("chat.recall")));
  li.appendChild(actions);
  return li;
}

function shorten(s, n) {
  const chars = Array.from(s || "");
  return chars.length > n ? chars.slice(0, n).join("") + "…" : chars.join("");
}

/** Inserts or replaces a message in the view, keeping seq order. */
function putMessage(m) {
  const cur = S.cur;
  const placeholder = $("#no-messages");
  if (placeholder) placeholder.remove();
  let old = null;
  if (m.id && cur.msgs.has(m.id)) old = S.msgsEl.querySelector('li.message[data-id="' + cssEscape(m.id) + '"]');
  if (!old && m.client_msg_id && isMine(m)) {
    old = S.msgsEl.querySelector('li.message[data-client-msg-id="' + cssEscape(m.client_msg_id) + '"]');
  }
  if (m.id) cur.msgs.set(m.id, m);
  const li = renderMessage(m);
  if (old) {
    S.msgsEl.replaceChild(li, old);
    return li;
  }
  // New: before the first message with a larger seq, or before the pending ones, or at the end.
  const items = S.msgsEl.querySelectorAll("li.message");
  let before = null;
  for (let i = 0; i < items.length; i++) {
    const s = Number(items[i].getAttribute("data-seq") || "0");
    if ((m.seq && s && s > m.seq) || (m.seq && !s)) { before = items[i]; break; }
  }
  S.msgsEl.insertBefore(li, before);
  return li;
}

function cssEscape(s) {
  return window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&");
}

function nearBottom() {
  const el = document.scrollingElement || document.documentElement;
  const box = S.msgsEl;
  if (box.scrollHeight > box.clientHeight + 4) return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  return el.scrollHeight - el.scrollTop - el.clientHeight < 160;
}

function scrollToEnd() {
  const box = S.msgsEl;
  box.scrollTop = box.scrollHeight;
  const last = box.lastElementChild;
  if (last && box.scrollHeight <= box.clientHeight + 4 && last.scrollIntoView) last.scrollIntoView({ block: "end" });
}

async function loadOlder() {
  const cur = S.cur;
  if (!cur || !cur.nextCursor) return;
  const button = $("#load-older");
  button.disabled = true;
  try {
    const page = await api("GET", "/api/v1/conversations/" + encodeURIComponent(cur.id) + "/messages" + qs({ limit: PAGE, before_seq: cur.nextCursor }));
    if (S.cur !== cur) return;
    const box = S.msgsEl;
    const fromBottom = box.scrollHeight - box.scrollTop;
    page.items.forEach(putMessage);
    box.scrollTop = box.scrollHeight - fromBottom;
    cur.nextCursor = page.items.length ? page.next_cursor : null;
    button.hidden = !cur.nextCursor;
  } catch (e) {
    announce(errorText(e), "error");
  } finally {
    button.disabled = false;
  }
}

/** Re-reads the newest page: attachments and exact read counts for what arrived live. */
async function refreshNewestNow() {
  const cur = S.cur;
  if (!cur || !cur.conv) return;
  const mine = ++cur.refreshGen;
  try {
    const page = await api("GET", "/api/v1/conversations/" + encodeURIComponent(cur.id) + "/messages" + qs({ limit: 50 }));
    if (S.cur !== cur || mine !== cur.refreshGen) return;
    page.items.slice().reverse().forEach((m) => {
      const known = cur.msgs.get(m.id);
      if (!known || JSON.stringify(known) !== JSON.stringify(m)) putMessage(m);
    });
  } catch (e) {
    /* the next event or reconnect tries again */
  }
}
const refreshNewest = debounce(refreshNewestNow, 300);

function markRead() {
  const cur = S.cur;
  if (!cur || !cur.conv || document.visibilityState !== "visible") return;
  const top = maxSeq(cur);
  if (top <= cur.readSent) return;
  cur.readSent = top;
  api("POST", "/api/v1/conversations/" + encodeURIComponent(cur.id) + "/read", { seq: top })
    .then(() => refreshList())
    .catch(() => { if (S.cur === cur) cur.readSent = 0; });
}

// ---------------------------------------------------------------- live events

function onMessageNew(d) {
  refreshList();
  const cur = S.cur;
  if (!cur || d.conversation_id !== cur.id || !cur.conv) return;
  if (d.recalled && !d.seq) {
    // A replay of a message recalled since.
    const known = cur.msgs.get(d.id);
    if (known) putMessage(Object.assign({}, known, { recalled: true, text: "", attachments: [] }));
    return;
  }
  if (d.sender_id === S.me.id && d.seq > cur.readSent) cur.readSent = d.seq;
  const known = cur.msgs.get(d.id);
  if (!known) {
    const stick = nearBottom() || d.sender_id === S.me.id;
    putMessage({
      id: d.id, conversation_id: d.conversation_id, seq: d.seq, sender_id: d.sender_id, text: d.text || "",
      client_msg_id: d.client_msg_id, mentions: d.mentions || [], reply_to: d.reply_to || null, recalled: false,
      created_at: d.created_at, read_count: 0, unread_count: audience(cur), attachments: [],
    });
    if (stick) scrollToEnd();
    if (d.sender_id !== S.me.id && (d.mentions || []).some((x) => x === S.me.id || x === "all")) announce(t("chat.mentioned"));
  }
  refreshNewest();
  markRead();
}

function onRecalled(d) {
  refreshList();
  const cur = S.cur;
  if (!cur || d.conversation_id !== cur.id) return;
  const known = cur.msgs.get(d.message_id);
  if (known) putMessage(Object.assign({}, known, { recalled: true, text: "", attachments: [] }));
  // Quotes of the recalled message change too.
  cur.msgs.forEach((m) => { if (m.reply_to === d.message_id) putMessage(m); });
}

function onReceipt(d) {
  const cur = S.cur;
  if (!cur || d.conversation_id !== cur.id || !cur.conv) return;
  const before = cur.reads.has(d.reader_id) ? cur.reads.get(d.reader_id) : null;
  const after = Number(d.read_seq);
  if (before !== null && after > before) {
    cur.msgs.forEach((m) => {
      if (isMine(m) && !m.recalled && m.seq > before && m.seq <= after && m.unread_count > 0) {
        putMessage(Object.assign({}, m, { read_count: m.read_count + 1, unread_count: m.unread_count - 1 }));
      }
    });
  }
  if (before === null || after > before) cur.reads.set(d.reader_id, after);
  refreshNewest();
}

async function onMembers(d) {
  refreshList();
  const cur = S.cur;
  if (!cur || d.conversation_id !== cur.id) return;
  const removed = String(d.removed || "").split(",").filter(Boolean);
  if (removed.indexOf(S.me.id) >= 0) {
    fill(S.msgsEl, h("li", { class: "muted" }, t("chat.removed")));
    S.composer.hidden = true;
    return;
  }
  try {
    const conv = await api("GET", "/api/v1/conversations/" + encodeURIComponent(cur.id));
    if (S.cur !== cur) return;
    cur.conv = conv;
    conv.members.forEach((m) => { if (!cur.reads.has(m.person_id)) cur.reads.set(m.person_id, m.read_seq); });
    renderHeader();
    refreshNewest();
  } catch (e) { /* not a member any more */ }
}

// ---------------------------------------------------------------- sending

function onComposerKey(e) {
  const picker = $("#mention-picker");
  if (!picker.hidden) {
    const options = $$("li[role=option]", picker);
    let idx = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      idx = (idx + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      options.forEach((o, i) => o.setAttribute("aria-selected", i === idx ? "true" : "false"));
      return;
    }
    if ((e.key === "Enter" || e.key === "Tab") && options.length && !e.isComposing) {
      e.preventDefault();
      pickMention(options[Math.max(0, idx)]);
      return;
    }
    if (e.key === "Escape") { e.preventDefault(); hidePicker(); return; }
  }
  // Enter sends, Shift+Enter is a new line; Enter that ends an IME composition (Chinese input) does neither.
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    send();
  }
}

function send() {
  const cur = S.cur;
  if (!cur || !cur.conv) return;
  const text = S.text.value;
  if (cur.attachments.some((a) => !a.id && !a.error)) { announce(t("chat.wait_uploads")); return; }
  const files = cur.attachments.filter((a) => a.id);
  if (!text.trim() && !files.length) return;
  const body = { text, client_msg_id: uuid() };
  const mentions = [];
  cur.mentions.forEach((id, name) => { if (text.indexOf("@" + name) >= 0 && mentions.indexOf(id) < 0) mentions.push(id); });
  if (mentions.length) body.mentions = mentions;
  if (cur.replyTo) body.reply_to = cur.replyTo.id;
  if (files.length) body.attachments = files.map((a) => a.id);
  S.text.value = "";
  cur.mentions = new Map();
  cur.attachments = [];
  renderPendingAttachments();
  clearReply();
  hidePicker();
  deliver(cur, body, files);
}

function deliver(cur, body, files) {
  const optimistic = {
    id: null, seq: null, sender_id: S.me.id, text: body.text, client_msg_id: body.client_msg_id, mentions: body.mentions || [],
    reply_to: body.reply_to || null, recalled: false, created_at: new Date().toISOString(), read_count: 0,
    unread_count: audience(cur), attachments: files.map((a) => ({ id: a.id, name: a.name, size: a.size })), pending: true,
  };
  cur.pending.set(body.client_msg_id, { body, files });
  putMessage(optimistic);
  scrollToEnd();
  api("POST", "/api/v1/conversations/" + encodeURIComponent(cur.id) + "/messages", body)
    .then((m) => {
      cur.pending.delete(body.client_msg_id);
      // Sending moved my own read position to it.
      if (m.seq > cur.readSent) cur.readSent = m.seq;
      if (S.cur !== cur) return;
      const known = cur.msgs.get(m.id);
      // A receipt may already have counted it; keep the more advanced figures.
      if (known && known.read_count > m.read_count) m = Object.assign({}, m, { read_count: known.read_count, unread_count: known.unread_count });
      putMessage(m);
      refreshList();
    })
    .catch((e) => {
      if (S.cur !== cur) return;
      // Kept for a retry with the same client_msg_id, so a send that did arrive is not doubled.
      putMessage(Object.assign({}, optimistic, { pending: false, failed: errorText(e) }));
    });
}

function retry(li) {
  const cur = S.cur;
  const p = cur.pending.get(li.getAttribute("data-client-msg-id"));
  if (p) deliver(cur, p.body, p.files);
}

// ---------------------------------------------------------------- reply, recall, receipts

function onMessageClick(e) {
  const target = e.target;
  if (!target.closest) return;
  const li = target.closest("li.message");
  if (!li || !S.cur) return;
  const m = S.cur.msgs.get(li.getAttribute("data-id"));
  if (target.closest(".read-status") && m) { showReceipts(m); return; }
  if (target.closest(".reply-button") && m) { setReply(m); return; }
  if (target.closest(".recall-button") && m) { recall(m); return; }
  if (target.closest(".retry-button")) retry(li);
}

function setReply(m) {
  S.cur.replyTo = m;
  const box = $("#reply-preview");
  const who = h("strong", null, isMine(m) ? t("chat.me") : "…");
  if (!isMine(m)) fillName(who, m.sender_id);
  fill(box,
    h("span", { class: "reply-label" }, t("chat.replying_to"), " ", who, "：", shorten(m.text || preview(m), 40)),
    h("button", { type: "button", class: "button icon", "aria-label": t("chat.cancel_reply"), onclick: clearReply }, "×"));
  box.hidden = false;
  S.text.focus();
}

function clearReply() {
  if (S.cur) S.cur.replyTo = null;
  const box = $("#reply-preview");
  if (box) { fill(box); box.hidden = true; }
}

async function recall(m) {
  try {
    const updated = await api("POST", "/api/v1/messages/" + encodeURIComponent(m.id) + "/recall");
    if (S.cur && S.cur.msgs.has(m.id)) putMessage(updated);
    refreshList();
  } catch (e) {
    announce(errorText(e), "error");
  }
}

function receiptsDialog() {
  let dlg = document.getElementById("receipts");
  const fresh = !dlg;
  dlg = ensureDialog("receipts", "chat.receipts");
  if (fresh || !$("#receipts-read", dlg)) {
    dlg.appendChild(h("div", { class: "receipts-cols" },
      h("section", null, h("h3", { id: "receipts-unread-title" }, t("chat.unread")), h("ul", { id: "receipts-unread", class: "list names" })),
      h("section", null, h("h3", { id: "receipts-read-title" }, t("chat.read")), h("ul", { id: "receipts-read", class: "list names" }))));
  }
  return dlg;
}

async function showReceipts(m) {
  const dlg = receiptsDialog();
  const readList = $("#receipts-read", dlg);
  const unreadList = $("#receipts-unread", dlg);
  fill(readList, h("li", { class: "muted" }, t("app.loading")));
  fill(unreadList);
  openDialog(dlg);
  try {
    const r = await api("GET", "/api/v1/messages/" + encodeURIComponent(m.id) + "/receipts");
    const names = (ids) => ids.map((id) => fillName(h("li", { dataset: { personId: id } }, "…"), id));
    fill(readList, names(r.read));
    fill(unreadList, names(r.unread));
    if (!r.read.length) readList.appendChild(h("li", { class: "muted empty" }, t("chat.nobody")));
    if (!r.unread.length) unreadList.appendChild(h("li", { class: "muted empty" }, t("chat.nobody")));
    const rt = $("#receipts-read-title", dlg);
    const ut = $("#receipts-unread-title", dlg);
    if (rt) rt.textContent = t("chat.read_n", { n: r.read.length });
    if (ut) ut.textContent = t("chat.unread_n", { n: r.unread.length });
  } catch (e) {
    fill(readList, h("li", { class: "error" }, errorText(e)));
  }
}

// ---------------------------------------------------------------- @mentions

function mentionQuery() {
  const pos = S.text.selectionStart;
  if (pos === null || pos === undefined) return null;
  const before = S.text.value.slice(0, pos);
  const m = /(^|\s)@([^\s@]{0,20})$/.exec(before);
  return m ? { query: m[2], start: pos - m[2].length - 1, end: pos } : null;
}

let pickerGen = 0;
async function updateMentionPicker() {
  const cur = S.cur;
  const q = mentionQuery();
  if (!cur || !cur.conv || !q || cur.conv.kind === "direct") { hidePicker(); return; }
  const mine = ++pickerGen;
  const query = q.query.toLowerCase();
  const others = cur.conv.members.filter((m) => m.person_id !== S.me.id);
  let people;
  if (others.length <= 50) {
    people = (await Promise.all(others.map((m) => getPerson(m.person_id)))).filter(Boolean);
    people = people.filter((p) => !query || p.name.toLowerCase().indexOf(query) >= 0 || (p.initials || "").indexOf(query) === 0 ||
      (p.pinyin || "").replace(/ /g, "").indexOf(query) === 0);
  } else if (query) {
    const ids = new Set(others.map((m) => m.person_id));
    const page = await api("GET", "/api/v1/people" + qs({ q: query, limit: 20 })).catch(() => ({ items: [] }));
    page.items.forEach(remember);
    people = page.items.filter((p) => ids.has(p.id));
  } else {
    people = [];
  }
  if (mine !== pickerGen) return;
  const options = people.slice(0, 8).map((p) => ({ id: p.id, name: p.name, meta: describe(p) }));
  const role = myRole(cur);
  if ((role === "owner" || role === "admin") && (!query || t("chat.everyone").indexOf(q.query) >= 0 || "all".indexOf(query) === 0)) {
    options.unshift({ id: "all", name: t("chat.everyone"), meta: t("chat.everyone_hint") });
  }
  const picker = $("#mention-picker");
  if (!options.length) { hidePicker(); return; }
  fill(picker, options.map((o, i) => {
    const li = h("li", { role: "option", id: "mention-opt-" + i, "aria-selected": i === 0 ? "true" : "false", dataset: { personId: o.id, name: o.name } },
      h("span", { class: "name" }, o.name), o.meta ? h("span", { class: "muted" }, " " + o.meta) : null);
    li.addEventListener("mousedown", (e) => { e.preventDefault(); pickMention(li); });
    return li;
  }));
  picker.hidden = false;
  S.text.setAttribute("aria-activedescendant", "mention-opt-0");
}

function hidePicker() {
  const picker = $("#mention-picker");
  if (picker) picker.hidden = true;
  if (S.text) S.text.removeAttribute("aria-activedescendant");
}

function pickMention(li) {
  const q = mentionQuery();
  const name = li.getAttribute("data-name");
  const id = li.getAttribute("data-person-id");
  if (!q) { hidePicker(); return; }
  const v = S.text.value;
  const insert = "@" + name + " ";
  S.text.value = v.slice(0, q.start) + insert + v.slice(q.end);
  const caret = q.start + insert.length;
  S.text.setSelectionRange(caret, caret);
  S.cur.mentions.set(name, id);
  hidePicker();
  S.text.focus();
}

// ---------------------------------------------------------------- attachments

function onFilesPicked() {
  const cur = S.cur;
  if (!cur) return;
  const files = Array.prototype.slice.call(S.attachInput.files || []);
  S.attachInput.value = "";
  files.forEach((file) => {
    const item = { file, name: file.name, size: file.size, id: null, error: null };
    cur.attachments.push(item);
    api("POST", "/api/v1/attachments" + qs({ name: file.name }), file)
      .then((a) => { item.id = a.id; item.size = a.size; })
      .catch((e) => { item.error = errorText(e); })
      .then(() => { if (S.cur === cur) renderPendingAttachments(); });
  });
  renderPendingAttachments();
}

function renderPendingAttachments() {
  const box = $("#pending-attachments");
  if (!box) return;
  const list = S.cur ? S.cur.attachments : [];
  fill(box, list.map((a) => h("li", { class: "chip" + (a.error ? " error" : "") },
    h("span", null, a.name + " (" + fmtSize(a.size) + ")"),
    h("span", { class: "muted" }, a.error ? " " + a.error : a.id ? "" : " " + t("chat.uploading")),
    h("button", {
      type: "button", class: "button icon", "aria-label": t("chat.remove_file", { name: a.name }),
      onclick: () => { S.cur.attachments = S.cur.attachments.filter((x) => x !== a); renderPendingAttachments(); },
    }, "×"))));
  box.hidden = !list.length;
}

// ---------------------------------------------------------------- new group, department groups

let groupPicked = new Map();

function openNewGroup() {
  let dlg = document.getElementById("new-group");
  if (!dlg) {
    dlg = ensureDialog("new-group", "chat.new_group");
    const results = h("ul", { id: "group-search-results", class: "list picker-list" });
    const chosen = h("ul", { id: "group-selected", class: "chips" });
    const search = h("input", { type: "search", id: "group-search", autocomplete: "off", placeholder: t("chat.search_people_hint") });
    const form = h("form", { id: "new-group-form", class: "stack" },
      h("div", { class: "form-row" }, h("label", { for: "group-name" }, t("chat.group_name")),
        h("input", { id: "group-name", name: "name", required: true, maxlength: "50", autocomplete: "off" })),
      h("div", { class: "form-row" }, h("label", { for: "group-search" }, t("chat.add_people")), search),
      results,
      h("p", { id: "group-selected-label", class: "muted" }),
      chosen,
      h("p", { id: "new-group-error", class: "error", role: "alert", hidden: true }),
      h("div", { class: "actions" },
        h("button", { type: "submit", id: "create-group-button", class: "button primary" }, t("chat.create_group")),
        h("button", { type: "button", class: "button", onclick: () => closeDialog(dlg) }, t("app.cancel"))));
    dlg.appendChild(form);
    let gen = 0;
    search.addEventListener("input", debounce(async () => {
      const q = search.value.trim();
      const mine = ++gen;
      if (!q) { fill(results); return; }
      try {
        const page = await api("GET", "/api/v1/people" + qs({ q, limit: 10 }));
        if (mine !== gen) return;
        page.items.forEach(remember);
        fill(results, page.items.filter((p) => p.id !== S.me.id).map((p) => h("li", { class: "person-option" },
          h("span", { class: "person-text" }, h("span", { class: "name" }, p.name), h("span", { class: "meta muted" }, describe(p))),
          h("button", { type: "button", class: "button small add-person", dataset: { personId: p.id }, onclick: () => { groupPicked.set(p.id, p); renderPicked(); } },
            t("chat.add")))));
        if (!page.items.length) results.appendChild(h("li", { class: "muted" }, t("dir.no_results")));
      } catch (e) {
        fill(results, h("li", { class: "error" }, errorText(e)));
      }
    }, 250));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const err = $("#new-group-error");
      err.hidden = true;
      if (!groupPicked.size) { err.textContent = t("chat.pick_someone"); err.hidden = false; return; }
      const button = $("#create-group-button");
      button.disabled = true;
      try {
        const c = await api("POST", "/api/v1/conversations", { kind: "group", name: $("#group-name").value.trim(), members: Array.from(groupPicked.keys()) });
        closeDialog(dlg);
        await loadList();
        openConversation(c.id, true);
      } catch (ex) {
        err.textContent = errorText(ex);
        err.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }
  groupPicked = new Map();
  $("#group-name").value = "";
  $("#group-search").value = "";
  fill($("#group-search-results"));
  $("#new-group-error").hidden = true;
  renderPicked();
  openDialog(dlg);
  $("#group-name").focus();
}

function renderPicked() {
  $("#group-selected-label").textContent = t("chat.selected_n", { n: groupPicked.size });
  fill($("#group-selected"), Array.from(groupPicked.values()).map((p) => h("li", { class: "chip" }, p.name,
    h("button", { type: "button", class: "button icon", "aria-label": t("chat.remove_person", { name: p.name }), onclick: () => { groupPicked.delete(p.id); renderPicked(); } }, "×"))));
}

async function openOrgGroups() {
  const dlg = ensureDialog("org-groups", "chat.org_group");
  let list = $("#org-group-list", dlg);
  if (!list) {
    dlg.appendChild(h("p", { class: "muted" }, t("chat.org_group_hint")));
    list = h("ul", { id: "org-group-list", class: "list" });
    dlg.appendChild(list);
    dlg.appendChild(h("p", { id: "org-group-error", class: "error", role: "alert", hidden: true }));
  }
  const seen = new Set();
  const orgs = (S.me.positions || []).filter((p) => !seen.has(p.org_id) && seen.add(p.org_id));
  fill(list, orgs.map((p) => h("li", { class: "org-option" },
    h("span", { class: "name" }, p.org_name),
    h("span", { class: "actions" },
      h("button", { type: "button", class: "button small", onclick: () => openOrgGroup(p.org_id, false, dlg) }, t("chat.org_only")),
      h("button", { type: "button", class: "button small", onclick: () => openOrgGroup(p.org_id, true, dlg) }, t("chat.org_subtree"))))));
  if (!orgs.length) list.appendChild(h("li", { class: "muted" }, t("chat.no_orgs")));
  openDialog(dlg);
}

async function openOrgGroup(orgId, subtree, dlg) {
  try {
    const c = await api("POST", "/api/v1/conversations", { kind: "org", org_id: orgId, include_subtree: subtree });
    closeDialog(dlg);
    await loadList();
    openConversation(c.id, true);
  } catch (e) {
    const err = $("#org-group-error");
    err.textContent = errorText(e);
    err.hidden = false;
  }
}

// ---------------------------------------------------------------- start

function currentFromUrl() {
  return new URLSearchParams(location.search).get("c");
}

async function init() {
  if (!$("#conversations") && !$("#conversation")) return;
  S.me = await getMe();
  ensureLayout();
  S.listEl.addEventListener("click", S.listClick);
  stream.on("message.new", onMessageNew);
  stream.on("message.recalled", onRecalled);
  stream.on("receipt", onReceipt);
  stream.on("conversation.created", () => refreshList());
  stream.on("conversation.members", onMembers);
  stream.on("ready", () => {
    S.readyCount += 1;
    if (S.readyCount > 1) { refreshList(); refreshNewest(); }
  });
  stream.start();
  window.addEventListener("popstate", () => {
    const c = currentFromUrl();
    if (c) openConversation(c, false);
    else showEmptyView();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") { markRead(); renderList(); }
  });
  const c = currentFromUrl();
  const listLoaded = loadList();
  if (c) openConversation(c, false);
  else showEmptyView();
  await listLoaded;
}

loadI18n().then(init).catch((e) => console.error(e));
