"""Signing in, the home page, the language switch, lockout, the offline banner and the app shell."""
import re

from playwright.sync_api import expect

from conftest import BASE


def test_sign_in_lands_on_the_workbench(sessions, demo):
    s = sessions()
    s.goto("/")
    # Not signed in: the server sends the browser to the sign-in page.
    expect(s.page).to_have_url(re.compile(r"/login"))
    expect(s.page.locator("#login-form")).to_be_visible()
    s.shot("01-login")
    s.page.fill("#username", "staff")
    s.page.fill("#password", "zhengtong")
    s.page.click("#login-button")
    expect(s.page).to_have_url(BASE + "/")
    expect(s.page.locator(".site-header")).to_contain_text(demo.name("staff"))
    expect(s.page.locator("#pending-dings")).to_be_attached()
    expect(s.page.locator("#unread-chats")).to_be_attached()
    # home.js has filled both lists (empty states at first).
    expect(s.page.locator("#pending-dings li")).not_to_have_count(0)
    expect(s.page.locator("#unread-chats li")).not_to_have_count(0)
    s.wait_stream()
    expect(s.page.locator(".offline-banner")).to_be_hidden()
    s.shot("02-home")


def test_sign_out_ends_the_session(sessions):
    s = sessions("staff")
    s.wait_stream()
    s.page.wait_for_load_state("networkidle")
    s.page.click("#logout-button")
    expect(s.page).to_have_url(re.compile(r"/login"))
    s.goto("/chat")
    expect(s.page).to_have_url(re.compile(r"/login\?next="))


def test_lockout_after_five_wrong_passwords(sessions):
    s = sessions()
    # A failed sign-in answers 401, and the lockout 429, as the page's status: Chromium logs both.
    s.allow(r"status of 40[13]|status of 429")
    for i in range(5):
        s.goto("/login")
        s.page.fill("#username", "gridworker")
        s.page.fill("#password", "wrong-password-%d" % i)
        s.page.click("#login-button")
        expect(s.page.locator("#login-error")).to_be_visible()
        if i < 4:
            expect(s.page.locator("#login-error")).to_contain_text("用户名或密码不正确")
    expect(s.page.locator("#login-error")).to_contain_text("锁定")
    expect(s.page.locator("#login-error")).to_contain_text(re.compile(r"\d+ 分钟"))
    # Even the right password is refused while locked.
    s.page.fill("#username", "gridworker")
    s.page.fill("#password", "zhengtong")
    s.page.click("#login-button")
    expect(s.page.locator("#login-error")).to_contain_text("锁定")
    s.shot("03-login-locked")


def test_language_switch_to_english(sessions):
    s = sessions("staff")
    s.page.click("#lang-switch")
    expect(s.page.locator("html")).to_have_attribute("lang", "en")
    expect(s.page.locator("nav.nav")).to_contain_text("Directory")
    expect(s.page.locator("#pending-dings li").first).to_contain_text(re.compile(r"DING"))
    # The JavaScript modules speak English too.
    s.goto("/chat")
    expect(s.page.locator("#new-group-button")).to_have_text("New group")
    expect(s.page.locator("#message-text")).to_be_hidden()
    expect(s.page.locator("#open-org-group-button")).to_have_text("Department groups")
    s.shot("04-chat-english")
    # And back.
    s.page.click("#lang-switch")
    expect(s.page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(s.page.locator("#new-group-button")).to_have_text("发起群聊")


def test_offline_banner_and_service_worker(sessions):
    s = sessions("staff")
    s.wait_stream()
    # The service worker installs and takes control after a reload.
    s.page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.ready.then(() => true)")
    s.page.reload()
    s.page.wait_for_function("() => !!navigator.serviceWorker.controller")
    banner = s.page.locator(".offline-banner")
    expect(banner).to_be_hidden()
    s.context.set_offline(True)
    expect(banner).to_be_visible()
    s.shot("05-offline-banner")
    # Pages fall back to the cached offline page.
    s.allow(r"ERR_INTERNET_DISCONNECTED|WebSocket|net::ERR")
    s.goto("/ding")
    expect(s.page.locator("body[data-page=offline]")).to_be_visible()
    expect(s.page.locator("h1")).to_have_text("网络已断开")
    s.shot("06-offline-page")
    s.context.set_offline(False)
    s.goto("/")
    expect(s.page.locator("#pending-dings")).to_be_attached()
    s.wait_stream()
    expect(banner).to_be_hidden()


def test_manifest_and_icons(sessions):
    s = sessions()
    r = s.page.request.get(BASE + "/manifest.webmanifest")
    assert r.ok
    m = r.json()
    assert m["name"] == "政通" and m["start_url"] == "/" and m["display"] == "standalone"
    for icon in m["icons"]:
        got = s.page.request.get(BASE + icon["src"])
        assert got.ok, icon["src"]
        if icon["type"] == "image/png":
            body = got.body()
            assert body[:8] == b"\x89PNG\r\n\x1a\n"
            w, h = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
            assert "%dx%d" % (w, h) == icon["sizes"]
    sw = s.page.request.get(BASE + "/sw.js")
    assert sw.ok and "zt-shell-" in sw.text()
