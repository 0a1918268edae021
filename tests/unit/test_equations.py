"""lab.equations: the terms substituted into the four equations add up to the engine's own numbers, and the LaTeX
the step-through page shows carries exactly those numbers in the chosen convention."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import gru_core
from lab import equations as E
from lab import inside_gru as G

CONVENTIONS = [("torch", "after"), ("torch", "before"), ("wiki", "after"), ("wiki", "before")]


def _run(mix, reset, H=3, I=2, T=9, seed=4):
    x = np.random.default_rng(seed).normal(size=(T, I))
    cell = gru_core.make_cell("gru", I, H, seed=seed, mix=mix, reset=reset)
    return G.run(cell, x)


@pytest.mark.parametrize("mix,reset", CONVENTIONS)
def test_step_terms_reproduce_the_engine_trace_at_every_step_and_unit(mix, reset):
    run = _run(mix, reset)
    for t in range(1, run.steps + 1):
        for j in range(run.h.shape[1]):
            s = E.step_terms(run.params, run.x[t - 1], run.h_prev(t), j, t=t, mix=mix, reset=reset)
            got = [s.r, s.z, s.n, s.h]
            want = [run.r[t - 1, j], run.z[t - 1, j], run.n[t - 1, j], run.h[t - 1, j]]
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
            # the pre-activations are the sums of the shown terms and give the gates through sigma / tanh
            assert E.sigmoid(s.a_r) == pytest.approx(s.r, abs=1e-15)
            assert E.sigmoid(s.a_z) == pytest.approx(s.z, abs=1e-15)
            assert math.tanh(s.a_n) == pytest.approx(s.n, abs=1e-15)
            assert s.keep + s.write == pytest.approx(s.h, abs=1e-15)


def test_step_terms_split_the_matrix_products_by_row():
    """wx_r is row j of W_ir times x_t, uh_z row j of W_hz times h_{t-1}, b_* the bias entries of unit j."""
    run = _run("torch", "after", H=4, I=3)
    t, j, H = 5, 2, 4
    s = E.step_terms(run.params, run.x[t - 1], run.h_prev(t), j, t=t)
    P = run.params
    assert s.wx_r == pytest.approx(P["weight_ih"][j] @ run.x[t - 1], abs=1e-15)
    assert s.uh_z == pytest.approx(P["weight_hh"][H + j] @ run.h[t - 2], abs=1e-15)
    assert s.b_in == P["bias_ih"][2 * H + j] and s.b_hn == P["bias_hh"][2 * H + j]
    assert s.h_prev == run.h[t - 2, j]


def test_reset_before_uses_the_whole_reset_vector_inside_the_matmul():
    run = _run("torch", "before", H=3, I=1)
    t, j, H = 4, 1, 3
    s = E.step_terms(run.params, run.x[t - 1], run.h_prev(t), j, t=t, reset="before")
    np.testing.assert_allclose(s.uh_n, run.params["weight_hh"][2 * H + j] @ (run.r[t - 1] * run.h[t - 2]),
                               atol=1e-15)
    assert s.reset_product == pytest.approx(s.r * s.h_prev)


def test_symbolic_equations_differ_exactly_where_the_conventions_differ():
    a = E.symbolic_equations("torch", "after")
    b = E.symbolic_equations("wiki", "before")
    assert a["r"] == b["r"] and a["z"] == b["z"]
    assert r"r_t \odot (W_{hn}\,h_{t-1} + b_{hn})" in a["n"]
    assert r"W_{hn}(r_t \odot h_{t-1}) + b_{hn}" in b["n"]
    assert a["h"] == r"h_t = \left(1 - z_t\right) \odot n_t + z_t \odot h_{t-1}"
    assert b["h"] == r"h_t = \left(1 - z_t\right) \odot h_{t-1} + z_t \odot n_t"
    with pytest.raises(ValueError):
        E.symbolic_equations("keras", "after")


def _numbers(html: str) -> list[float]:
    return [float(v.replace("−", "-")) for v in re.findall(r"−?\d+\.\d+", html)]


@pytest.mark.parametrize("mix,reset", CONVENTIONS)
def test_numeric_html_carries_the_step_numbers_in_order(mix, reset):
    run = _run(mix, reset)
    t, j = 6, 1
    s = E.step_terms(run.params, run.x[t - 1], run.h_prev(t), j, t=t, mix=mix, reset=reset)
    eq = E.numeric_html(s)
    assert set(eq) == {"r", "z", "n", "h"}
    for g in eq:
        assert f"<i>{g}</i><sub>{t},{j + 1}</sub> =" in eq[g]
    r_nums = _numbers(eq["r"])
    assert r_nums == [round(v, 3) for v in (s.wx_r, s.b_ir, s.uh_r, s.b_hr, s.a_r, s.r)]
    assert _numbers(eq["z"]) == [round(v, 3) for v in (s.wx_z, s.b_iz, s.uh_z, s.b_hz, s.a_z, s.z)]
    assert _numbers(eq["n"])[-1] == round(s.n, 3)
    h_nums = _numbers(eq["h"])
    assert h_nums[-1] == round(s.h, 3)
    assert round(s.z, 3) in h_nums and round(s.n, 3) in h_nums and round(s.h_prev, 3) in h_nums
    # the mix reads (1 - z) * n + z * h_prev (torch) or (1 - z) * h_prev + z * n (wiki), in that order
    first, second = (s.n, s.h_prev) if mix == "torch" else (s.h_prev, s.n)
    assert h_nums[:4] == [round(v, 3) for v in (s.z, first, s.z, second)]


def test_switching_the_mix_turns_z_into_one_minus_z_in_the_numbers():
    cell = gru_core.make_cell("gru", 1, 2, seed=1)
    x = gru_core.signal("sine", 8, 1, period=5.0)
    runs = G.convention_runs(cell, x)
    t, j = 5, 0
    st, sw = (E.step_terms(runs[(m, "after")].params, x[t - 1], runs[(m, "after")].h_prev(t), j, t=t, mix=m)
              for m in ("torch", "wiki"))
    assert sw.z == pytest.approx(1 - st.z, abs=1e-15)
    assert sw.h == pytest.approx(st.h, abs=1e-15) and sw.n == pytest.approx(st.n, abs=1e-15)
    assert st.keep_share == pytest.approx(sw.keep_share, abs=1e-15)
    assert f"1 - {E.fmt(st.z)}" in E.relabel_note(st) and E.fmt(sw.z) in E.relabel_note(st)


def test_fmt_spells_out_signs_and_non_finite_values():
    assert E.fmt(0.12345) == "0.123"
    assert E.fmt(-0.0001) == "0.000"
    assert E.fmt(-1.5) == "-1.500"
    assert E.fmt(float("inf")) == r"\infty" and E.fmt(float("-inf")) == r"-\infty"
    assert E.fmt(float("nan")) == r"\text{NaN}"
    assert E.fmt(123456.0) == r"1.23\times 10^{5}"
    assert E.fmt_html(-1.5) == "−1.500" and E.fmt_html(-0.0001) == "0.000" and E.fmt_html(float("-inf")) == "−∞"
    assert E.fmt_html(float("nan")) == "NaN" and E.fmt_html(-123456.0) == "−1.23×10<sup>5</sup>"


def test_step_terms_rejects_bad_arguments():
    run = _run("torch", "after")
    with pytest.raises(ValueError, match="unit"):
        E.step_terms(run.params, run.x[0], run.h0, 3, t=1)
    with pytest.raises(ValueError, match="mix"):
        E.step_terms(run.params, run.x[0], run.h0, 0, t=1, mix="cho")
    with pytest.raises(ValueError, match="params do not fit"):
        E.step_terms(run.params, np.zeros(5), run.h0, 0, t=1)
