"""Real Chromium against a real server: every page renders its charts from a fresh browser with no exception;
a shared link's parameters are applied; a bad one is replaced by the nearest valid value, with a note, and the
address bar is rewritten so the link reproduces what is shown; moving a slider changes the chart and the URL."""
from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from lab.cache import CellSpec, SignalSpec, cached_record
from gru_core.analysis import gradient_share
from scripts.serve import app_pages
from tests.e2e.conftest import chart_data, location, move_slider, slider_input

pytestmark = pytest.mark.e2e


def _gru_share(bias: float) -> np.ndarray:
    g = cached_record(CellSpec("gru", hidden_size=32, update_bias=bias), SignalSpec("noise", 100))
    return gradient_share(g.grad_norm[:, 0])


def _line(page, name: str, i: int = 0) -> dict:
    return next(t for t in chart_data(page, i) if t["name"] == name)


@pytest.mark.parametrize("stem", app_pages())
def test_page_renders_charts_without_exception(open_page, stem):
    """Every page shows a figure at once: a Plotly chart, or a drawn picture (the step-through's cell diagram)."""
    page = open_page(stem)
    assert page.locator('[data-testid="stException"]').count() == 0
    charts = page.locator('[data-testid="stPlotlyChart"]')
    pictures = page.locator('[data-testid="stMain"] [data-testid="stImage"] img')
    assert charts.count() + pictures.count() >= 1
    for i in range(charts.count()):
        # drawn; a chart inside a collapsed expander is drawn but not visible
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached()
    first = charts.first.locator(".main-svg").first if charts.count() else pictures.first
    expect(first).to_be_visible()


def test_shared_link_parameters_are_applied(open_page):
    page = open_page("home", home_bias="1.5")
    expect(page.locator('[data-testid="stSliderThumbValue"]').first).to_have_text("1.5")
    np.testing.assert_allclose(_line(page, "GRU")["customdata"], _gru_share(1.5), rtol=1e-12)
    assert "home_bias=1.5" in location(page)


def test_out_of_range_link_is_clamped_with_a_note(open_page):
    page = open_page("home", home_bias="9999")
    expect(page.get_by_text("Link parameter home_bias=9999 is above the maximum 6; using 6.")).to_be_visible()
    expect(page.locator('[data-testid="stSliderThumbValue"]').first).to_have_text("6.0")
    np.testing.assert_allclose(_line(page, "GRU")["customdata"], _gru_share(6.0), rtol=1e-12)
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("stem, params, shown", [
    ("home", {"home_bias": "9999"}, ["home_bias=6"]),                                       # a slider
    ("vanishing", {"vg_seed": "inf"}, ["vg_seed=9999"]),                                     # a number input
    ("vanishing", {"vg_rescale": "yes", "vg_sigma": "7"}, ["vg_rescale=true", "vg_sigma=3"]),  # a switch, two fixes
])
def test_out_of_range_link_is_rewritten_in_the_address_bar(open_page, stem, params, shown):
    page = open_page(stem, **params)
    page.wait_for_function("w => w.every(p => location.search.split(/[?&]/).includes(p))", arg=shown,
                           timeout=15_000)
    for key, raw in params.items():
        expect(page.get_by_text(f"Link parameter {key}={raw} ")).to_be_visible()   # and the note is there
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_rewritten_link_value_still_follows_the_slider(open_page):
    page = open_page("home", home_bias="9999")
    page.wait_for_function("() => location.search.includes('home_bias=6')", timeout=15_000)
    move_slider(page, "GRU update-gate bias", -2)   # 6.0 -> 5.0
    page.wait_for_function("() => location.search.includes('home_bias=5')")
    expect(page.get_by_text("Link parameter home_bias=9999")).to_have_count(0)   # the note goes once it is moved


def test_moving_the_slider_changes_the_chart_and_the_url(open_page):
    page = open_page("home")
    before = _line(page, "GRU")["customdata"]
    move_slider(page, "GRU update-gate bias", -2)   # 3.0 -> 2.0
    page.wait_for_function("() => location.search.includes('home_bias=2')")
    want = _gru_share(2.0)
    # Two key presses can give two reruns (2.5, then 2.0): wait for the chart of the final value.
    page.wait_for_function(
        """([b, w]) => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
                    const t = gd && gd._fullData.find(t => t.name === 'GRU');
                    const v = t && Array.from(t.customdata)[0];
                    return v !== undefined && v !== b && Math.abs(v - w) <= 1e-9 * Math.abs(w); }""",
        arg=[before[0], float(want[0])])
    np.testing.assert_allclose(_line(page, "GRU")["customdata"], want, rtol=1e-12)
    assert slider_input(page, "GRU update-gate bias").get_attribute("value") == "2"
