"""End-to-end fixtures: a real `streamlit run app.py` server (session-scoped, free port) and Playwright driving
Debian's /usr/bin/chromium (pytest-playwright's `page` fixture: a fresh browser context per test).

    @pytest.mark.e2e
    def test_x(open_page):
        page = open_page("vanishing", vg_len=200)        # goes to the page, waits for the run and the charts
        data = chart_data(page, 0)                       # traces of chart 0 from the DOM
        move_slider(page, "Sequence length", 3)          # 3 x ArrowRight

If /usr/bin/chromium is missing the e2e tests are skipped with the reason, unless env CI is set (then they fail).
Ports: GRU_LAB_PORTS (default 8601-8619; set your own range when running in parallel with others).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts.serve import (CHROMIUM, LAUNCH_ARGS, chart_data, location, move_slider, page_url,  # noqa: F401
                           running_server, slider_input, wait_for_app_idle, wait_for_charts)

ROOT = Path(__file__).resolve().parents[2]


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        msg = f"{CHROMIUM} is missing (apt-get install -y chromium); end-to-end browser tests need it"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: launch Debian's Chromium (no browser download is possible here)."""
    _require_chromium()
    return {**browser_type_launch_args, **LAUNCH_ARGS}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> str:
    """Base URL of a real server running app.py for the whole test session (log in the session tmp dir)."""
    _require_chromium()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with running_server("app.py", cwd=ROOT, log=log) as base:
        yield base


@pytest.fixture
def open_page(page, app_server):
    """open_page(stem, **params) -> the Playwright page, after the script run finished and every chart drew."""
    page.set_default_timeout(60_000)

    def _open(stem: str, **params):
        page.goto(page_url(app_server, stem, **params))
        wait_for_app_idle(page)
        wait_for_charts(page)
        return page

    return _open
