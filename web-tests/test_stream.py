"""The live stream's promises in the browser: after a dropped connection the page resumes from its
cursor (?since=), so what happened meanwhile arrives exactly once; the offline banner shows while
disconnected; close code 4001 sends the browser to sign in; history pages with before_seq."""
import re
import uuid

from playwright.sync_api import expect


class StreamProxy:
    """Routes the page's WebSocket through Playwright so a test can drop it and refuse reconnects."""

    def __init__(self, page):
        self.allow = True
        self.routes = []
        self.urls = []
        self.closes = []
        page.route_web_socket(re.compile(r"/api/v1/stream"), self._handle)

    def _handle(self, ws):
        self.urls.append(ws.url)
        if not self.allow:
            ws.close(code=1011, reason="test: refused")
            return
        server = ws.connect_to_server()
        ws.on_close(lambda code, reason: self.closes.append(("page", code, reason)))
        server.on_close(lambda code, reason: self.closes.append(("server", code, reason)))
        self.routes.append(ws)

    def drop(self, code=1011):
        for ws in self.routes:
            ws.close(code=code, reason="test: dropped")
        self.routes = []


def test_resume_after_a_dropped_connection_loses_and_doubles_nothing(sessions, demo):
    a = sessions("staff")
    b = sessions("countyadmin")
    proxy = StreamProxy(b.page)
    # A failed reconnect is logged by the browser: expected here.
    b.allow(r"WebSocket connection to .* failed|WebSocket is closed")
    conv = demo.api["staff"].call("POST", "/api/v1/conversations", {"kind": "direct", "members": [demo.id("countyadmin")]})["id"]
    b.goto("/chat?c=" + conv)
    b.wait_stream()
    expect(b.page.locator("#message-text")).to_be_visible()
    assert proxy.routes, (proxy.urls, proxy.closes)

    # The connection drops and reconnects are refused for a while: the banner says so.
    proxy.allow = False
    proxy.drop()
    expect(b.page.locator(".offline-banner")).to_be_visible()
    b.shot("70-stream-offline", full_page=False)

    # Meanwhile a message is sent.
    a.goto("/chat?c=" + conv)
    text = "断线期间发送的消息 " + uuid.uuid4().hex[:6]
    a.page.fill("#message-text", text)
    a.page.press("#message-text", "Enter")
    expect(a.page.locator("#messages li.message.mine", has_text=text)).to_be_visible()

    # The connection comes back: resumed with the cursor, the message arrives once, and is read.
    proxy.allow = True
    expect(b.page.locator("#messages li.message", has_text=text)).to_have_count(1, timeout=20_000)
    expect(b.page.locator(".offline-banner")).to_be_hidden()
    assert any("since=" in u for u in proxy.urls[1:]), proxy.urls
    expect(a.page.locator("#messages li.message.mine", has_text=text).locator(".read-status")).to_have_attribute("data-unread", "0")

    # Code 4000 (cut off for falling behind): reconnect at once, with the cursor.
    before = len(proxy.urls)
    proxy.drop(code=4000)
    b.page.wait_for_function("n => true", arg=None)
    text2 = "第二条消息 " + uuid.uuid4().hex[:6]
    a.page.fill("#message-text", text2)
    a.page.press("#message-text", "Enter")
    expect(b.page.locator("#messages li.message", has_text=text2)).to_have_count(1)
    assert len(proxy.urls) > before and "since=" in proxy.urls[-1]
    expect(b.page.locator("#messages li.message", has_text=text)).to_have_count(1)


def test_session_ended_closes_the_stream_and_goes_to_sign_in(sessions, demo):
    """The server re-checks a stream's session (every 2 s under web-tests/run) and closes it with 4001."""
    s = sessions("staff")
    s.goto("/ding")
    s.wait_stream()
    # End every other session of this person (the browser's among them), as "sign out everywhere" would.
    api = demo.api["staff"]
    for session in api.call("GET", "/api/v1/me/sessions")["items"]:
        if not session.get("current"):
            api.call("DELETE", "/api/v1/me/sessions/" + session["id"])
    expect(s.page).to_have_url(re.compile(r"/login\?next=%2Fding"), timeout=20_000)
    expect(s.page.locator("#login-form")).to_be_visible()


def test_history_pages_with_before_seq(sessions, demo):
    api = demo.api["deptadmin"]
    conv = api.call("POST", "/api/v1/conversations", {"kind": "direct", "members": [demo.id("leader")]})["id"]
    tag = uuid.uuid4().hex[:4]
    for i in range(1, 36):
        api.call("POST", "/api/v1/conversations/%s/messages" % conv, {"text": "第%d条 %s" % (i, tag), "client_msg_id": "hist-%s-%d" % (tag, i)})
    s = sessions("deptadmin")
    s.goto("/chat?c=" + conv)
    msgs = s.page.locator("#messages li.message")
    expect(msgs).to_have_count(30)
    expect(msgs.first).to_contain_text("第6条")
    expect(msgs.last).to_contain_text("第35条")
    s.page.click("#load-older")
    expect(msgs).to_have_count(35)
    expect(msgs.first).to_contain_text("第1条")
    expect(s.page.locator("#load-older")).to_be_hidden()
    seqs = [int(x) for x in msgs.evaluate_all("els => els.map(e => e.dataset.seq)")]
    assert seqs == sorted(seqs) and len(set(seqs)) == 35
