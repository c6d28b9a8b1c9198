"""Chat between two browser contexts: live delivery, unread counts and read receipts, groups,
@mentions, replies, recall and attachments."""
import re
import uuid

from playwright.sync_api import expect

from conftest import BASE


def open_chat_with(s, demo, who):
    """From the directory search to the person card to the chat, as a user would."""
    s.goto("/directory/search")
    s.page.locator("#q").press_sequentially(demo.initials(who), delay=40)
    person = s.page.locator("#results li.person", has_text=demo.name(who))
    person.locator("a.person-link").click()
    s.page.click("#chat-button")
    expect(s.page).to_have_url(re.compile(r"/chat\?c="))
    expect(s.page.locator("#message-text")).to_be_visible()
    return s.page.url.split("c=")[1]


def send(s, text):
    s.page.fill("#message-text", text)
    s.page.press("#message-text", "Enter")


def test_direct_chat_live_with_read_receipt(sessions, demo):
    a = sessions("staff")
    b = sessions("deptadmin")
    b.goto("/chat")
    b.wait_stream()
    conv = open_chat_with(a, demo, "deptadmin")
    a.wait_stream()
    text = "请于今天下午三点前报送防汛值班表 " + uuid.uuid4().hex[:6]
    send(a, text)
    mine = a.page.locator("#messages li.message.mine", has_text=text)
    expect(mine).to_be_visible()
    expect(mine.locator(".read-status")).to_have_text("1 人未读")
    expect(a.page.locator("#message-text")).to_have_value("")
    a.shot("20-chat-sent")

    # The other person's list shows the conversation live, with one unread.
    row = b.page.locator('#conversations li[data-conversation-id="%s"]' % conv)
    expect(row.locator(".unread-count")).to_have_text("1")
    expect(row).to_contain_text(demo.name("staff"))
    expect(row.locator(".conv-last")).to_contain_text(text[:8])
    b.shot("21-chat-list-unread")

    # Opening it reads it: the sender's "1 人未读" turns to read, live.
    row.locator("a.conv-link").click()
    expect(b.page.locator("#messages li.message", has_text=text)).to_be_visible()
    expect(row.locator(".unread-count")).to_be_hidden()
    status = mine.locator(".read-status")
    expect(status).to_have_attribute("data-unread", "0")
    expect(status).to_have_text("已读")
    a.shot("22-chat-read")

    # Who has read it.
    status.click()
    dialog = a.page.locator("dialog#receipts")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#receipts-read")).to_contain_text(demo.name("deptadmin"))
    a.shot("23-chat-receipts", full_page=False)
    a.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # A reply comes back live; Shift+Enter makes a new line instead of sending.
    b.page.fill("#message-text", "收到")
    b.page.press("#message-text", "Shift+Enter")
    b.page.keyboard.type("马上办理")
    b.page.press("#message-text", "Enter")
    theirs = a.page.locator("#messages li.message:not(.mine)", has_text="马上办理")
    expect(theirs).to_be_visible()
    expect(theirs.locator(".text")).to_have_text("收到\n马上办理")
    b.shot("24-chat-reply")

    # Reload: history comes back from the server, in order.
    a.page.reload()
    texts = a.page.locator("#messages li.message .text")
    expect(texts).to_have_count(2)
    expect(texts.nth(0)).to_have_text(text)


def test_group_mentions_reply_recall_attachment(sessions, demo):
    a = sessions("staff")
    b = sessions("deptadmin")
    c = sessions("countyadmin")
    c.wait_stream()  # on the home page: its unread list follows live
    b.goto("/chat")
    b.wait_stream()
    a.goto("/chat")
    a.wait_stream()

    # A new group with two members, picked by search.
    a.page.click("#new-group-button")
    dlg = a.page.locator("dialog#new-group")
    expect(dlg).to_be_visible()
    name = "防汛工作群" + uuid.uuid4().hex[:4]
    a.page.fill("#group-name", name)
    for who in ("deptadmin", "countyadmin"):
        a.page.fill("#group-search", "")
        a.page.locator("#group-search").press_sequentially(demo.initials(who), delay=30)
        dlg.locator("#group-search-results li", has_text=demo.name(who)).locator("button").click()
    expect(dlg.locator("#group-selected li")).to_have_count(2)
    a.shot("30-new-group", full_page=False)
    a.page.click("#create-group-button")
    expect(dlg).to_be_hidden()
    expect(a.page.locator("#conversation-title")).to_contain_text(name)
    expect(a.page.locator("#conversation-sub")).to_contain_text("3")

    # @mention through the picker.
    a.page.locator("#message-text").press_sequentially("请 @" + demo.initials("deptadmin"), delay=30)
    option = a.page.locator("#mention-picker li[role=option]", has_text=demo.name("deptadmin"))
    expect(option).to_be_visible()
    a.page.press("#message-text", "Enter")  # picks the highlighted option
    expect(a.page.locator("#message-text")).to_have_value("请 @%s " % demo.name("deptadmin"))
    a.page.locator("#message-text").press_sequentially("核对名单", delay=10)
    a.page.press("#message-text", "Enter")
    mine = a.page.locator("#messages li.message.mine", has_text="核对名单")
    expect(mine.locator(".read-status")).to_have_text("2 人未读")

    # The third person sees the unread group live on the home page.
    expect(c.page.locator("#unread-chats li", has_text=name)).to_be_visible()
    expect(c.page.locator("#unread-chats li", has_text=name).locator(".unread-count")).to_have_text("1")
    c.shot("31-home-unread-live")

    # The mentioned member opens it: the message is marked as mentioning them; one reader left.
    b.page.locator("#conversations li", has_text=name).locator("a").click()
    theirs = b.page.locator("#messages li.message", has_text="核对名单")
    expect(theirs).to_have_class(re.compile(r"mentions-me"))
    expect(mine.locator(".read-status")).to_have_text("1 人未读")

    # Reply to it.
    theirs.locator(".reply-button").click()
    expect(b.page.locator("#reply-preview")).to_be_visible()
    b.page.fill("#message-text", "名单已核对")
    b.page.press("#message-text", "Enter")
    reply = a.page.locator("#messages li.message", has_text="名单已核对")
    expect(reply.locator(".reply-quote")).to_contain_text("核对名单")

    # An attachment, uploaded first and then sent.
    a.page.set_input_files("#attach-input", files=[{"name": "值班表.txt", "mimeType": "text/plain",
                                                     "buffer": "值班表\n张三 20:00-08:00\n".encode()}])
    expect(a.page.locator("#pending-attachments li")).to_contain_text("值班表.txt")
    expect(a.page.locator("#pending-attachments li")).not_to_contain_text("上传中")
    a.page.fill("#message-text", "附件是本周值班表")
    a.page.press("#message-text", "Enter")
    link = b.page.locator("#messages li.message", has_text="附件是本周值班表").locator("a.attachment")
    expect(link).to_contain_text("值班表.txt")
    got = b.page.request.get(BASE + link.get_attribute("href"))
    assert got.ok and "张三" in got.text()
    a.shot("32-group-chat")

    # Recall: the message disappears for the others, live.
    a.page.fill("#message-text", "这条发错了")
    a.page.press("#message-text", "Enter")
    wrong = a.page.locator("#messages li.message.mine", has_text="这条发错了")
    expect(b.page.locator("#messages li.message", has_text="这条发错了")).to_be_visible()
    wrong.locator(".recall-button").click()
    expect(a.page.locator("#messages li.message.recalled", has_text="你撤回了一条消息")).to_be_visible()
    expect(b.page.locator("#messages li.message", has_text="这条发错了")).to_have_count(0)
    expect(b.page.locator("#messages li.message.recalled")).to_have_count(1)
    b.shot("33-group-recalled")


def test_department_group(sessions, demo):
    a = sessions("staff")
    a.goto("/chat")
    a.page.click("#open-org-group-button")
    dlg = a.page.locator("dialog#org-groups")
    org = demo.me["staff"]["positions"][0]["org_name"]
    dlg.locator("#org-group-list li", has_text=org).locator("button").first.click()
    expect(a.page.locator("#conversation-title")).to_contain_text(org)
    expect(a.page.locator("#conversation-sub")).to_contain_text("部门群")
    send(a, "部门群测试消息")
    expect(a.page.locator("#messages li.message.mine", has_text="部门群测试消息")).to_be_visible()
    a.shot("34-department-group")
