"""The step-through and gate-explorer pages in real Chromium against a real server: buttons, the play timer, the
convention switch, typed input errors and the gate interventions change what the charts hold, and what they hold
is the engine's numbers (recomputed here from gru_core)."""
from __future__ import annotations

import base64
import re
import time

import numpy as np
import pytest
from playwright.sync_api import expect

import gru_core
from tests.e2e.conftest import chart_data, location, wait_for_app_idle

pytestmark = pytest.mark.e2e


def _wait_until(fn, timeout: float = 30.0, what: str = "condition"):
    """Poll fn() until it returns a truthy value (reruns finish asynchronously in the browser)."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = fn()
            if last:
                return last
        except (StopIteration, KeyError, TypeError, IndexError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last value {last!r})")


def _parts(page) -> dict[str, float]:
    """The cell diagram's node values, read from the SVG picture the browser shows (its data-key / data-value)."""
    src = page.locator('[data-testid="stMain"] [data-testid="stImage"] img').first.get_attribute("src")
    svg = base64.b64decode(src.removeprefix("data:image/svg+xml;base64,")).decode()
    return {k: float(v) for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]+)"', svg)}


def _engine_step_through(t: int, unit: int = 0, mix: str = "torch"):
    x = gru_core.signal("sine", 20, 1, at=2, period=12.0)
    tr = gru_core.record(gru_core.make_cell("gru", 1, 3, seed=0), x)
    z = tr.gates["z"][t - 1, 0, unit]
    return dict(z=z if mix == "torch" else 1 - z, h=tr.h[t - 1, 0, unit], n=tr.gates["n"][t - 1, 0, unit])


def test_step_buttons_move_the_diagram_and_the_link(open_page):
    page = open_page("step_through")
    ref = _engine_step_through(4)
    d = _parts(page)
    assert d["z"] == pytest.approx(ref["z"], abs=1e-12) and d["h"] == pytest.approx(ref["h"], abs=1e-12)
    page.get_by_role("button", name="Next").click()
    ref5 = _engine_step_through(5)
    _wait_until(lambda: abs(_parts(page)["h"] - ref5["h"]) < 1e-12, what="diagram at step 5")
    page.wait_for_function("() => location.search.includes('st_t=5')")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_play_advances_the_step_on_its_own_and_pause_stops_it(open_page):
    page = open_page("step_through")
    page.get_by_role("button", name="Play").click()
    ref6 = _engine_step_through(6)
    _wait_until(lambda: abs(_parts(page)["h"] - ref6["h"]) < 1e-12, timeout=20, what="two timer ticks")
    page.get_by_role("button", name="Pause").click()
    wait_for_app_idle(page)
    time.sleep(0.5)
    held = _parts(page)["h"]
    time.sleep(2.5)                                           # two tick intervals: nothing moves any more
    assert _parts(page)["h"] == held
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def test_mix_switch_mirrors_z_and_keeps_h(open_page):
    page = open_page("step_through")
    before = _parts(page)
    page.get_by_role("radiogroup", name="Mixing convention").get_by_text("Chung / Wikipedia").click()
    _wait_until(lambda: abs(_parts(page)["z"] - before["z"]) > 1e-9, what="z to change")
    after = _parts(page)
    assert after["z"] == pytest.approx(1 - before["z"], abs=1e-14)
    assert after["h"] == pytest.approx(before["h"], abs=1e-14)
    page.get_by_role("tab", name="The two conventions").click()          # its own tab, drawn when opened
    expect(page.get_by_text("Equivalent up to relabelling.")).to_be_visible()
    page.wait_for_function("() => location.search.includes('st_view=conventions')")


def test_typed_sequence_that_does_not_parse_gets_a_message_not_a_traceback(open_page):
    page = open_page("step_through", st_source="Typed")
    box = page.get_by_role("textbox", name="Typed sequence")
    box.fill("1, 0.5, banana")
    box.press("Enter")
    expect(page.get_by_text("is not a number (use a dot for decimals", exact=False)).to_be_visible()
    expect(page.locator('[data-testid="stAlertContentError"] code', has_text="banana")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    box.fill("1, -1, 0.5")
    box.press("Enter")
    x = np.array([[1.0], [-1.0], [0.5]])
    want = gru_core.record(gru_core.make_cell("gru", 1, 3, seed=0), x).h[2, 0, 0]    # step 4 clamps to T = 3
    _wait_until(lambda: abs(_parts(page)["h"] - want) < 1e-12, what="diagram of the typed sequence")
    assert "st_seq=" in location(page)


def _gate_h(page) -> np.ndarray:
    return np.asarray(next(t for t in chart_data(page, 0) if t["name"] == "h<sub>t</sub>")["y"], dtype=float)


def test_rnn_preset_makes_the_scalar_gru_a_tanh_rnn(open_page):
    page = open_page("gate_explorer")
    page.get_by_role("button", name="Make it an RNN").click()
    expect(page.get_by_text("exactly a tanh RNN", exact=False)).to_be_visible()
    expect(page.get_by_text("the RNN has forgotten it", exact=False)).to_be_visible()
    x = gru_core.signal("impulse", 60, 1, at=14)[:, 0]
    h, hs = 0.0, []
    for xt in x:                                              # W_n = 2, U_n = 0.8, b_n = 0 (page defaults)
        h = np.tanh(2.0 * xt + 0.8 * h)
        hs.append(h)
    _wait_until(lambda: np.allclose(_gate_h(page), hs, atol=1e-14, rtol=0), what="the RNN run")
    assert "ge_clamp_z=true" in location(page)


def test_multi_unit_link_shows_the_engine_gates(open_page):
    page = open_page("gate_explorer", ge_mode="Multi-unit GRU", ge_b_z="4", ge_hidden="4")
    cell = gru_core.make_cell("gru", 1, 4, seed=0)
    cell.params["bias_ih"][4:8] += 4.0
    ref = gru_core.record(cell, gru_core.signal("sine", 60, 1, at=14, period=20.0))
    heat = next(t for t in chart_data(page, 0) if t["name"] == "z")
    np.testing.assert_allclose(np.asarray(heat["z"], dtype=float), ref.gates["z"][:, 0].T, atol=1e-6)
    assert page.locator('[data-testid="stException"]').count() == 0
