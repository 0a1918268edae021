"""Step-through page in AppTest: every control changes what is shown, and what is shown is the engine's numbers.

The reference numbers are recomputed here straight from gru_core (record of the seeded cell on the same signal),
never read back from the page's own helpers."""
from __future__ import annotations

import base64
import re

import numpy as np
import pytest

import gru_core
from tests.app.conftest import exceptions, plotly_specs, run_app, warnings_text

PAGE = "step_through"


def _reference(H=3, I=1, seed=0, T=20, amplitude=1.0, signal="sine", mix="torch", reset="after", x=None):
    """Engine trace of the page's default model, written out independently of lab.inside_gru."""
    if x is None:
        x = gru_core.signal(signal, T, I, seed=seed, at=min(2, T - 1), amplitude=amplitude, period=12.0)
    cell = gru_core.make_cell("gru", I, H, seed=seed, reset=reset)
    if mix == "wiki":                                          # the page's relabelling: negate the z rows
        P = {k: v.copy() for k, v in cell.params.items()}
        for k in P:
            P[k][H:2 * H] *= -1
        cell = gru_core.Cell("gru", I, H, P, dict(cell.options, mix="wiki"))
    return gru_core.record(cell, x)


def _svg(at) -> str:
    """The cell diagram (the page's one picture) as SVG text."""
    (url,) = at.get("image")[0].value
    return base64.b64decode(url.removeprefix("data:image/svg+xml;base64,")).decode()


def _diagram(at) -> dict[str, float]:
    """The cell diagram's parts and their exact values, read from the picture's SVG (data-key / data-value)."""
    return {k: float(v) for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]+)"', _svg(at))}


def _latex(at) -> list[str]:
    """The LaTeX sources of every st.latex element (Streamlit wraps them in $$ ... $$)."""
    return [el.value.strip().removeprefix("$$").removesuffix("$$").strip() for el in at.latex]


@pytest.fixture(scope="module")
def default_app():
    return run_app(PAGE)


def test_defaults_show_step_4_unit_1_with_the_engine_numbers(default_app):
    at = default_app
    assert not exceptions(at)
    assert at.slider(key="st_t").value == 4
    tr = _reference()
    d = _diagram(at)
    for g in ("r", "z", "n"):
        assert d[g] == pytest.approx(tr.gates[g][3, 0, 0], abs=1e-12)
    assert d["h"] == pytest.approx(tr.h[3, 0, 0], abs=1e-12)
    assert d["h_prev"] == pytest.approx(tr.h[2, 0, 0], abs=1e-12)
    assert not at.latex                                  # the equations have their own tab
    at.session_state["st_view"] = "The four equations"
    at.run()
    latex = _latex(at)
    # the four equations, each symbolic and with numbers; z's numeric line ends with the engine's z
    assert sum(e.startswith("r_t =") or e.startswith("z_t =") or e.startswith("h_t =") for e in latex) == 3
    html = [el.proto.body for el in at.html]
    z_num = next(e for e in html if "<i>z</i><sub>4,1</sub>" in e)
    assert z_num.endswith(f"= {tr.gates['z'][3, 0, 0]:.3f}".replace("-", "−") + "</div></div>")
    h_num = next(e for e in html if "<i>h</i><sub>4,1</sub>" in e)
    assert h_num.endswith(f"= {tr.h[3, 0, 0]:.3f}".replace("-", "−") + "</div></div>")
    assert not at.code                                   # the code sits in a closed expander that runs when opened
    at.session_state["st_code"] = True
    at.run()
    code = at.code[0].value
    assert code.strip() == gru_core.step_source("gru").strip() and code.startswith("def gru(")


def test_next_back_and_the_slider_move_the_step():
    at = run_app(PAGE)
    tr = _reference()
    at.button(key="st_next").click().run()
    assert at.slider(key="st_t").value == 5
    assert _diagram(at)["h"] == pytest.approx(tr.h[4, 0, 0], abs=1e-12)
    at.button(key="st_prev").click().run()
    at.button(key="st_prev").click().run()
    assert at.slider(key="st_t").value == 3
    at.slider(key="st_t").set_value(20).run()
    assert not exceptions(at)
    assert _diagram(at)["z"] == pytest.approx(tr.gates["z"][19, 0, 0], abs=1e-12)
    assert at.button(key="st_next").disabled                 # last step: nothing after it
    at.slider(key="st_t").set_value(1).run()
    assert at.button(key="st_prev").disabled and _diagram(at)["h_prev"] == 0.0


def test_play_starts_and_pauses_and_restarts_from_the_first_step_at_the_end():
    at = run_app(PAGE)
    assert at.button(key="st_play").label == "Play"
    at.button(key="st_play").click().run()
    assert at.session_state["_st_playing"] is True and at.button(key="st_play").label == "Pause"
    at.button(key="st_play").click().run()
    assert at.session_state["_st_playing"] is False
    at.slider(key="st_t").set_value(20).run()
    at.button(key="st_play").click().run()
    assert at.slider(key="st_t").value == 1 and at.session_state["_st_playing"] is True
    at.button(key="st_next").click().run()                   # stepping by hand stops playing
    assert at.session_state["_st_playing"] is False and at.slider(key="st_t").value == 2


def test_unit_selector_and_sizes_change_the_diagram():
    at = run_app(PAGE)
    at.selectbox(key="st_unit").set_value(3).run()
    tr = _reference()
    assert _diagram(at)["r"] == pytest.approx(tr.gates["r"][3, 0, 2], abs=1e-12)
    assert "GRU cell, unit 3, step t = 4" in _svg(at)
    at.slider(key="st_hidden").set_value(2).run()            # unit 3 no longer exists: clamped to 2
    assert not exceptions(at)
    assert at.selectbox(key="st_unit").value == 2
    tr2 = _reference(H=2)
    assert _diagram(at)["r"] == pytest.approx(tr2.gates["r"][3, 0, 1], abs=1e-12)
    at.slider(key="st_input").set_value(3).run()
    assert not exceptions(at)
    assert _diagram(at)["n"] == pytest.approx(_reference(H=2, I=3).gates["n"][3, 0, 1], abs=1e-12)


def test_signal_length_and_amplitude_controls():
    at = run_app(PAGE)
    at.selectbox(key="st_signal").set_value("noise").run()
    at.slider(key="st_amp").set_value(2.0).run()
    assert _diagram(at)["h"] == pytest.approx(_reference(signal="noise", amplitude=2.0).h[3, 0, 0], abs=1e-12)
    at.slider(key="st_t").set_value(15).run()
    at.slider(key="st_len").set_value(10).run()              # the step was beyond the new end: clamped
    assert not exceptions(at)
    assert at.slider(key="st_t").value == 10 and at.slider(key="st_t").max == 10
    ref = _reference(signal="noise", amplitude=2.0, T=10)
    assert _diagram(at)["h"] == pytest.approx(ref.h[9, 0, 0], abs=1e-12)


def test_mix_switch_turns_z_into_one_minus_z_and_keeps_h():
    at = run_app(PAGE)
    before = _diagram(at)
    at.radio(key="st_mix").set_value("wiki").run()
    assert not exceptions(at)
    after = _diagram(at)
    assert after["z"] == pytest.approx(1 - before["z"], abs=1e-14)
    assert after["h"] == pytest.approx(before["h"], abs=1e-14)
    assert after["keep"] == pytest.approx(before["keep"], abs=1e-14)
    assert after["z"] == pytest.approx(_reference(mix="wiki").gates["z"][3, 0, 0], abs=1e-12)
    at.session_state["st_view"] = "The four equations"
    at.run()
    assert any(e == r"h_t = \left(1 - z_t\right) \odot h_{t-1} + z_t \odot n_t" for e in _latex(at))
    at.session_state["st_view"] = "The two conventions"
    at.run()
    assert any("Equivalent up to relabelling" in s.value for s in at.success)


def test_reset_switch_changes_the_model_and_says_so():
    at = run_app(PAGE)
    before = _diagram(at)
    at.radio(key="st_reset").set_value("before").run()
    after = _diagram(at)
    assert after["n"] != pytest.approx(before["n"], abs=1e-6)
    assert after["h"] == pytest.approx(_reference(reset="before").h[3, 0, 0], abs=1e-12)
    at.session_state["st_view"] = "The four equations"
    at.run()
    assert any(r"W_{hn}(r_t \odot h_{t-1})" in e for e in _latex(at))
    at.session_state["st_view"] = "The two conventions"
    at.run()
    assert any("Not equivalent" in w for w in warnings_text(at))


def test_typed_sequence_drives_the_run_and_bad_input_gets_a_clear_message():
    at = run_app(PAGE)
    at.segmented_control(key="st_source").set_value("typed").run()
    at.text_input(key="st_seq").input("0.5, -1, 2, 0, 1").run()
    assert not exceptions(at) and not at.error
    assert at.slider(key="st_t").max == 5
    x = np.array([[0.5], [-1], [2], [0], [1]])
    assert _diagram(at)["h"] == pytest.approx(_reference(x=x).h[3, 0, 0], abs=1e-12)
    at.text_input(key="st_seq").input("1, two, 3").run()
    assert not exceptions(at)
    assert len(at.error) == 1 and "`two` is not a number" in at.error[0].value
    assert len(at.get("image")) == 2           # the page still works on the default sequence (wide + narrow drawing)
    at.slider(key="st_input").set_value(2).run()             # a 2-channel input needs ';' between steps
    at.text_input(key="st_seq").input("1, 0; 0").run()
    assert "input size is 2" in at.error[0].value
    at.text_input(key="st_seq").input("1, 0; 0, 1; 1, 1").run()
    assert not at.error and at.slider(key="st_t").max == 3


def test_a_shared_link_reproduces_the_view_and_bad_values_fall_back_with_a_note():
    at = run_app(PAGE, st_hidden="5", st_t="7", st_unit="unit 4", st_mix="Chung / Wikipedia: h = (1−z)·h_prev + z·n")
    assert not exceptions(at)
    d = _diagram(at)
    assert d["z"] == pytest.approx(_reference(H=5, mix="wiki").gates["z"][6, 0, 3], abs=1e-12)
    bad = run_app(PAGE, st_hidden="99", st_t="abc")
    assert not exceptions(bad)
    assert bad.slider(key="st_hidden").value == 8
    notes = " ".join(warnings_text(bad))
    assert "st_hidden=99" in notes and "st_t=abc" in notes


def test_the_run_can_be_downloaded():
    at = run_app(PAGE)
    dl = at.get("download_button")
    assert len(dl) == 1


def test_only_the_open_tab_is_drawn_and_the_tab_is_in_the_link():
    at = run_app(PAGE)
    assert len(at.get("image")) == 2 and not at.get("plotly_chart")  # the cell: one picture (wide, narrow), no chart
    assert "st_view" not in at.query_params                                # the default tab: nothing in the link
    at.session_state["st_view"] = "The four equations"
    at.run()
    assert len(at.latex) == 4 and not at.get("image") and not at.get("plotly_chart")
    assert at.query_params["st_view"] == "equations"
    at.session_state["st_view"] = "The whole sequence"
    at.run()
    assert not exceptions(at) and not at.get("image") and not at.latex     # the cell's picture and equations
    (spec,) = plotly_specs(at)                                             # are not built; the sequence chart is
    assert f"step {at.slider(key='st_t').value}" in [t.get("name") for t in spec["data"]]
    assert at.query_params["st_view"] == "sequence"
    link = run_app(PAGE, st_view="conventions", st_t="6")                  # a link opens its tab
    (spec,) = plotly_specs(link)
    assert any("Chung/Wikipedia" in (t.get("name") or "") for t in spec["data"]) and not link.get("image")
    assert any("Equivalent up to relabelling" in s.value for s in link.success)
    link.slider(key="st_t").set_value(9).run()                             # the step control stays above the tabs
    assert not exceptions(link) and link.query_params["st_view"] == "conventions"
