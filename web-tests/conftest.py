"""Fixtures for the end-to-end suite: the server under test (started by ./run), headless Chromium,
browser contexts signed in as demo accounts, console-error tracking and screenshots.

Environment (set by ./run):
  ZT_BASE_URL        the server, e.g. http://127.0.0.1:18123
  ZT_ADMIN_PASSWORD  the root administrator's password (optional; some set-up uses it)
  ZT_CHROMIUM        the Chromium binary (default /usr/lib/chromium/chromium)
  ZT_ARTIFACTS       where screenshots go (default web-tests/artifacts)
"""
import json
import os
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import sync_playwright, expect

BASE = os.environ.get("ZT_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
PASSWORD = "zhengtong"
CHROMIUM = os.environ.get("ZT_CHROMIUM", "/usr/lib/chromium/chromium")
ARTIFACTS = os.environ.get("ZT_ARTIFACTS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts"))
PHONE = {"width": 360, "height": 740}

expect.set_options(timeout=10_000)


# ---------------------------------------------------------------- the JSON API, for set-up only

class Api:
    """A bearer-token client of the JSON API, for looking up demo data and preparing fixtures."""

    def __init__(self, username, password=PASSWORD):
        self.token = None
        self.token = self.call("POST", "/api/v1/auth/login", {"username": username, "password": password})["token"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(BASE + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            raise AssertionError("%s %s → %s %s" % (method, path, e.code, e.read().decode()[:300]))


class Demo:
    """Who is who in the county demo, looked up once (names are generated, so never hard-coded)."""

    def __init__(self):
        self.api = {}
        self.me = {}
        for u in ("staff", "leader", "countyadmin", "deptadmin"):
            self.api[u] = Api(u)
            self.me[u] = self.api[u].call("GET", "/api/v1/me")

    def name(self, u):
        return self.me[u]["name"]

    def id(self, u):
        return self.me[u]["id"]

    def initials(self, u):
        return self.me[u]["initials"]


@pytest.fixture(scope="session")
def demo():
    return Demo()


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-dev-shm-usage"])
    yield b
    b.close()


class Session:
    """One browser context (one person on one device) with its console errors."""

    def __init__(self, name, context):
        self.name = name
        self.context = context
        self.errors = []
        self.allowed = []
        context.on("page", self._watch)
        self.page = context.new_page()

    def _watch(self, page):
        def on_console(msg):
            if msg.type == "error":
                self.errors.append("console: %s (%s)" % (msg.text, page.url))

        def on_pageerror(err):
            self.errors.append("pageerror: %s (%s)" % (err, page.url))

        page.on("console", on_console)
        page.on("pageerror", on_pageerror)

    def allow(self, pattern):
        """An expected console error (a 4xx the test provokes on purpose)."""
        self.allowed.append(re.compile(pattern))

    def unexpected_errors(self):
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]

    def goto(self, path, **kw):
        return self.page.goto(BASE + path, **kw)

    def sign_in(self, username, password=PASSWORD, next_path=None):
        self.goto("/login" + ("?next=" + next_path if next_path else ""))
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#login-button")
        self.page.wait_for_load_state("load")
        assert "/login" not in self.page.url, "sign-in as %s failed: %s" % (username, self.page.url)
        return self

    def shot(self, name, full_page=True):
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.page.screenshot(path=os.path.join(ARTIFACTS, name + ".png"), full_page=full_page)

    def wait_stream(self):
        """Waits until this page's live stream has said ready (<html data-stream="live">)."""
        self.page.wait_for_selector("html[data-stream=live]", state="attached")


@pytest.fixture
def sessions(browser, request):
    """A factory: sessions("staff") → a signed-in Session. Every console error fails the test."""
    made = []

    def make(username=None, viewport=None, phone=False, js=True, locale="zh-CN"):
        opts = {"java_script_enabled": js, "locale": locale}
        if phone:
            opts.update(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        elif viewport:
            opts["viewport"] = viewport
        else:
            opts["viewport"] = {"width": 1280, "height": 860}
        context = browser.new_context(**opts)
        s = Session(username or "anonymous", context)
        made.append(s)
        if username:
            s.sign_in(username)
        return s

    yield make
    problems = []
    for s in made:
        problems += ["[%s] %s" % (s.name, e) for e in s.unexpected_errors()]
        s.context.close()
    if problems:
        if getattr(request.node, "failed_already", False):
            print("console errors (the test failed already):\n" + "\n".join(problems))
        else:
            pytest.fail("console errors:\n" + "\n".join(problems), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        item.failed_already = True
