"""Controls drawn under ``controls.driving`` rerun only the fragment they drive (``st.rerun(key)`` in on_change).

AppTest keeps only the elements of the last run, so with keyed reruns on, the tree after a move holds exactly what
that run sent: the driven fragment's elements and none of the controls (the browser keeps those as they are).
"""
from __future__ import annotations

import numpy as np
import pytest

import lab.models.vanishing as V
from lab import controls
from tests.app.conftest import exceptions, run_app
from tests.app.test_vanishing import chart, norms, trace_values


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setattr(controls, "KEYED_RERUNS", True)


def widget_keys(at) -> set[str]:
    """The keys of every widget and button the last run sent."""
    kinds = ("slider", "toggle", "number_input", "selectbox", "segmented_control", "radio", "multiselect", "button")
    return {w.key for kind in kinds for w in getattr(at, kind)}


# page, slider moved one step, a control drawn by the full run (not resent), a widget or chart of the driven fragment
MOVES = [("vanishing", "vg_hidden", "vg_len", "vg_view"),
         ("gate_explorer", "ge_wz", "ge_uz", "ge_clamp_z"),
         ("step_through", "st_len", "st_input", "st_t"),
         ("train", "tr_delay", "tr_hidden", "tr_train_btn"),
         ("compare", "cmp_input", "cmp_hidden", "cmp_params_chart"),
         ("compare", "cmp_len", "cmp_bias", "cmp_flow_chart"),
         ("compare", "cmp_delay", "cmp_budget", "cmp_train"),
         ("forecast", "fc_window", "fc_h", "fc_train"),
         ("text", "tx_hidden", "tx_steps", "tx_train"),
         ("home", "home_bias", "home_bias", "home_chart")]


def chart_keys(at) -> set[str]:
    return {el.proto.id.rsplit("-", 1)[-1] for el in at.get("plotly_chart")}


@pytest.mark.parametrize("page,key,control,inside", MOVES, ids=[m[1] for m in MOVES])
def test_a_driven_control_reruns_only_its_fragment(keyed, page, key, control, inside):
    at = run_app(page)
    assert {key, control} <= widget_keys(at)
    slider = at.slider(key=key)
    slider.set_value(slider.value + slider.step).run()
    assert not exceptions(at)
    sent = widget_keys(at)
    assert not ({key, control} & sent), "the controls were sent again: the page reran"
    assert inside in sent | chart_keys(at), "the driven fragment did not run"


def test_the_driven_fragment_reads_the_moved_value(keyed):
    at = run_app("vanishing")
    at.slider(key="vg_hidden").set_value(16).run()
    np.testing.assert_allclose(trace_values(chart(at, "vg_chart_norms"), "GRU"), norms(V.Settings(hidden=16), "gru"),
                               rtol=1e-12)


def test_a_move_that_changes_the_controls_reruns_the_page(keyed):
    """Chrono on hides the bias slider: the fragment sees the controls differ and reruns the whole page."""
    at = run_app("vanishing")
    assert "vg_bias" in widget_keys(at)
    at.toggle(key="vg_chrono").set_value(True).run()
    assert not exceptions(at)
    keys = widget_keys(at)
    assert {"vg_len", "vg_chrono"} <= keys and "vg_bias" not in keys
    np.testing.assert_allclose(trace_values(chart(at, "vg_chart_norms"), "GRU"),
                               norms(V.Settings(chrono=V.Settings().steps), "gru"), rtol=1e-12)
