"""Figures and analyses of the gate-explorer page hold the engine's numbers: gate heatmaps, state lines with the
un-intervened twin, saturation shares, the intervention effect, and the scalar map with its fixed points and cobweb
(checked against a closed form). Also the typed-sequence parser of the step-through page."""
from __future__ import annotations

import math

import numpy as np
import pytest

import gru_core
from lab import inside_gru as G
from lab.figures import gates as F


@pytest.fixture(scope="module")
def multi():
    cell = G.scaled_gru(1, 5, 3, (3.0, 3.0, 3.0, 2.0, 2.0, 2.0), (0.0, 1.0, 0.0))
    return cell, gru_core.signal("sine", 40, 1, period=13.0)


# ------------------------------------------------------------------------------------------------ figures

def test_gate_heatmaps_hold_r_and_z_as_unit_by_time(multi):
    cell, x = multi
    run = G.run(cell, x)
    fig = F.gate_heatmaps(run.r, run.z)
    hr, hz = fig.data
    assert (hr.name, hz.name) == ("r", "z")
    np.testing.assert_allclose(np.asarray(hr.z), run.r.T, atol=1e-7)        # float32 for display
    np.testing.assert_allclose(np.asarray(hz.z), run.z.T, atol=1e-7)
    assert (hr.zmin, hr.zmax) == (0.0, 1.0) and list(hr.x) == list(range(1, 41)) and list(hr.y) == [1, 2, 3, 4, 5]


def test_state_lines_draw_the_untouched_run_widest_under_the_intervened(multi):
    cell, x = multi
    c = G.compare(cell, x, G.Intervention(force_gate="z", force_step=10, force_value=0.0))
    fig = F.state_lines(c.run.h, c.base.h)
    base = [tr for tr in fig.data if tr.name == "without intervention"]
    units = [tr for tr in fig.data if tr.name.startswith("unit")]
    assert len(base) == 5 and len(units) == 5 and base[0].line.dash == "solid"
    assert base[0].line.width > max(u.line.width for u in units)
    assert [tr.showlegend for tr in units] == [False] * 5          # no legend row per unit (it ran into charts)
    np.testing.assert_array_equal(units[2].y, c.run.h[:, 2])
    np.testing.assert_array_equal(base[2].y, c.base.h[:, 2])
    assert len(F.state_lines(c.run.h).data) == 5


def test_forcing_a_gate_changes_nothing_before_its_step(multi):
    cell, x = multi
    c = G.compare(cell, x, G.Intervention(force_gate="z", force_step=10, force_value=0.0))
    assert np.all(c.diff[:9] == 0.0) and c.diff[9] > 1e-3
    fig = F.intervention_effect(c.diff, 10)
    np.testing.assert_array_equal(fig.data[0].y, c.diff)
    assert any(getattr(s, "x0", None) == 10 for s in fig.layout.shapes)


def test_clamping_z_to_one_freezes_the_state(multi):
    cell, x = multi
    c = G.compare(cell, x, G.Intervention(clamp_z=1.0))
    np.testing.assert_array_equal(c.run.h, np.zeros_like(c.run.h))             # h0 = 0 is kept forever
    np.testing.assert_array_equal(c.run.z, np.ones_like(c.run.z))
    c0 = G.compare(cell, x, G.Intervention(clamp_z=0.0))
    np.testing.assert_allclose(c0.run.h, c0.run.n, atol=0)                      # z = 0: h is the candidate


def test_saturation_chart_holds_the_shares(multi):
    cell, x = multi
    run = G.run(cell, x)
    shares = {"r": G.saturation_shares(run.r), "z": G.saturation_shares(run.z)}
    fig = F.saturation_chart(shares)
    near0, mid, near1 = fig.data
    for k, g in enumerate(("r", "z")):
        vals = run.r if g == "r" else run.z
        assert near0.x[k] == pytest.approx(100 * np.mean(vals < 0.05))
        assert near1.x[k] == pytest.approx(100 * np.mean(vals > 0.95))
        assert near0.x[k] + mid.x[k] + near1.x[k] == pytest.approx(100.0)


def test_saturation_shares_count_values_near_0_and_1():
    g = np.array([0.0, 0.01, 0.5, 0.96, 1.0, 0.2, 0.049, 0.951])
    assert G.saturation_shares(g) == pytest.approx((3 / 8, 2 / 8, 3 / 8))
    assert G.saturation_shares(g, eps=0.3) == pytest.approx((4 / 8, 1 / 8, 3 / 8))
    assert all(math.isnan(v) for v in G.saturation_shares(np.array([np.nan])))


def test_scalar_lines_hold_the_scalar_run():
    cell = G.scalar_gru(-4, 0, 0, 0, 0, 3, 2, 3, 0)
    x = gru_core.signal("impulse", 30, 1, at=5)
    run = G.run(cell, x)
    fig = F.scalar_lines(run.x[:, 0], run.r[:, 0], run.z[:, 0], run.n[:, 0], run.h[:, 0])
    by = {tr.name: np.asarray(tr.y) for tr in fig.data}
    np.testing.assert_array_equal(by["h<sub>t</sub>"], run.h[:, 0])
    np.testing.assert_array_equal(by["z<sub>t</sub>"], run.z[:, 0])
    np.testing.assert_array_equal(by["input x<sub>t</sub>"], x[:, 0])
    # the default flip-flop: the impulse writes (z drops) and the state stays up afterwards
    assert run.z[5, 0] < 0.05 and run.h[-1, 0] > 0.9


def test_the_run_without_intervention_is_the_most_visible_line_and_drawn_on_top():
    cell = G.scalar_gru(-4, 0, 0, 0, 0, 3, 2, 3, 0)
    x = gru_core.signal("impulse", 30, 1, at=5)
    c = G.compare(cell, x, G.Intervention(clamp_r=0.0))
    fig = F.scalar_lines(c.run.x[:, 0], c.run.r[:, 0], c.run.z[:, 0], c.run.n[:, 0], c.run.h[:, 0], c.base.h[:, 0])
    base = fig.data[-1]
    assert base.name == "h<sub>t</sub> without intervention" and base.line.dash == "solid"
    assert base.line.width > max(tr.line.width for tr in fig.data[:-1])
    np.testing.assert_array_equal(base.y, c.base.h[:, 0])


def test_every_gate_figure_is_valid_plotly_with_its_legend_above_the_plot(multi):
    from lab.figures.common import validate_figure
    cell, x = multi
    c = G.compare(cell, x, G.Intervention(force_gate="z", force_step=10, force_value=0.0))
    scalar = G.compare(G.scalar_gru(-4, 0, 0, 0, 0, 3, 2, 3, 0), x, G.Intervention(clamp_z=0.5))
    s = scalar.run
    h = np.linspace(-1, 1, 21)
    figs = [F.gate_heatmaps(c.run.r, c.run.z), F.state_lines(c.run.h, c.base.h),
            F.saturation_chart({"r": (0.1, 0.8, 0.1), "z": (0.2, 0.3, 0.5)}), F.intervention_effect(c.diff, 10),
            F.scalar_lines(s.x[:, 0], s.r[:, 0], s.z[:, 0], s.n[:, 0], s.h[:, 0], scalar.base.h[:, 0]),
            F.cobweb_figure(h, np.tanh(2 * h), [], h, h, x_const=0.0)]
    for fig in figs:
        validate_figure(fig)
        legend = fig.layout.legend
        assert fig.layout.showlegend is not False and (legend.y is None or legend.y >= 1.0)


# ------------------------------------------------------------------------------------------------ scalar map

def _closed_form_root(k: float) -> float:
    """Positive solution of h = tanh(k h) (k > 1), by plain bisection in float64."""
    lo, hi = 1e-9, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if math.tanh(k * mid) - mid > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def test_fixed_points_of_the_scalar_map_match_the_closed_form():
    """z = sigma(0) = 1/2 and r = sigma(b_r) give f(h) = h/2 + tanh(U_n r h)/2: fixed points 0 and +-h* with
    h* = tanh(k h*), k = U_n r; slopes f'(h) = 1/2 + k (1 - tanh(k h)^2)/2."""
    b_r, U_n = 1.0, 3.0
    r = 1 / (1 + math.exp(-b_r))
    k = U_n * r
    cell = G.scalar_gru(0, 0, 0, 0, 0, b_r, 0, U_n, 0)
    fps = G.fixed_points(cell, 0.0)
    hstar = _closed_form_root(k)
    assert [p.h for p in fps] == pytest.approx([-hstar, 0.0, hstar], abs=1e-12)
    slopes = [0.5 + 0.5 * k * (1 - math.tanh(k * p.h) ** 2) for p in fps]
    assert [p.slope for p in fps] == pytest.approx(slopes, abs=1e-12)
    assert [p.stable for p in fps] == [True, False, True]
    h = np.linspace(-1, 1, 11)
    np.testing.assert_allclose(G.scalar_map(cell, 0.0, h), 0.5 * h + 0.5 * np.tanh(k * h), atol=1e-15)


def test_clamps_change_the_map_and_its_fixed_points():
    cell = G.scalar_gru(0, 0, 0, 0, 0, 1.0, 0, 3.0, 0)
    only = G.fixed_points(cell, 0.0, clamp_r=0.0)                   # r = 0: f(h) = h/2, one stable point at 0
    assert len(only) == 1 and only[0].h == pytest.approx(0.0, abs=1e-12) and only[0].slope == pytest.approx(0.5)
    assert G.fixed_points(cell, 0.0, clamp_z=1.0) == []              # z = 1: every h is fixed
    np.testing.assert_allclose(G.scalar_map(cell, 0.0, np.array([0.3]), clamp_z=1.0), [0.3], atol=0)


def test_cobweb_path_alternates_vertical_and_horizontal_moves():
    xs, ys = G.cobweb_path(0.1, np.array([0.2, 0.3, 0.35]))
    assert list(xs) == [0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.35]
    assert list(ys) == [0.1, 0.2, 0.2, 0.3, 0.3, 0.35, 0.35]


def test_cobweb_figure_holds_map_fixed_points_and_trajectory():
    cell = G.scalar_gru(0, 0, 0, 0, 0, 1.0, 0, 3.0, 0)
    hs = np.linspace(-1, 1, 201)
    f = G.scalar_map(cell, 0.0, hs)
    fps = G.fixed_points(cell, 0.0)
    traj = G.run(cell, np.zeros((60, 1)), h0=[0.1]).h[:, 0]
    cx, cy = G.cobweb_path(0.1, traj)
    fig = F.cobweb_figure(hs, f, fps, cx, cy, x_const=0.0)
    by = {tr.name: tr for tr in fig.data}
    np.testing.assert_array_equal(by["map f(h) = next state"].y, f)
    np.testing.assert_array_equal(by["cobweb of the trajectory"].x, cx)
    stable = by["stable fixed point (memory)"]
    assert list(stable.x) == pytest.approx([fps[0].h, fps[2].h])
    assert list(by["unstable fixed point"].x) == pytest.approx([0.0], abs=1e-12)
    assert traj[-1] == pytest.approx(fps[2].h, abs=1e-6)            # the staircase climbs to the stable point


# ------------------------------------------------------------------------------------------------ inputs and overrides

def test_parse_sequence_accepts_numbers_and_explains_what_is_wrong():
    x, err = G.parse_sequence("1, 0, -0.5, 2e-1, .5", 1)
    assert err is None and x.shape == (5, 1) and list(x[:, 0]) == [1, 0, -0.5, 0.2, 0.5]
    x, err = G.parse_sequence("1, 0; 0, 1;", 2)
    assert err is None and x.tolist() == [[1, 0], [0, 1]]
    for text, fragment in (("", "empty"), ("1, a", "`a` is not a number"), ("1,,2", "empty"),
                           ("1, 1e9", "outside the allowed range"), ("1, nan", "not a number"),
                           (", ".join(["1"] * 201), "at most 200")):
        x, err = G.parse_sequence(text, 1)
        assert x is None and fragment in err, (text, err)
    x, err = G.parse_sequence("1, 0; 1", 2)
    assert x is None and "has 1 number(s) but the input size is 2" in err


def test_override_arrays_set_clamps_and_one_forced_step():
    ov = G.override_arrays(5, 2, clamp_r=1.0, force_gate="z", force_step=3, force_value=0.25)
    assert ov["r"].shape == (5, 1, 2) and np.all(ov["r"] == 1.0)
    assert np.all(np.isnan(ov["z"][[0, 1, 3, 4]])) and np.all(ov["z"][2] == 0.25)
    both = G.override_arrays(4, 1, clamp_z=0.5, force_gate="z", force_step=2, force_value=1.0)
    assert both["z"][:, 0, 0].tolist() == [0.5, 1.0, 0.5, 0.5]
    assert G.override_arrays(4, 1) is None
    with pytest.raises(ValueError):
        G.override_arrays(4, 1, force_gate="n")
