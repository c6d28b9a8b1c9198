"""The core path on a 360×740 phone: sign in, find a colleague, chat."""
import re
import uuid

from playwright.sync_api import expect


def no_sideways_scroll(s):
    width = s.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, "the page is %d px wide on a 360 px screen (%s)" % (width, s.page.url)


def test_core_path_on_a_phone(sessions, demo):
    s = sessions(phone=True)
    s.goto("/login")
    no_sideways_scroll(s)
    s.shot("60-phone-login")
    s.page.fill("#username", "staff")
    s.page.fill("#password", "zhengtong")
    s.page.tap("#login-button")
    expect(s.page.locator("#pending-dings")).to_be_attached()
    no_sideways_scroll(s)
    s.shot("61-phone-home")

    # The quick search on the home page leads to the directory search.
    s.page.fill("#quick-q", demo.initials("deptadmin"))
    s.page.press("#quick-q", "Enter")
    person = s.page.locator("#results li.person", has_text=demo.name("deptadmin"))
    expect(person).to_be_visible()
    no_sideways_scroll(s)
    s.shot("62-phone-search")
    # Search as you type works on the phone too.
    s.page.fill("#q", "")
    s.page.locator("#q").press_sequentially(demo.initials("countyadmin"), delay=40)
    expect(s.page.locator("#results li.person", has_text=demo.name("countyadmin"))).to_be_visible()
    s.page.locator("#results li.person", has_text=demo.name("countyadmin")).locator("a.person-link").tap()
    expect(s.page.locator("#person-card")).to_be_visible()
    no_sideways_scroll(s)
    s.shot("63-phone-person")
    s.page.tap("#chat-button")
    expect(s.page).to_have_url(re.compile(r"/chat\?c="))
    # One pane at a time: the conversation, not the list.
    expect(s.page.locator("#conversations")).to_be_hidden()
    expect(s.page.locator("#message-text")).to_be_visible()
    text = "手机端测试消息 " + uuid.uuid4().hex[:6]
    s.page.fill("#message-text", text)
    s.page.tap("#send-button")
    mine = s.page.locator("#messages li.message.mine", has_text=text)
    expect(mine.locator(".read-status")).to_have_text("1 人未读")
    no_sideways_scroll(s)
    s.shot("64-phone-chat", full_page=False)
    # Back to the list.
    s.page.tap(".back-link")
    expect(s.page.locator("#conversations")).to_be_visible()
    expect(s.page.locator("#conversations li", has_text=demo.name("countyadmin"))).to_be_visible()
    no_sideways_scroll(s)
    s.shot("65-phone-chat-list")
    # DING pages on the phone.
    s.goto("/ding/new?to=" + demo.id("countyadmin"))
    expect(s.page.locator("#ding-send")).to_be_visible()
    no_sideways_scroll(s)
    s.shot("66-phone-ding-compose")
