"""Every page of app.py's navigation runs without an exception: with defaults, and with each slider at its min and
at its max. Pages are discovered from app.py, so a new page is covered without editing this file.

Plus the URL contract (lab.controls): a link parameter sets its control and changes the chart; an out-of-range or
malformed one falls back to the nearest valid value with a visible note naming it."""
from __future__ import annotations

import pytest

from gru_core.analysis import gradient_share
from lab.cache import CellSpec, SignalSpec, cached_record
from lab.figures.common import legend_entries
from scripts.serve import app_pages
from tests.app.conftest import exceptions, plotly_specs, run_app, trace_values, warnings_text

PAGES = app_pages()


def test_navigation_lists_every_page_file_once():
    assert PAGES[0] == "home"
    assert len(PAGES) == len(set(PAGES))
    assert {"home", "vanishing", "step_through", "gate_explorer", "train"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_with_defaults_and_every_slider_at_min_and_max(page):
    at = run_app(page)
    assert not exceptions(at), f"{page} at defaults: {exceptions(at)}"
    sliders = [(s.key, s.min, s.max, s.value) for s in at.slider]
    for key, lo, hi, default in sliders:
        assert key, f"{page}: a slider without a key cannot be bound to the URL"
        for value in (lo, hi):
            at.slider(key=key).set_value(value).run()
            assert not exceptions(at), f"{page} with {key}={value}: {exceptions(at)}"
        at.slider(key=key).set_value(default).run()
        assert not exceptions(at), f"{page} back at {key}={default}: {exceptions(at)}"


@pytest.mark.parametrize("page", PAGES)
def test_every_widget_on_page_has_a_page_prefixed_key(page):
    """Query parameters are app-wide, so each page's keys carry its own prefix (e.g. vg_len)."""
    at = run_app(page)
    keyed = [w for kind in ("slider", "selectbox", "multiselect", "toggle", "number_input", "text_input", "radio",
                            "checkbox") for w in at.get(kind)]
    for w in keyed:
        assert w.key and "_" in w.key and not w.key.startswith("$$"), f"{page}: widget {w.label!r} has key {w.key!r}"


MAX_LEGEND_ENTRIES = 4   # per legend, i.e. per panel (issue 12: more and a student cannot match lines to names)


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_at_defaults_has_at_most_four_legend_entries_per_legend(page):
    at = run_app(page)
    specs = plotly_specs(at)
    crowded = {f"chart {i}, {name}": entries for i, spec in enumerate(specs)
               for name, entries in legend_entries(spec).items() if len(entries) > MAX_LEGEND_ENTRIES}
    assert not crowded, f"{page}: more than {MAX_LEGEND_ENTRIES} legend entries: {crowded}"


def _home_gru_share(bias: float):
    g = cached_record(CellSpec("gru", hidden_size=32, update_bias=bias), SignalSpec("noise", 100))
    return gradient_share(g.grad_norm[:, 0])


def test_url_parameter_sets_the_control_and_the_chart():
    at = run_app(None, home_bias="1.5")
    assert not exceptions(at)
    assert at.slider(key="home_bias").value == 1.5
    assert not warnings_text(at)
    y = trace_values(plotly_specs(at)[0], "GRU", "customdata")
    assert y == pytest.approx(_home_gru_share(1.5), rel=1e-12)


def test_changing_the_control_changes_the_chart_data():
    at = run_app(None)
    before = trace_values(plotly_specs(at)[0], "GRU", "customdata")
    at.slider(key="home_bias").set_value(0.0).run()
    after = trace_values(plotly_specs(at)[0], "GRU", "customdata")
    assert after == pytest.approx(_home_gru_share(0.0), rel=1e-12)
    assert not (before == pytest.approx(after))


@pytest.mark.parametrize("raw, used, words", [
    ("9999", 6.0, "above the maximum"),
    ("-50", -2.0, "below the minimum"),
    ("abc", 3.0, "not a number"),
    ("1.7", 1.5, "nearest value 1.5"),   # Streamlit itself would accept 1.7 (off the slider's 0.5 steps)
])
def test_bad_url_value_falls_back_to_nearest_valid_with_a_note(raw, used, words):
    at = run_app(None, home_bias=raw)
    assert not exceptions(at)
    assert at.slider(key="home_bias").value == used
    notes = [w for w in warnings_text(at) if "home_bias" in w]
    assert len(notes) == 1, warnings_text(at)
    assert f"home_bias={raw}" in notes[0] and words in notes[0] and f"{used:g}" in notes[0]
    # the chart shows the value that is used
    y = trace_values(plotly_specs(at)[0], "GRU", "customdata")
    assert y == pytest.approx(_home_gru_share(used), rel=1e-12)


def test_note_disappears_once_the_user_moves_the_control():
    at = run_app(None, home_bias="9999")
    assert any("home_bias" in w for w in warnings_text(at))
    at.slider(key="home_bias").set_value(2.0).run()
    assert not any("home_bias" in w for w in warnings_text(at))
