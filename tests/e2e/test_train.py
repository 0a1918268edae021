"""Train page in a real Chromium against a real server, looked at while training is running."""
from __future__ import annotations

import re

import pytest

from scripts.serve import chart_data, move_slider, page_url, wait_for_app_idle, wait_for_charts

pytestmark = pytest.mark.e2e

PROGRESS_JS = """() => {
  const m = document.body.innerText.match(/Training: step (\\d+)/);
  return m ? parseInt(m[1]) : null;
}"""


def open_train(page, app_server, **params):
    page.set_default_timeout(120_000)
    page.goto(page_url(app_server, "home"))          # the app's navigation first, as a visitor arrives
    wait_for_app_idle(page)
    page.goto(page_url(app_server, "train", **params))
    wait_for_app_idle(page)
    wait_for_charts(page)
    return page


def click(page, label: str) -> None:
    page.locator('[data-testid="stButton"] button').filter(has_text=re.compile(f"{label}$")).first.click()


def held_out_points(page) -> int:
    """Number of held-out accuracy rings drawn for the GRU in the accuracy chart (chart 0)."""
    for t in chart_data(page, 0) or []:
        if (t.get("meta") or {}).get("role") == "eval" and (t.get("meta") or {}).get("kind") == "gru":
            return len(t["x"] or [])
    return 0


def test_charts_and_progress_update_while_training_and_stop_keeps_the_result(page, app_server):
    open_train(page, app_server, tr_delay=20, tr_steps=5000, tr_hidden=16)
    assert "Pretrained checkpoint" in page.inner_text('[data-testid="stMain"]')
    click(page, "Train")
    page.wait_for_function("() => (" + PROGRESS_JS + ")() !== null")
    first = page.evaluate(PROGRESS_JS)
    # no user input from here on: the page polls the background trainer by itself
    page.wait_for_function(f"(() => {{ const f = {PROGRESS_JS}; return f() > {first} + 100; }})")
    wait_for_charts(page)
    page.wait_for_function("""() => {
      const gd = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[0];
      return gd && gd._fullData && gd._fullData.some(t => t.meta && t.meta.role === 'eval' && t.meta.kind === 'gru'
                                                       && t.x && t.x.length >= 3);
    }""")
    n_before = held_out_points(page)
    page.wait_for_function(f"""() => {{
      const gd = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[0];
      const t = gd && gd._fullData && gd._fullData.find(t => t.meta && t.meta.role === 'eval' && t.meta.kind === 'gru');
      return t && t.x && t.x.length > {n_before};
    }}""")
    assert not page.locator('[data-testid="stException"]').count()
    click(page, "Stop")
    page.wait_for_function("() => document.body.innerText.includes('stopped by request')")
    page.wait_for_function("() => document.body.innerText.includes('Finished:')")
    wait_for_app_idle(page)
    wait_for_charts(page)
    text = page.inner_text('[data-testid="stMain"]')
    assert "the result so far is kept" in text and "Held-out accuracy after training" in text
    assert held_out_points(page) >= 3
    assert not page.locator('[data-testid="stException"]').count()


def test_another_session_stays_responsive_while_one_trains(page, app_server, browser):
    open_train(page, app_server, tr_delay=50, tr_steps=5000)
    click(page, "Train")
    page.wait_for_function("() => (" + PROGRESS_JS + ")() !== null")
    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    other.set_default_timeout(60_000)
    other.goto(page_url(app_server, "home"))
    wait_for_app_idle(other)
    wait_for_charts(other)
    before = chart_data(other, 0)
    move_slider(other, 0, 2)
    other.wait_for_function("""(before) => {
      const gd = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[0];
      return gd && gd._fullData && JSON.stringify(gd._fullData.map(t => Array.from(t.y || []))) !== before;
    }""", arg=__import__("json").dumps([list(t["y"] or []) for t in before]))
    # the first session was still training all along: the second did not wait for it
    assert page.evaluate(PROGRESS_JS) is not None and "Finished:" not in page.inner_text('[data-testid="stMain"]')
    click(page, "Stop")
    page.wait_for_function("() => document.body.innerText.includes('Finished:')")
    other.context.close()


def test_link_with_a_too_large_delay_shows_a_note_and_trains_at_the_maximum(page, app_server):
    open_train(page, app_server, tr_delay=1000)
    text = page.inner_text('[data-testid="stMain"]')
    assert "tr_delay=1000" in text and "above the maximum 300" in text
    assert not page.locator('[data-testid="stException"]').count()
