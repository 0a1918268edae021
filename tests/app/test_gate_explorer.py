"""Gate explorer in AppTest: every control reaches the engine, the charts hold the engine's numbers, and the
interventions do what the page says (z = 1 freezes h, forcing acts only from its step on, z = 0 and r = 1 give a
tanh RNN). References are recomputed here from gru_core directly."""
from __future__ import annotations

import numpy as np
import pytest

import gru_core
from tests.app.conftest import exceptions, plotly_specs, run_app, trace_values, warnings_text

PAGE = "gate_explorer"
DEFAULT = dict(wz=-8.0, uz=0.0, bz=4.0, wr=0.0, ur=0.0, br=3.0, wn=2.0, un=0.8, bn=0.0)
LATCH = dict(wz=-4.0, bz=0.0, un=3.0)          # the bistable latch (the page's defaults before issue 12)
LATCH_URL = {f"ge_{k}": str(v) for k, v in LATCH.items()}


def _scalar_cell(**kw):
    p = {**DEFAULT, **kw}
    params = dict(weight_ih=np.array([[p["wr"]], [p["wz"]], [p["wn"]]]),
                  weight_hh=np.array([[p["ur"]], [p["uz"]], [p["un"]]]),
                  bias_ih=np.array([p["br"], p["bz"], p["bn"]]), bias_hh=np.zeros(3))
    return gru_core.Cell("gru", 1, 1, params, dict(mix="torch", reset="after"))


def _scalar_ref(T=60, at=15, amplitude=1.0, signal="impulse", override=None, **kw):
    x = gru_core.signal(signal, T, 1, at=at - 1, amplitude=amplitude, period=max(T / 3, 2.0))
    return gru_core.record(_scalar_cell(**kw), x, override=override)


def _spec(at, key_trace):
    return next(s for s in plotly_specs(at) if any(t.get("name") == key_trace for t in s["data"]))


def _h(at):
    return trace_values(_spec(at, "h<sub>t</sub>"), "h<sub>t</sub>")


def _open(at, label):
    """The student clicks the tab ``label`` (only the open tab's charts are built)."""
    at.session_state["ge_view"] = label
    return at.run()


def test_defaults_scalar_run_keeps_the_impulse_through_the_update_gate():
    at = run_app(PAGE)
    assert not exceptions(at)
    ref = _scalar_ref()
    np.testing.assert_allclose(_h(at), ref.h[:, 0, 0], atol=1e-12)
    np.testing.assert_allclose(trace_values(_spec(at, "z<sub>t</sub>"), "z<sub>t</sub>"), ref.gates["z"][:, 0, 0],
                               atol=1e-12)
    assert ref.h[-1, 0, 0] > 0.5 * ref.h[14, 0, 0]             # the impulse is kept (z near 1 after it)
    md = " ".join(m.value for m in at.markdown)
    assert "With the default settings" in md and "still holds" in " ".join(i.value for i in at.success)
    md = " ".join(m.value for m in run_app(PAGE, ge_view="map").markdown)
    assert "1 fixed point**" in md and "slowly" in md


def test_the_bistable_link_is_the_flip_flop_with_three_fixed_points():
    at = run_app(PAGE, **LATCH_URL)
    assert not exceptions(at)
    ref = _scalar_ref(**LATCH)
    np.testing.assert_allclose(_h(at), ref.h[:, 0, 0], atol=1e-12)
    assert ref.h[-1, 0, 0] > 0.95                              # the impulse was stored
    md = " ".join(m.value for m in at.markdown)
    assert "With these settings" in md and "With the default settings" not in md
    md = " ".join(m.value for m in _open(at, "Memory as a fixed point").markdown)
    assert "3 fixed points" in md and "unstable" in md and "latch" in md


@pytest.mark.parametrize("key,value", [("ge_wz", 1.0), ("ge_uz", -2.0), ("ge_bz", 2.5), ("ge_wr", -3.0),
                                       ("ge_ur", 2.0), ("ge_br", -1.0), ("ge_wn", 4.0), ("ge_un", 0.5),
                                       ("ge_bn", 0.7)])
def test_each_scalar_parameter_slider_reaches_the_engine(key, value):
    at = run_app(PAGE)
    at.slider(key=key).set_value(value).run()
    assert not exceptions(at)
    ref = _scalar_ref(**{key[3:]: value})
    np.testing.assert_allclose(_h(at), ref.h[:, 0, 0], atol=1e-12)


def test_signal_controls_and_initial_state():
    at = run_app(PAGE)
    at.selectbox(key="ge_signal").set_value("step").run()
    at.slider(key="ge_len").set_value(80).run()
    at.slider(key="ge_amp").set_value(-1.5).run()
    at.slider(key="ge_at").set_value(30).run()
    at.slider(key="ge_h0").set_value(0.5).run()
    assert not exceptions(at)
    x = gru_core.signal("step", 80, 1, at=29, amplitude=-1.5)
    ref = gru_core.record(_scalar_cell(), x, h0=[0.5])
    np.testing.assert_allclose(_h(at), ref.h[:, 0, 0], atol=1e-12)


def test_map_sliders_move_the_fixed_points_and_the_staircase():
    at = run_app(PAGE, ge_view="map", **LATCH_URL)
    spec = _spec(at, "map f(h) = next state")
    stable = trace_values(spec, "stable fixed point (memory)", "x")
    assert len(stable) == 2 and stable[1] == pytest.approx(-stable[0], abs=1e-9)
    at.slider(key="ge_xc").set_value(1.0).run()                # a strong constant input leaves one memory
    spec = _spec(at, "map f(h) = next state")
    assert len(trace_values(spec, "stable fixed point (memory)", "x")) == 1
    at.slider(key="ge_map_h0").set_value(-0.5).run()
    cob = trace_values(_spec(at, "map f(h) = next state"), "cobweb of the trajectory", "x")
    assert cob[0] == -0.5
    h_next = gru_core.record(_scalar_cell(**LATCH), np.ones((1, 1)), h0=[-0.5]).h[0, 0, 0]
    assert cob[2] == pytest.approx(h_next, abs=1e-12)


def test_clamping_z_to_one_freezes_h_and_clamping_r_to_zero_blinds_the_candidate():
    at = run_app(PAGE)
    at.toggle(key="ge_clamp_z").set_value(True).run()
    assert not exceptions(at)
    np.testing.assert_array_equal(_h(at), np.zeros(60))       # z = 1: h0 = 0 is kept forever
    base = trace_values(_spec(at, "h<sub>t</sub>"), "h<sub>t</sub> without intervention")
    np.testing.assert_allclose(base, _scalar_ref().h[:, 0, 0], atol=1e-12)
    _open(at, "Memory as a fixed point")
    assert any("fixed point" in m.value and "never moves" in m.value for m in at.markdown)
    _open(at, "Over time")
    at.slider(key="ge_z_value").set_value(0.5).run()
    ov = {"z": np.full((60, 1, 1), 0.5)}
    np.testing.assert_allclose(_h(at), _scalar_ref(override=ov).h[:, 0, 0], atol=1e-12)
    at.toggle(key="ge_clamp_z").set_value(False).run()
    at.radio(key="ge_clamp_r").set_value("0").run()
    ov = {"r": np.zeros((60, 1, 1))}
    np.testing.assert_allclose(_h(at), _scalar_ref(override=ov).h[:, 0, 0], atol=1e-12)


def test_forcing_a_gate_at_one_step_acts_only_downstream():
    at = run_app(PAGE, ge_view="effect", **LATCH_URL)
    at.segmented_control(key="ge_force").set_value("r").run()
    at.slider(key="ge_force_t").set_value(40).run()
    at.slider(key="ge_force_v").set_value(0.0).run()
    assert not exceptions(at)
    effect = _spec(at, "difference")
    diff = trace_values(effect, "difference")
    assert np.all(diff[:39] == 0.0) and diff[39] > 0.1
    assert diff[-1] < 1e-3                                     # the stable fixed point pulls h back: memory kept
    ov = np.full((60, 1, 1), np.nan)
    ov[39] = 0.0
    np.testing.assert_allclose(_h(_open(at, "Over time")), _scalar_ref(override={"r": ov}, **LATCH).h[:, 0, 0],
                               atol=1e-12)
    _open(at, "Effect of the intervention")
    at.segmented_control(key="ge_force").set_value("z").run()  # z = 0 at the stored state writes n = h: no change
    assert float(np.max(trace_values(_spec(at, "difference"), "difference"))) < 1e-6
    assert any("Intervention on" in i.value for i in at.info)


def test_make_it_an_rnn_preset_shows_the_exact_identity_and_clear_resets():
    at = run_app(PAGE)
    at.button(key="ge_rnn_preset").click().run()
    assert not exceptions(at)
    assert at.toggle(key="ge_clamp_z").value is True and at.slider(key="ge_z_value").value == 0.0
    assert at.radio(key="ge_clamp_r").value == "1"
    text = " ".join(i.value for i in at.info)
    assert "exactly a tanh RNN" in text and "largest difference exactly 0" in text
    assert "the RNN has forgotten it" in text and "the GRU without the clamps still holds" in text
    # the chart is a tanh RNN run: h_t = tanh(W_n x_t + U_n h_{t-1} + b_n)
    x = gru_core.signal("impulse", 60, 1, at=14)
    h, hs = 0.0, []
    for xt in x[:, 0]:
        h = np.tanh(DEFAULT["wn"] * xt + DEFAULT["un"] * h + DEFAULT["bn"])
        hs.append(h)
    np.testing.assert_allclose(_h(at), hs, atol=1e-14)
    at.button(key="ge_clear").click().run()
    assert at.toggle(key="ge_clamp_z").value is False and at.radio(key="ge_clamp_r").value == "off"
    np.testing.assert_allclose(_h(at), _scalar_ref().h[:, 0, 0], atol=1e-12)


def test_make_it_an_rnn_on_the_latch_says_the_rnn_remembers_because_it_is_bistable():
    at = run_app(PAGE, **LATCH_URL)
    at.button(key="ge_rnn_preset").click().run()
    text = " ".join(i.value for i in at.info)
    assert "the RNN still holds" in text and "bistable" in text


def test_the_bistable_preset_sets_the_latch_and_the_default_preset_restores_it():
    at = run_app(PAGE)
    at.menu_button(key="ge_preset").click("Bistable latch (U_n = 3)").run()
    assert not exceptions(at)
    assert (at.slider(key="ge_un").value, at.slider(key="ge_wz").value, at.slider(key="ge_bz").value) == (3.0, -4.0, 0.0)
    np.testing.assert_allclose(_h(at), _scalar_ref(**LATCH).h[:, 0, 0], atol=1e-12)
    at.menu_button(key="ge_preset").click("Memory held by the update gate (default)").run()
    np.testing.assert_allclose(_h(at), _scalar_ref().h[:, 0, 0], atol=1e-12)


def _multi_ref(H=8, seed=0, scales=(1, 1, 1, 1, 1, 1), biases=(0, 0, 0), T=60, amplitude=1.0):
    cell = gru_core.make_cell("gru", 1, H, seed=seed)
    P = {k: v.copy() for k, v in cell.params.items()}
    for k in range(3):
        P["weight_ih"][k * H:(k + 1) * H] *= scales[k]
        P["weight_hh"][k * H:(k + 1) * H] *= scales[3 + k]
        P["bias_ih"][k * H:(k + 1) * H] += biases[k]
    x = gru_core.signal("sine", T, 1, seed=seed, at=14, amplitude=amplitude, period=max(T / 3, 2.0))
    return gru_core.record(gru_core.Cell("gru", 1, H, P, dict(cell.options)), x)


def test_multi_unit_heatmaps_and_lines_hold_the_engine_gates():
    at = run_app(PAGE, ge_mode="Multi-unit GRU")
    assert not exceptions(at)
    ref = _multi_ref()
    heat = _spec(at, "z")
    np.testing.assert_allclose(trace_values(heat, "z", "z"), ref.gates["z"][:, 0].T, atol=1e-6)
    np.testing.assert_allclose(trace_values(heat, "r", "z"), ref.gates["r"][:, 0].T, atol=1e-6)
    lines = _spec(_open(at, "States over time"), "unit 3")
    np.testing.assert_allclose(trace_values(lines, "unit 3"), ref.h[:, 0, 2], atol=1e-12)


@pytest.mark.parametrize("key,value,kw", [
    ("ge_s_ir", 4.0, dict(scales=(4, 1, 1, 1, 1, 1))), ("ge_s_iz", 0.0, dict(scales=(1, 0, 1, 1, 1, 1))),
    ("ge_s_in", 6.0, dict(scales=(1, 1, 6, 1, 1, 1))), ("ge_s_hr", 3.0, dict(scales=(1, 1, 1, 3, 1, 1))),
    ("ge_s_hz", 5.0, dict(scales=(1, 1, 1, 1, 5, 1))), ("ge_s_hn", 2.5, dict(scales=(1, 1, 1, 1, 1, 2.5))),
    ("ge_b_r", -2.0, dict(biases=(-2, 0, 0))), ("ge_b_z", 4.0, dict(biases=(0, 4, 0))),
    ("ge_b_n", 1.0, dict(biases=(0, 0, 1))), ("ge_hidden", 3, dict(H=3))])
def test_each_multi_unit_control_reaches_the_engine(key, value, kw):
    at = run_app(PAGE, ge_mode="Multi-unit GRU")
    at.slider(key=key).set_value(value).run()
    assert not exceptions(at)
    ref = _multi_ref(**kw)
    np.testing.assert_allclose(trace_values(_spec(at, "z"), "z", "z"), ref.gates["z"][:, 0].T, atol=1e-6)


def test_saturation_shares_follow_the_bias():
    at = run_app(PAGE, ge_mode="Multi-unit GRU", ge_b_z="6", ge_view="gates")
    ref = _multi_ref(biases=(0, 6, 0))
    spec = _spec(at, "in between")
    near1 = trace_values(spec, "near 1 (> 0.95)", "x")
    assert near1[1] == pytest.approx(100 * np.mean(ref.gates["z"] > 0.95))
    assert near1[1] > 90


def test_bad_link_values_fall_back_with_a_note():
    at = run_app(PAGE, ge_mode="Multi-unit GRU", ge_hidden="99", ge_clamp_r="2")
    assert not exceptions(at)
    assert at.slider(key="ge_hidden").value == 16
    notes = " ".join(warnings_text(at))
    assert "ge_hidden=99" in notes and "ge_clamp_r=2" in notes


def test_only_the_open_tab_is_drawn_and_the_tab_is_in_the_link():
    at = run_app(PAGE)
    assert [t["data"][1]["name"] for t in plotly_specs(at)] == ["r<sub>t</sub>"]   # one chart: the run over time
    assert at.query_params.get("ge_view") is None                                  # the default tab: no word
    for label, word, trace in (("Memory as a fixed point", "map", "map f(h) = next state"),
                               ("Gate saturation", "gates", "in between")):
        specs = plotly_specs(_open(at, label))
        assert len(specs) == 1 and any(t.get("name") == trace for t in specs[0]["data"])
        assert at.query_params.get("ge_view") == word
    at = run_app(PAGE, ge_view="effect")                      # no intervention yet: words, no chart
    assert not plotly_specs(at) and "Make it an RNN" in " ".join(m.value for m in at.markdown)
    at.toggle(key="ge_clamp_z").set_value(True).run()
    assert [t["data"][0]["name"] for t in plotly_specs(at)] == ["difference"]


def test_a_tab_of_the_other_mode_opens_the_first_tab_of_this_one():
    at = run_app(PAGE, ge_view="map")
    at.segmented_control(key="ge_mode").set_value("multi").run()
    assert not exceptions(at)
    assert at.session_state["ge_view"] == "Gates over time" and at.query_params.get("ge_view") is None
    assert [t["data"][0]["name"] for t in plotly_specs(at)] == ["r"]
