"""Forecast page in a real Chromium against a real server: pretrained results at once, a horizon move, live
training with progress, and a CSV uploaded through the browser (good and bad)."""
from __future__ import annotations

import re

import pytest

from scripts.serve import chart_data, location, move_slider, page_url, wait_for_app_idle, wait_for_charts

pytestmark = pytest.mark.e2e

TINY = dict(fc_series="Synthetic (trend + cycles + noise)", fc_steps=40, fc_budget="1,000", fc_h=10, fc_window=12)


def open_forecast(page, app_server, **params):
    page.set_default_timeout(120_000)
    page.goto(page_url(app_server, "forecast", **params))
    wait_for_app_idle(page)
    wait_for_charts(page)
    return page


def main_text(page) -> str:
    return page.inner_text('[data-testid="stMain"]')


def truth_length(page, chart: int = 1) -> int:
    for t in chart_data(page, chart) or []:
        if (t.get("meta") or {}).get("role") == "truth":
            return len(t["y"])
    return 0


def test_default_view_has_one_chart_and_a_horizon_move_changes_the_held_out_part(page, app_server):
    open_forecast(page, app_server)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 1          # only the open tab's chart
    assert "trained in advance" in main_text(page) and not page.locator('[data-testid="stException"]').count()
    assert truth_length(page, 0) == 24
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Training settings").click()   # collapsed
    move_slider(page, "Forecast horizon", 2)
    page.wait_for_function("""() => {
      const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
      const t = gd && gd._fullData && gd._fullData.find(t => t.meta && t.meta.role === 'truth');
      return t && t.y.length === 26;
    }""")
    assert "fc_h=26" in location(page) and "press Train" in main_text(page)


def test_a_tab_click_shows_its_chart_and_names_the_tab_in_the_link(page, app_server):
    open_forecast(page, app_server)
    page.get_by_role("tab", name="How far back").click()
    page.wait_for_function("() => location.search.includes('fc_view=reach')")
    wait_for_app_idle(page)
    wait_for_charts(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 1
    assert {(t.get("meta") or {}).get("name") for t in chart_data(page, 0) or []} >= {"GRU", "RNN"}
    assert not page.locator('[data-testid="stException"]').count()


def test_train_shows_progress_then_every_network(page, app_server):
    open_forecast(page, app_server, **TINY)
    page.locator('[data-testid="stButton"] button').filter(has_text=re.compile("Train$")).first.click()
    page.wait_for_function("() => document.body.innerText.includes('Trained in')", timeout=120_000)
    wait_for_charts(page)
    kinds = {(t.get("meta") or {}).get("role") for t in chart_data(page, 0) or []}
    assert {"forecast:gru", "forecast:rnn", "forecast:lstm"} <= kinds
    assert not page.locator('[data-testid="stException"]').count()


def _upload(page, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))


def test_upload_a_csv_in_the_browser_and_forecast_it(page, app_server, tmp_path):
    page.set_default_timeout(120_000)
    page.goto(page_url(app_server, "forecast", fc_series="Upload a CSV file"))
    wait_for_app_idle(page)
    rows = "".join(f"{1900 + i},{(i % 7) * 1.5 + i / 10:.3f}\n" for i in range(80))
    _upload(page, tmp_path, "years.csv", "year,rainfall\n" + rows)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= 2")
    wait_for_app_idle(page)
    truth = next(t for t in chart_data(page, 0) if (t.get("meta") or {}).get("role") == "truth")
    assert truth["y"] == pytest.approx([(i % 7) * 1.5 + i / 10 for i in range(68, 80)], abs=1e-3)
    assert truth["x"][0] == "1968-01-01"
    assert not page.locator('[data-testid="stException"]').count()


def test_a_bad_upload_in_the_browser_gets_its_message(page, app_server, tmp_path):
    page.set_default_timeout(120_000)
    page.goto(page_url(app_server, "forecast", fc_series="Upload a CSV file"))
    wait_for_app_idle(page)
    _upload(page, tmp_path, "short.csv", "v\n" + "".join(f"{i}\n" for i in range(12)))
    page.wait_for_function("() => document.body.innerText.includes('allowed: at least 40')")
    assert not page.locator('[data-testid="stException"]').count()
