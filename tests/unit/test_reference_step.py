"""The reference steps (gru_core.reference: one line per equation, what students read) give exactly the numbers of
the fast path that `record` runs, for every kind, over whole sequences."""
from __future__ import annotations

import numpy as np
import pytest

import gru_core
from gru_core import reference

KINDS = ("gru", "rnn", "lstm", "mgu", "gru_type1", "gru_type2", "gru_type3")


def _reference_run(cell, x):
    """h (T, H) and every gate (T, H) from the reference step, one step at a time."""
    P, H = cell.params, cell.hidden_size
    step = reference.STEPS[cell.kind]
    kw = dict(nonlinearity=cell.options["nonlinearity"]) if cell.kind == "rnn" else {}
    h, c, hs, gates = np.zeros(H), np.zeros(H), [], []
    for x_t in x:
        args = (x_t, h, c) if cell.kind == "lstm" else (x_t, h)
        h, g = step(*args, P["weight_ih"], P["weight_hh"], P["bias_ih"], P["bias_hh"], **kw)
        c = g.get("c", c)
        hs.append(h)
        gates.append(g)
    return np.array(hs), {k: np.array([g[k] for g in gates]) for k in gates[0]}


@pytest.mark.parametrize("kind", KINDS)
def test_reference_step_and_fast_path_agree_to_1e_12(kind):
    rng = np.random.default_rng(7)
    cell = gru_core.make_cell(kind, 3, 5, seed=11, init="gaussian", scale=1.4)
    for name in ("bias_ih", "bias_hh"):
        cell.params[name] += rng.normal(0, 0.5, cell.params[name].shape)   # biases away from zero
    x = rng.normal(0, 1.5, (40, 3))
    tr = gru_core.record(cell, x)
    h, gates = _reference_run(cell, x)
    np.testing.assert_allclose(h, tr.h[:, 0], atol=1e-12, rtol=0)
    for name, g in gates.items():
        np.testing.assert_allclose(g, tr.gates[name][:, 0], atol=1e-12, rtol=0)
    assert set(gates) == set(cell.gate_names)


def test_relu_rnn_reference_agrees_too():
    cell = gru_core.make_cell("rnn", 2, 4, seed=3, nonlinearity="relu")
    x = np.random.default_rng(0).normal(size=(25, 2))
    np.testing.assert_allclose(_reference_run(cell, x)[0], gru_core.record(cell, x).h[:, 0], atol=1e-12, rtol=0)


def test_step_source_shows_one_line_per_gru_equation_in_pytorch_names():
    src = gru_core.step_source("gru")
    assert src.startswith("def gru(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)")
    lines = [ln.strip() for ln in src.splitlines()]
    for eq in ("r = sigmoid(W_ir @ x + b_ir + W_hr @ h_prev + b_hr)",
               "z = sigmoid(W_iz @ x + b_iz + W_hz @ h_prev + b_hz)",
               "n = np.tanh(W_in @ x + b_in + r * (W_hn @ h_prev + b_hn))",
               "h = (1 - z) * n + z * h_prev"):
        assert sum(ln.startswith(eq) for ln in lines) == 1
    assert "W_ir, W_iz, W_in = np.split(weight_ih, 3)" in src
    assert max(len(ln) for ln in src.splitlines()) <= 72           # fits the page's code column


def test_fast_source_is_still_available_for_developers():
    assert gru_core.step_source("gru", fast=True).startswith("def forward")
    with pytest.raises(ValueError):
        gru_core.step_source("transformer")
