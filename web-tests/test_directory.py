"""The directory: search as you type (pinyin initials), the person card, and the same pages without JavaScript."""
import re

from playwright.sync_api import expect

from conftest import BASE


def test_search_by_pinyin_initials_as_you_type(sessions, demo):
    s = sessions("staff")
    s.goto("/directory/search")
    s.page.locator("#q").press_sequentially(demo.initials("deptadmin"), delay=60)
    # No submit: directory.js searches as you type and re-renders #results.
    person = s.page.locator("#results li.person", has_text=demo.name("deptadmin"))
    expect(person).to_be_visible()
    expect(s.page).to_have_url(re.compile(r"/directory/search\?q=" + demo.initials("deptadmin")))
    expect(person.locator("a.person-link")).to_have_attribute("href", "/directory/people/" + demo.id("deptadmin"))
    s.shot("10-directory-search")
    person.locator("a.person-link").click()
    expect(s.page.locator("#person-card")).to_contain_text(demo.name("deptadmin"))
    expect(s.page.locator("#chat-button")).to_be_visible()
    expect(s.page.locator("#ding-button")).to_be_visible()
    s.shot("11-person-card")
    # A query that matches nobody says so.
    s.goto("/directory/search")
    s.page.fill("#q", "zzzzqqqq")
    expect(s.page.locator("#results #no-results")).to_be_visible()


def test_directory_and_admin_without_javascript(sessions, demo):
    s = sessions(js=False)
    s.sign_in("countyadmin")
    s.goto("/directory")
    expect(s.page.locator("#tree a").first).to_be_visible()
    s.page.locator("#tree a").first.click()
    expect(s.page.locator("#crumbs, .crumbs").first).to_be_attached()
    s.shot("12-nojs-region")
    # The search form submits to the server.
    s.goto("/directory/search")
    s.page.fill("#q", demo.initials("staff"))
    s.page.press("#q", "Enter")
    expect(s.page).to_have_url(re.compile(r"q=" + demo.initials("staff")))
    person = s.page.locator("#results li.person", has_text=demo.name("staff"))
    expect(person).to_be_visible()
    s.shot("13-nojs-search")
    person.locator("a.person-link").click()
    expect(s.page.locator("#person-card")).to_contain_text(demo.name("staff"))
    # An org page lists its members.
    s.page.locator("#positions a").first.click()
    expect(s.page.locator("#members li.person").first).to_be_visible()
    s.shot("14-nojs-org")
    # Administration works with plain forms.
    s.goto("/admin")
    expect(s.page.locator("#admin-scope a").first).to_be_visible()
    s.shot("15-nojs-admin")
    org_id = demo.me["staff"]["positions"][0]["org_id"]
    s.goto("/admin/orgs/" + org_id)
    s.page.fill("#org-order", "7")
    s.page.click("#org-save")
    expect(s.page.locator("#saved")).to_be_visible()
    expect(s.page.locator("#org-order")).to_have_value("7")
    s.shot("16-nojs-admin-org")
