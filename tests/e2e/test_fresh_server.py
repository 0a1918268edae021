"""A shared link that is the very first request to a freshly started server still runs through app.py."""
import re

import pytest
from playwright.sync_api import expect

from scripts.serve import page_url, running_server, wait_for_app_idle, wait_for_charts

from .conftest import ROOT, _require_chromium

pytestmark = pytest.mark.e2e

# app.py's page titles, read from its st.Page(..., title="...") calls (pages added later included).
TITLES = re.findall(r'st\.Page\([^)]*title="([^"]+)"', (ROOT / "app.py").read_text())


@pytest.mark.parametrize("stem,params,slider_text", [
    ("gate_explorer", {"ge_mode": "multi"}, None),
    ("step_through", {"st_t": "7"}, "7"),
])
def test_deep_link_on_a_fresh_server_gets_the_app_navigation_and_its_parameters(page, tmp_path, stem, params,
                                                                                  slider_text):
    _require_chromium()
    page.set_default_timeout(60_000)
    with running_server("app.py", cwd=ROOT, log=tmp_path / "streamlit.log") as base:   # a new server process
        page.goto(page_url(base, stem, **params))
        wait_for_app_idle(page)
        wait_for_charts(page)
        links = page.locator('[data-testid="stSidebarNavLink"]')
        expect(links).to_have_count(len(TITLES))
        for title in TITLES:                          # app.py's titles, not the legacy "app", "gate explorer", ...
            expect(links.filter(has_text=title)).to_have_count(1)
        for key, value in params.items():
            assert f"{key}=" in page.url
        if slider_text:
            expect(page.locator('[data-testid="stSliderThumbValue"]').filter(has_text=slider_text).first).to_be_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
