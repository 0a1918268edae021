"""lab.figures.home: the home chart holds the engine's gradient norms (as shares of the last step's)."""
import numpy as np
import pytest

from lab.cache import CellSpec, SignalSpec, cached_record
from lab.figures.common import steps_back, validate_figure
from gru_core.analysis import gradient_share
from lab.figures.home import gradient_over_distance
from lab.theme import CELL_COLORS


def test_gradient_share_divides_by_the_last_steps_norm():
    np.testing.assert_allclose(gradient_share(np.array([1e-6, 0.5, 2.0])), [5e-7, 0.25, 1.0])
    raw = np.array([1.0, np.inf])
    np.testing.assert_array_equal(gradient_share(raw), raw)  # undefined ratio: raw values, nothing hidden


def test_home_figure_holds_engine_numbers_against_steps_back(engine):
    T, H = 60, 8
    x = engine.signal("noise", T, 1)
    shares = {}
    for kind, bias in (("rnn", 0.0), ("gru", 3.0)):
        cell = engine.make_cell(kind, 1, H, seed=0, **({} if kind == "rnn" else {"update_bias": bias}))
        g = np.linalg.norm(engine.record(cell, x).grad_h[:, 0], axis=-1)
        shares[kind] = g / g[-1]
    fig = gradient_over_distance({k: v for k, v in shares.items()})
    validate_figure(fig)
    lines = {t.name: t for t in fig.data if t.meta["role"] == "line"}
    assert set(lines) == {"RNN", "GRU"}
    for kind, label in (("rnn", "RNN"), ("gru", "GRU")):
        np.testing.assert_allclose(np.asarray(lines[label].customdata), shares[kind], rtol=1e-12)
        np.testing.assert_array_equal(np.asarray(lines[label].x), steps_back(T))
        assert lines[label].line.color == CELL_COLORS[kind]
    # the lesson the chart exists for: far from the loss the RNN keeps far less than the GRU with bias 3
    assert shares["rnn"][0] < 1e-6 * shares["gru"][0]


def test_cached_record_matches_the_engine(engine):
    r = cached_record(CellSpec("gru", hidden_size=8, update_bias=2.0), SignalSpec("noise", 30))
    cell = engine.make_cell("gru", 1, 8, seed=0, update_bias=2.0)
    tr = engine.record(cell, engine.signal("noise", 30, 1))
    np.testing.assert_allclose(r.grad_h, tr.grad_h, rtol=0, atol=0)
    np.testing.assert_allclose(r.grad_norm[:, 0], np.linalg.norm(tr.grad_h[:, 0], axis=-1))


def test_home_model_shares_and_headline_follow_the_numbers():
    import lab.models.home as M
    from lab.models.vanishing_text import verdict
    from lab.figures.common import sci
    res = M.compute(M.Settings(bias=0.0))
    assert res.shares["gru"][-1] == 1.0 and res.kept("rnn") < 1e-20
    text = M.headline(res)
    assert f"**{sci(res.kept('gru'))}**: its gradient {verdict(res.kept('gru'))}" in text
    assert "has vanished" in text and "survives" in M.headline(M.compute(M.Settings(bias=6.0)))
    lo, hi, _ = M.Settings.LIMITS["bias"]
    assert lo <= M.Settings().bias <= hi
