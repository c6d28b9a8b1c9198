"""DING: compose with exclusions, the recipient confirms (inbox and home page), the sender's board
follows live, and reminding (with the 5-minute limit shown clearly)."""
import re
import uuid

from playwright.sync_api import expect


def add_recipient(s, demo, who):
    s.page.fill("#ding-recipient-search", "")
    s.page.locator("#ding-recipient-search").press_sequentially(demo.initials(who), delay=30)
    option = s.page.locator("#ding-recipient-results li[data-kind=person]", has_text=demo.name(who))
    option.locator("button").click()
    expect(s.page.locator("#ding-recipient-chips li[data-kind=person]", has_text=demo.name(who))).to_be_visible()


def test_ding_confirmed_shows_on_the_senders_board(sessions, demo):
    a = sessions("staff")
    b = sessions("deptadmin")
    b.goto("/ding")
    b.wait_stream()

    # From the person card.
    a.goto("/directory/people/" + demo.id("deptadmin"))
    a.page.click("#ding-button")
    expect(a.page).to_have_url(re.compile(r"/ding/new\?to="))
    expect(a.page.locator("#ding-recipient-chips li[data-kind=person]")).to_contain_text(demo.name("deptadmin"))
    text = "台风今晚登陆，请立即到岗并确认 " + uuid.uuid4().hex[:6]
    a.page.fill("#ding-text", text)
    # The county head is in senior mode: an ordinary member of staff cannot DING them.
    add_recipient(a, demo, "leader")
    a.page.check("#channel-sms")
    expect(a.page.locator("#sms-after")).to_be_enabled()
    expect(a.page.locator("#voice-after")).to_be_disabled()
    a.shot("40-ding-compose")
    a.page.click("#ding-send")
    result = a.page.locator("#ding-result")
    expect(result).to_contain_text("已发送给 1 人")
    excluded = result.locator("#ding-excluded li")
    expect(excluded).to_have_count(1)
    expect(excluded).to_contain_text(demo.name("leader"))
    expect(excluded).to_contain_text("高管模式")
    a.shot("41-ding-sent-excluded")
    a.page.click("#ding-board-link")
    expect(a.page).to_have_url(re.compile(r"/ding/[0-9a-z]+$"))
    expect(a.page.locator("#stat-unconfirmed")).to_have_text("1")
    expect(a.page.locator("#stat-confirmed")).to_have_text("0")
    expect(a.page.locator("#list-unconfirmed")).to_contain_text(demo.name("deptadmin"))
    a.wait_stream()

    # It arrives live in the recipient's inbox; opening it marks it read, live on the board.
    item = b.page.locator("#ding-inbox li.ding", has_text=text)
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-status", "unread")
    expect(item.locator(".sender")).to_have_text(demo.name("staff"))
    b.shot("42-ding-inbox")
    item.locator(".ding-text").click()
    expect(item).to_have_attribute("data-status", "read")
    expect(a.page.locator("#stat-read")).to_have_text("1")
    expect(a.page.locator("#stat-delivered")).to_have_text("1")
    item.locator(".confirm-button").click()
    expect(item).to_have_attribute("data-status", "confirmed")
    b.shot("43-ding-confirmed")

    # The sender's board, live.
    expect(a.page.locator("#stat-confirmed")).to_have_text("1")
    expect(a.page.locator("#stat-unconfirmed")).to_have_text("0")
    expect(a.page.locator("#list-confirmed")).to_contain_text(demo.name("deptadmin"))
    expect(a.page.locator("#confirmation-rate")).to_have_text("100%")
    expect(a.page.locator("#arrival-rate")).to_have_text("100%")
    expect(a.page.locator("#mean-confirm")).to_have_text(re.compile(r"\d+ (秒|分)"))
    expect(a.page.locator("#remind-button")).to_be_disabled()
    a.shot("44-ding-board-confirmed")

    # The sent box links to the board.
    a.goto("/ding")
    expect(a.page.locator("#ding-sent li", has_text=text).locator("a")).to_be_visible()


def test_remind_and_confirm_from_the_home_page(sessions, demo):
    a = sessions("leader")
    b = sessions("staff")          # on the home page
    c = sessions("countyadmin")
    b.wait_stream()

    a.goto("/ding/new")
    text = "请各单位于17时前报送人员到岗情况 " + uuid.uuid4().hex[:6]
    a.page.fill("#ding-text", text)
    add_recipient(a, demo, "staff")
    add_recipient(a, demo, "countyadmin")
    a.page.click("#ding-send")
    expect(a.page.locator("#ding-result")).to_contain_text("已发送给 2 人")
    a.page.click("#ding-board-link")
    expect(a.page.locator("#stat-unconfirmed")).to_have_text("2")
    a.wait_stream()

    # Live on the recipient's home page.
    pending = b.page.locator("#pending-dings li.ding", has_text=text)
    expect(pending).to_be_visible()
    expect(pending.locator(".confirm-button")).to_be_visible()
    b.shot("45-home-pending-ding")

    # Remind: both unconfirmed get it again; the recipient's item says so.
    a.page.click("#remind-button")
    expect(a.page.locator("#remind-status")).to_have_text("已再次提醒 2 人")
    expect(a.page.locator("#remind-button")).to_be_disabled()
    expect(b.page.locator("#pending-dings li.ding.reminded", has_text=text)).to_be_visible()

    # Confirm in place on the home page.
    b.page.locator("#pending-dings li.ding", has_text=text).locator(".confirm-button").click()
    expect(b.page.locator("#pending-dings li.ding", has_text=text)).to_have_count(0)
    expect(a.page.locator("#stat-confirmed")).to_have_text("1")
    expect(a.page.locator("#confirmation-rate")).to_have_text("50%")
    expect(a.page.locator("#list-unconfirmed")).to_contain_text(demo.name("countyadmin"))
    a.shot("46-ding-board-half")

    # A second remind within 5 minutes is refused, and the page says why and for how long.
    a.allow(r"status of 429")
    a.page.reload()
    expect(a.page.locator("#remind-button")).to_be_enabled()
    a.page.click("#remind-button")
    status = a.page.locator("#remind-status")
    expect(status).to_have_class(re.compile(r"error"))
    expect(status).to_contain_text("每5分钟最多提醒一次")
    expect(status).to_contain_text(re.compile(r"\d+ 分 \d+ 秒"))
    expect(a.page.locator("#remind-button")).to_be_disabled()
    a.shot("47-ding-remind-too-soon")

    # The recipient who has not confirmed opens the DING itself: it is marked read, and can be confirmed there.
    ding_id = a.page.url.rsplit("/", 1)[1]
    c.goto("/ding/" + ding_id)
    expect(c.page.locator("#ding-board li.ding")).to_contain_text(text)
    expect(a.page.locator("#stat-read")).to_have_text("2")
    c.page.locator("#ding-board .confirm-button").click()
    expect(c.page.locator("#ding-board li.ding")).to_have_attribute("data-status", "confirmed")
    expect(a.page.locator("#stat-confirmed")).to_have_text("2")
    expect(a.page.locator("#remind-button")).to_be_disabled()
