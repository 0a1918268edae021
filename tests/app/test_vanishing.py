"""The vanishing-gradient page in AppTest: defaults, the sliders the generic test cannot reach, link parameters,
presets, and that every control changes what the charts hold (the engine's numbers)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import lab.models.vanishing as V
from lab.figures.common import decode
from tests.app.conftest import exceptions, run_app, warnings_text

TAB_CHARTS = {"Unit by unit": "vg_chart_units", "Phase diagram": "vg_chart_phase",
              "Exploding gradients and clipping": "vg_chart_clip"}
PHASE, CLIP = "Phase diagram", "Exploding gradients and clipping"


def chart(at, key: str) -> dict:
    """The figure dict of the chart with this key."""
    for el in at.get("plotly_chart"):
        if el.proto.id.endswith(f"-{key}"):
            return json.loads(el.proto.spec)
    raise KeyError(f"no chart {key!r}; charts: {[el.proto.id for el in at.get('plotly_chart')]}")


def chart_keys(at) -> list[str]:
    return [el.proto.id.rsplit("-", 1)[-1] for el in at.get("plotly_chart")]


def norms(s: V.Settings, kind: str) -> np.ndarray:
    return V.cell_curves(kind, s).grad_norm


def trace_values(spec: dict, name: str, axis: str = "customdata") -> np.ndarray:
    """A line's values by the cell it draws (its legend text also carries the per-step factor)."""
    (t,) = [t for t in spec["data"] if (t.get("meta") or {}).get("role") == "line" and t["meta"]["name"] == name]
    return decode(t[axis])


def answer_text(at) -> str:
    """The answering callout (shown on an ordinary page; behind Reveal in presenter mode)."""
    return " ".join(i.value for i in at.success)


def line_names(spec: dict) -> set[str]:
    return {t["meta"]["name"] for t in spec["data"] if (t.get("meta") or {}).get("role") == "line"}


@pytest.fixture(scope="module")
def default_app():
    return run_app("vanishing")


def test_defaults_show_every_chart_with_the_engines_numbers(default_app):
    at = default_app
    assert not exceptions(at)
    assert chart_keys(at) == ["vg_chart_norms"]  # one chart by default: a "look closer" view is one click away
    spec = chart(at, "vg_chart_norms")
    s = V.Settings()
    for kind, name in (("rnn", "RNN"), ("gru", "GRU"), ("lstm", "LSTM")):
        np.testing.assert_allclose(trace_values(spec, name, "customdata"), norms(s, kind), rtol=1e-12)
    # the GRU's update gate and direct-path share, under the gradients, from the engine's trace
    gru = V.cell_curves("gru", s)
    z_mean = next(t for t in spec["data"] if (t.get("meta") or {}).get("role") == "z_mean")
    np.testing.assert_allclose(decode(z_mean["y"]), gru.z_mean, rtol=1e-12)
    # the page makes its point in words, from the numbers
    assert "After 50 steps back the RNN keeps" in answer_text(at)
    assert "vanishes too" in answer_text(at)
    assert "What sets the RNN's slope" in answer_text(at) and "not sufficient" in answer_text(at)
    assert any("Preset **RNN vs GRU vs LSTM**" in c.value for c in at.caption)


def test_link_parameters_set_the_controls_and_the_chart():
    at = run_app("vanishing", vg_len="200", vg_cells=["RNN"], vg_hidden="16")
    assert not exceptions(at)
    assert at.slider(key="vg_len").value == 200 and at.slider(key="vg_hidden").value == 16
    assert not warnings_text(at)
    spec = chart(at, "vg_chart_norms")
    assert line_names(spec) == {"RNN"}
    np.testing.assert_allclose(trace_values(spec, "RNN", "customdata"),
                               norms(V.Settings(steps=200, hidden=16, cells=("rnn",)), "rnn"), rtol=1e-12)
    # no GRU: no update-gate panel under the gradients
    assert not [t for t in spec["data"] if (t.get("meta") or {}).get("role") in ("z_mean", "share")]
    assert "yaxis2" not in spec["layout"]


def test_out_of_range_link_value_falls_back_with_a_note():
    at = run_app("vanishing", vg_len="9999", vg_sigma="7", vg_rescale="true")
    assert not exceptions(at)
    assert at.slider(key="vg_len").value == 500
    assert at.slider(key="vg_sigma").value == 3.0
    notes = " ".join(warnings_text(at))
    assert "vg_len=9999" in notes and "vg_sigma=7" in notes


@pytest.mark.parametrize("key,value,expect", [
    ("vg_bias", 4.0, V.Settings(update_bias=4.0)),
    ("vg_len", 50, V.Settings(steps=50)),
    ("vg_hidden", 8, V.Settings(hidden=8)),
])
def test_changing_a_control_changes_the_chart_data(key, value, expect):
    at = run_app("vanishing")
    before = trace_values(chart(at, "vg_chart_norms"), "GRU", "customdata")
    at.slider(key=key).set_value(value).run()
    assert not exceptions(at)
    after = trace_values(chart(at, "vg_chart_norms"), "GRU", "customdata")
    np.testing.assert_allclose(after, norms(expect, "gru"), rtol=1e-12)
    assert before.shape != after.shape or not np.allclose(before, after)


def test_choice_controls_change_the_chart_data():
    at = run_app("vanishing")
    at.segmented_control(key="vg_init").set_value("orthogonal").run()
    at.toggle(key="vg_rescale").set_value(True).run()
    at.slider(key="vg_sigma").set_value(2.0).run()
    at.segmented_control(key="vg_loss").set_value("all").run()
    at.selectbox(key="vg_signal").set_value("sine").run()
    at.segmented_control(key="vg_nonlin").set_value("relu").run()
    at.number_input(key="vg_seed").set_value(3).run()
    assert not exceptions(at)
    s = V.Settings(init="orthogonal", scale=2.0, loss="all", signal="sine", nonlinearity="relu", seed=3)
    spec = chart(at, "vg_chart_norms")
    for kind, name in (("rnn", "RNN"), ("gru", "GRU"), ("lstm", "LSTM")):
        np.testing.assert_allclose(trace_values(spec, name, "customdata"), norms(s, kind), rtol=1e-12)
    at.toggle(key="vg_chrono").set_value(True).run()
    assert not exceptions(at)
    np.testing.assert_allclose(trace_values(chart(at, "vg_chart_norms"), "GRU", "customdata"),
                               norms(V.Settings(init="orthogonal", scale=2.0, loss="all", signal="sine",
                                                nonlinearity="relu", seed=3, chrono=100), "gru"), rtol=1e-12)


@pytest.mark.parametrize("key,lo,hi,setup", [
    ("vg_sigma", 0.1, 3.0, {"vg_rescale": "true"}),  # only drawn when rescaling: the generic test cannot reach it
    ("vg_clip_c", -3.0, 8.0, {"vg_init": "Orthogonal", "vg_rescale": "true", "vg_sigma": "2", "vg_view": CLIP}),
])
def test_hidden_or_fragment_sliders_at_min_and_max(key, lo, hi, setup):
    at = run_app("vanishing", **setup)
    for v in (lo, hi):
        at.slider(key=key).set_value(v).run()
        assert not exceptions(at), f"{key}={v}: {exceptions(at)}"


@pytest.mark.parametrize("tab,key", TAB_CHARTS.items())
def test_a_view_in_the_link_opens_that_view_and_draws_only_its_chart(tab, key):
    at = run_app("vanishing", vg_view=tab)
    assert not exceptions(at)
    assert chart_keys(at) == ["vg_chart_norms", key]


def test_largest_sizes_run_and_the_phase_diagram_is_capped():
    at = run_app("vanishing", vg_len="500", vg_hidden="128", vg_view=PHASE)
    assert not exceptions(at)
    spec = chart(at, "vg_chart_phase")
    heat = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert decode(heat[0]["z"]).shape == (V.PHASE_MAX_STEPS, V.PHASE_SCALES)
    assert any("Capped at" in c.value for c in at.caption)


def test_each_preset_sets_its_controls_and_the_link():
    at = run_app("vanishing")
    for i, p in enumerate(V.PRESETS):
        at.menu_button(key="vg_preset").click(p.name).run()
        assert not exceptions(at), f"preset {p.name}: {exceptions(at)}"
        assert at.slider(key="vg_len").value == p.values["vg_len"]
        assert at.slider(key="vg_hidden").value == p.values["vg_hidden"]
        assert at.session_state["vg_cells"] == p.values["vg_cells"]
        assert any(f"Preset **{p.name}**" in c.value for c in at.caption), p.name
        if p.values["vg_len"] != V.DEFAULTS["vg_len"]:  # a non-default value is in the link
            assert at.query_params["vg_len"] in (str(p.values["vg_len"]), [str(p.values["vg_len"])])


def test_a_preset_is_a_trigger_so_a_later_control_move_sticks():
    at = run_app("vanishing")
    at.menu_button(key="vg_preset").click("Chrono init").run()
    assert at.slider(key="vg_len").value == 200
    at.slider(key="vg_len").set_value(300).run()    # the next run must not apply the preset again
    assert at.slider(key="vg_len").value == 300 and at.menu_button(key="vg_preset").value is None
    assert not any("Preset **" in c.value for c in at.caption)


def test_overflow_preset_shows_messages_not_a_traceback():
    at = run_app("vanishing", vg_view=CLIP)
    at.menu_button(key="vg_preset").click("Overflow to inf").run()
    assert not exceptions(at)
    spec = chart(at, "vg_chart_norms")
    assert any(a.get("name") == "message" and "Overflow" in a["text"] for a in spec["layout"]["annotations"])
    assert any("cannot rescale" in w for w in warnings_text(at))


def test_clipping_threshold_rescales_the_gradient_by_c_over_norm():
    at = run_app("vanishing", vg_init="Orthogonal", vg_rescale="true", vg_sigma="2", vg_view=CLIP)
    at.slider(key="vg_clip_c").set_value(-1.0).run()  # c = 0.1
    rnn = V.cell_curves("rnn", V.Settings(init="orthogonal", scale=2.0))
    want = V.clipping(rnn, 0.1)
    assert want.factor == pytest.approx(0.1 / rnn.param_grad.total_norm)
    np.testing.assert_allclose(trace_values(chart(at, "vg_chart_clip"), "after clipping"), want.clipped, rtol=1e-12)
    assert any("multiplied by" in m.value for m in at.markdown)
    at.toggle(key="vg_clip").set_value(False).run()
    assert "after clipping" not in line_names(chart(at, "vg_chart_clip"))
    assert any("Clipping is off" in m.value for m in at.markdown)


def test_question_comes_before_the_chart_and_the_answer_waits_for_reveal_in_presenter_mode():
    at = run_app("vanishing", present="1")
    assert not exceptions(at)
    assert not answer_text(at)                      # hidden until Reveal
    at.button(key="vg_answer").click().run()
    assert "After 50 steps back the RNN keeps" in answer_text(at)
    md = [m.value for m in at.markdown]
    ask = next(i for i, v in enumerate(md) if "Predict first" in v)
    read = next(i for i, v in enumerate(md) if "How to read this" in v)
    assert ask < read                               # the question sits above the chart, the reading guide under it
