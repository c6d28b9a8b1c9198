"""Scoped administration: an administrator edits an org inside their scope, and anything outside it
answers 404 as if it did not exist."""
import os
import uuid

import pytest
from playwright.sync_api import expect

from conftest import Api


@pytest.fixture(scope="module")
def outside_org():
    """A unit in 杭州市 but outside 桐庐县, made by the root administrator (the county demo has none)."""
    password = os.environ.get("ZT_ADMIN_PASSWORD")
    if not password:
        pytest.skip("ZT_ADMIN_PASSWORD is not set (web-tests/run sets it)")
    root = Api("admin", password)
    return root.call("POST", "/api/v1/orgs", {"name": "杭州市测试局" + uuid.uuid4().hex[:4], "kind": "unit",
                                              "region_code": "330100000000"})


def test_county_admin_edits_inside_scope_and_not_outside(sessions, demo, outside_org):
    s = sessions("countyadmin")
    expect(s.page.locator("#nav-admin")).to_be_visible()
    s.page.click("#nav-admin")
    scope = s.page.locator("#admin-scope")
    expect(scope.locator("a")).to_have_count(1)
    expect(scope).to_contain_text("桐庐县")
    expect(scope).not_to_contain_text(outside_org["name"])
    s.shot("50-admin-scope")

    # An org inside the county: the staff member's office.
    org = demo.me["staff"]["positions"][0]
    s.goto("/directory/orgs/" + org["org_id"])
    s.page.click("#org-admin-link")
    expect(s.page.locator("#org-form")).to_be_visible()
    expect(s.page.locator("#members")).to_contain_text(demo.name("staff"))
    s.page.fill("#org-lines", "市场监管, 政务服务")
    s.page.click("#org-save")
    expect(s.page.locator("#saved")).to_be_visible()
    expect(s.page.locator("#org-lines")).to_have_value("市场监管, 政务服务")
    s.shot("51-admin-org-saved")

    # Outside the county: 404, with the normal page layout.
    s.allow(r"status of 404")
    r = s.goto("/admin/orgs/" + outside_org["id"])
    assert r.status == 404
    expect(s.page.locator("#error-page")).to_be_visible()
    expect(s.page.locator(".site-header")).to_be_visible()
    s.shot("52-admin-out-of-scope-404")
    r = s.goto("/admin/orgs/new?parent=" + outside_org["id"])
    assert r.status == 404


def test_department_admin_cannot_open_the_county_government(sessions, demo):
    s = sessions("deptadmin")
    s.goto("/admin")
    expect(s.page.locator("#admin-scope a")).to_have_count(1)
    s.allow(r"status of 404")
    government = demo.me["leader"]["positions"][0]["org_id"]
    r = s.goto("/admin/orgs/" + government)
    assert r.status == 404
    expect(s.page.locator("#error-page")).to_be_visible()
    # Someone without any grant has no admin entry and no admin pages.
    t = sessions("staff")
    expect(t.page.locator("#nav-admin")).to_have_count(0)
    t.allow(r"status of 40[34]")
    r = t.goto("/admin")
    assert r.status in (403, 404)
