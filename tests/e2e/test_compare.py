"""The /compare page in a real Chromium against a real server: it renders its charts with no exception, and moving
the hidden-size slider changes the parameter chart and the link."""
from __future__ import annotations

import pytest

from scripts.serve import chart_data, location, move_slider, page_url, wait_for_app_idle, wait_for_charts

pytestmark = pytest.mark.e2e


def test_compare_renders_and_the_hidden_size_slider_changes_the_counts_and_the_link(page, app_server):
    page.set_default_timeout(120_000)
    page.goto(page_url(app_server, "compare", cmp_hidden=32))
    wait_for_app_idle(page)
    wait_for_charts(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 2
    assert not page.locator('[data-testid="stException"]').count()
    gru = lambda: chart_data(page, 0)[0]["y"][1]  # noqa: E731  (bars in kind order: rnn, gru, ...)
    assert gru() == 3 * (32 + 32 * 32 + 2 * 32)
    move_slider(page, "Hidden size H", 1)
    page.wait_for_function("""() => {
      const gd = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[0];
      return gd && gd._fullData && gd._fullData[0].y[1] === 3 * (33 + 33 * 33 + 66);
    }""")
    assert "cmp_hidden=33" in location(page)
