"""The deploy/ recipe, tested: two replicas behind Debian's nginx on localhost. A browser's requests (page, websocket,
media such as the QR image) all reach one replica, different browsers spread over both, and a session keeps its
state across reruns and across a dropped and restored network connection."""
from __future__ import annotations

import os
import socket
import urllib.request
from http.cookiejar import CookieJar

import pytest
from playwright.sync_api import expect

from deploy.serve_replicas import NGINX, replicas_behind_nginx
from scripts.serve import CHROMIUM, DEFAULT_PORTS, wait_for_app_idle, wait_for_charts

expect.set_options(timeout=30_000)   # a shared 2-core machine: reruns can take seconds
pytestmark = pytest.mark.e2e


def _free_ports(n: int, ports: str = DEFAULT_PORTS) -> list[int]:
    a, b = (int(p) for p in ports.split("-"))
    found = []
    for port in range(b, a - 1, -1):          # from the top of the range: the e2e server takes the bottom
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            found.append(port)
        if len(found) == n:
            return found
    raise RuntimeError(f"need {n} free ports in {ports}")


@pytest.fixture(scope="module")
def cluster():
    for path, package in ((NGINX, "nginx"), (CHROMIUM, "chromium")):
        if not os.path.exists(path):
            msg = f"{path} missing (apt-get install -y {package})"
            pytest.fail(msg) if os.environ.get("CI") else pytest.skip(msg)
    listen, *replicas = _free_ports(3)
    with replicas_behind_nginx(2, listen, replicas) as (base, _):
        yield base, replicas


def _replica_of(opener, url: str) -> str:
    with opener.open(url, timeout=30) as r:
        return r.headers["X-Gru-Lab-Replica"]


def test_one_browser_sticks_to_one_replica_and_browsers_spread_over_both(cluster):
    base, replicas = cluster
    jar_opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    first = _replica_of(jar_opener, base + "/")
    assert all(_replica_of(jar_opener, base + path) == first for path in ["/lesson", "/_stcore/health", "/"] * 3)
    seen = {_replica_of(urllib.request.build_opener(), base + "/") for _ in range(24)}   # 24 new browsers
    assert seen == {f"127.0.0.1:{p}" for p in replicas}


def test_a_session_keeps_its_state_across_reruns_and_a_reconnect(cluster, browser):
    base, _ = cluster
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(base + "/lesson?lesson_step=3")
        wait_for_app_idle(page)
        wait_for_charts(page)
        page.get_by_text("No, it vanishes too").click()
        page.get_by_role("button", name="Reveal the answer").click()
        expect(page.get_by_text("The answer:")).to_be_visible()
        for _ in range(2):                                   # reruns: Next, Back
            page.get_by_role("button", name="Next").click()
            expect(page.get_by_text("Step 4 of")).to_be_visible()
            page.get_by_role("button", name="Back").click()
            expect(page.get_by_text("Step 3 of")).to_be_visible()
            expect(page.get_by_text("The answer:")).to_be_visible()      # session state kept
        ctx.set_offline(True)                                # the network drops: the websocket goes ...
        page.wait_for_timeout(3000)
        ctx.set_offline(False)                               # ... and comes back to the same replica
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Step 4 of")).to_be_visible()
        page.get_by_role("button", name="Back").click()
        expect(page.get_by_text("The answer:")).to_be_visible()
        page.get_by_role("button", name="Share with the class").click()   # media from the session's replica
        img = page.get_by_role("dialog").locator("img").first
        expect(img).to_be_visible()
        page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        ctx.close()
