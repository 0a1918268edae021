"""The vanishing-gradient page in real Chromium against a real server: it renders every chart with the engine's
numbers, a slider move changes the chart and the link, a shared link is applied, a preset sets the link, and an
overflowing setting shows a message on the chart instead of a traceback."""
from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

import lab.models.vanishing as V
from tests.e2e.conftest import chart_data, location, move_slider

pytestmark = pytest.mark.e2e

N_CHARTS = 1  # the gradient norms with the GRU's update gate under them; no "look closer" view by default
CLIP = "Exploding gradients and clipping"


def line(page, name: str, i: int = 0) -> dict:
    """A cell's line by the cell it draws (its legend text also carries the per-step factor)."""
    return next(t for t in chart_data(page, i) if (t.get("meta") or {}).get("role") == "line"
                and t["meta"]["name"] == name)




def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_page_renders_every_chart_with_the_engines_numbers(open_page):
    page = open_page("vanishing")
    no_exception(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    expect(charts).to_have_count(N_CHARTS)
    for i in range(N_CHARTS):
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible()
    s = V.Settings()
    for kind, name in (("rnn", "RNN"), ("gru", "GRU"), ("lstm", "LSTM")):
        np.testing.assert_allclose(line(page, name)["customdata"], V.cell_curves(kind, s).grad_norm, rtol=1e-12)
    expect(page.get_by_text("After 50 steps back the RNN keeps", exact=False)).to_be_visible()


def test_moving_the_length_slider_changes_the_chart_and_the_link(open_page):
    page = open_page("vanishing")
    assert len(line(page, "RNN")["customdata"]) == 100
    move_slider(page, "Sequence length T", 2)  # 100 -> 120 (steps of 10)
    page.wait_for_function("() => location.search.includes('vg_len=120')")
    page.wait_for_function("""() => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
                                      const t = gd && gd._fullData.find(t => t.meta && t.meta.role === 'line' && t.meta.name === 'RNN');
                                      return t && t.customdata.length === 120; }""")
    np.testing.assert_allclose(line(page, "RNN")["customdata"], V.cell_curves("rnn", V.Settings(steps=120)).grad_norm,
                               rtol=1e-12)
    no_exception(page)


def test_a_shared_link_is_applied(open_page):
    page = open_page("vanishing", vg_len=200, vg_cells=["RNN", "GRU"], vg_bias=4)
    thumbs = page.locator('[data-testid="stSlider"]').filter(has_text="Sequence length T")
    expect(thumbs.locator('[data-testid="stSliderThumbValue"]')).to_have_text("200")
    names = {t["meta"]["name"] for t in chart_data(page, 0) if (t.get("meta") or {}).get("role") == "line"}
    assert names == {"RNN", "GRU", "GRU through diag(z) alone"}
    s = V.Settings(steps=200, update_bias=4.0)
    np.testing.assert_allclose(line(page, "GRU")["customdata"], V.cell_curves("gru", s).grad_norm, rtol=1e-12)
    assert "vg_len=200" in location(page) and "vg_bias=4" in location(page)
    no_exception(page)


def test_a_preset_sets_the_controls_and_the_link(open_page):
    page = open_page("vanishing")
    page.get_by_role("button", name="Presets").click()            # one menu button holds every preset
    page.get_by_role("menuitem", name="Gate held open").click()
    page.wait_for_function("() => location.search.includes('vg_bias=4')")
    expect(page.get_by_text("Preset Gate held open: The same GRU", exact=False)).to_be_visible()
    s = next(p for p in V.PRESETS if p.name == "Gate held open").settings
    page.wait_for_function("""(n) => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
                                       const t = gd && gd._fullData.find(t => t.meta && t.meta.role === 'line' && t.meta.name === 'GRU');
                                       return t && Math.abs(t.customdata[0] / n - 1) < 1e-9; }""",
                           arg=float(V.cell_curves("gru", s).grad_norm[0]))
    no_exception(page)


def test_overflow_shows_a_message_on_the_chart_not_a_traceback(open_page):
    page = open_page("vanishing", vg_cells="RNN", vg_len=500, vg_hidden=128, vg_init="Orthogonal", vg_rescale="true",
                     vg_sigma=3, vg_nonlin="ReLU", vg_view=CLIP)
    no_exception(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.get_by_text("Overflow", exact=False).first).to_be_visible()
    expect(page.get_by_text("clipping cannot rescale it", exact=False).first).to_be_visible()


def test_choosing_a_view_draws_its_chart_and_puts_it_in_the_link(open_page):
    page = open_page("vanishing")
    page.locator('[data-testid="stButtonGroup"]').get_by_text("Phase diagram", exact=True).click()
    page.wait_for_function("() => location.search.includes('vg_view=')")
    assert "vg_view=phase" in location(page)   # option values in the link are short words
    phase = page.locator('[data-testid="stPlotlyChart"]').nth(1)
    expect(phase.get_by_text("dashed: σ", exact=False).first).to_be_visible(timeout=60_000)
    heat = [t for t in chart_data(page, 1) if t["type"] == "heatmap"]
    assert len(heat) == 2 and len(heat[0]["z"]) == 100  # RNN and GRU, k = 0 .. 99
    no_exception(page)
