// What the DING pages and the home page share: an inbox item with its big confirm button, and the
// read and confirm calls.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { h, timeEl, announce, errorText } from "./dom.js";
import { fillName } from "./people.js";

export function statusOf(d) {
  if (d.confirmed_at) return "confirmed";
  if (d.read_at) return "read";
  return "unread";
}

/** li.ding[data-ding-id] for a DING in my inbox. */
export function inboxItem(d, opts) {
  const status = statusOf(d);
  const li = h("li", { class: "ding card " + status + (opts && opts.remind ? " reminded" : ""), dataset: { dingId: d.id, status } });
  const sender = h("span", { class: "sender" }, "…");
  fillName(sender, d.sender_id);
  li.appendChild(h("div", { class: "ding-head" },
    h("span", { class: "ding-mark", "aria-hidden": "true" }, "DING"), " ", sender, " ", timeEl(d.send_at || d.created_at),
    opts && opts.remind ? h("span", { class: "badge warn" }, t("ding.reminded")) : null));
  li.appendChild(h("p", { class: "ding-text" }, d.text));
  const foot = h("div", { class: "ding-foot" });
  if (status === "confirmed") {
    foot.appendChild(h("span", { class: "badge ok status" }, t("ding.confirmed_at", { time: timeEl(d.confirmed_at).textContent })));
  } else {
    foot.appendChild(h("span", { class: "badge status" + (status === "unread" ? " warn" : "") }, t(status === "read" ? "ding.status_read" : "ding.status_unread")));
    foot.appendChild(h("button", { type: "button", class: "button primary big confirm-button", dataset: { dingId: d.id } }, t("ding.confirm")));
  }
  li.appendChild(foot);
  return li;
}

export function markDingRead(id) {
  return api("POST", "/api/v1/dings/" + encodeURIComponent(id) + "/read");
}

/** Confirms from a button inside li[data-ding-id]; resolves to the updated DING, or null on failure. */
export async function confirmFrom(button) {
  const li = button.closest("[data-ding-id]");
  const id = button.getAttribute("data-ding-id") || (li && li.getAttribute("data-ding-id"));
  if (!id) return null;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const d = await api("POST", "/api/v1/dings/" + encodeURIComponent(id) + "/confirm");
    announce(t("ding.confirmed_ok"));
    return d;
  } catch (e) {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    announce(errorText(e), "error");
    return null;
  }
}

export function isRemind(data) {
  return data && (data.remind === true || data.remind === "true");
}
