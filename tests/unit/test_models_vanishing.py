"""lab.models.vanishing holds the engine's numbers (and PyTorch's, where they overlap); its Settings own the
defaults, limits and presets, and every preset shows what it promises."""
import numpy as np
import pytest

import gru_core
import lab.models.vanishing as M
from gru_core import analysis as A

S = M.Settings(steps=60, hidden=12)  # small and fast; defaults otherwise (noise input, PyTorch init, loss "last")


def engine_trace(kind: str, s: M.Settings):
    """An independent engine run with the same settings (not through M.cell_curves)."""
    kw = dict(seed=s.seed, init=s.init, scale=s.scale)
    if kind == "rnn":
        kw["nonlinearity"] = s.nonlinearity
    else:
        kw.update(update_bias=s.update_bias, chrono=s.chrono)
    cell = gru_core.make_cell(kind, s.input_size, s.hidden, **kw)
    x = gru_core.signal(s.signal, s.steps, s.input_size, seed=s.seed)
    return cell, x, gru_core.record(cell, x, loss=s.loss)


@pytest.mark.parametrize("kind", M.KINDS)
@pytest.mark.parametrize("loss", ["last", "all"])
def test_cell_curves_hold_the_engines_gradient_norms(kind, loss):
    s = M.Settings(steps=40, hidden=8, loss=loss)
    c = M.cell_curves(kind, s)
    _, _, tr = engine_trace(kind, s)
    np.testing.assert_allclose(c.grad_norm, np.linalg.norm(tr.grad_h[:, 0], axis=-1), rtol=1e-12)
    np.testing.assert_allclose(c.grad_abs, np.abs(tr.grad_h[:, 0]), rtol=1e-12)
    assert c.nonfinite_from == -1


def test_sigma_max_is_the_largest_singular_value_of_w_hh():
    cell, _, _ = engine_trace("rnn", S)
    assert M.cell_curves("rnn", S).sigma_max == pytest.approx(np.linalg.norm(cell.params["weight_hh"], 2), rel=1e-12)
    s = M.Settings(steps=10, hidden=8, init="orthogonal", scale=1.7)
    for kind in M.KINDS:
        assert M.cell_curves(kind, s).sigma_max == pytest.approx(1.7, rel=1e-9)


@pytest.mark.parametrize("nonlinearity,scale,loss", [("tanh", None, "last"), ("tanh", 2.0, "last"),
                                                     ("relu", 1.5, "all"), ("tanh", 0.5, "all")])
def test_rnn_gradient_never_exceeds_the_pascanu_bound(nonlinearity, scale, loss):
    s = M.Settings(steps=80, hidden=16, init="orthogonal" if scale else "pytorch", scale=scale,
                   nonlinearity=nonlinearity, loss=loss)
    c = M.cell_curves("rnn", s)
    assert np.all(c.grad_norm <= c.bound * (1 + 1e-9))
    assert np.all(c.shrink <= c.sigma_max * (1 + 1e-12))
    if loss == "last":  # the bound is ||dL/dh_T|| sigma^k and the average factor is the line's slope
        k = np.arange(s.steps - 1, -1, -1)
        np.testing.assert_allclose(c.bound, c.grad_norm[-1] * c.sigma_max ** k, rtol=1e-10)
        assert c.rho == pytest.approx((c.grad_norm[0] / c.grad_norm[-1]) ** (1 / (s.steps - 1)), rel=1e-10)


def test_gru_gate_statistics_and_direct_share_come_from_the_engine():
    s = M.Settings(steps=25, hidden=6, update_bias=1.0)
    c = M.cell_curves("gru", s)
    _, _, tr = engine_trace("gru", s)
    z = tr.gates["z"][:, 0]
    np.testing.assert_allclose(c.z_mean, z.mean(axis=-1), rtol=1e-12)
    np.testing.assert_allclose(c.z_lo, np.percentile(z, 10, axis=-1), rtol=1e-12)
    D, W = tr.jacobian_split["direct"][:, 0], tr.jacobian_split["weights"][:, 0]
    np.testing.assert_allclose(D + W, tr.step_jacobians[:, 0], atol=1e-12)
    for t in (0, 11, 24):
        np.testing.assert_allclose(D[t], np.diag(z[t]), atol=0)  # the direct path is exactly diag(z_t)
        d, w = np.linalg.norm(D[t], "fro"), np.linalg.norm(W[t], "fro")
        assert c.share[t] == pytest.approx(d / (d + w), rel=1e-12)


def test_direct_path_only_is_the_product_of_update_gates():
    s = M.Settings(steps=20, hidden=5)
    c = M.cell_curves("gru", s)
    _, _, tr = engine_trace("gru", s)
    z, hT = tr.gates["z"][:, 0], tr.h[-1, 0]
    for t in (0, 7, 19):  # g_t = (prod_{s > t} z_s) * h_T with the loss on the last step
        assert c.direct_only[t] == pytest.approx(np.linalg.norm(np.prod(z[t + 1:], axis=0) * hT), rel=1e-10)


def test_a_gate_held_open_makes_the_step_jacobian_nearly_the_direct_path():
    open_ = M.cell_curves("gru", M.Settings(steps=30, hidden=8, update_bias=10.0))
    default = M.cell_curves("gru", M.Settings(steps=30, hidden=8))
    assert np.all(open_.share > 0.99)
    assert np.all(default.share < 0.9)
    assert np.all(open_.z_mean > 0.999)


def test_the_science_numbers_gru_at_default_init_vanishes_too():
    """gru-science.md: T=100, H=64, PyTorch init, ||dL/dh_1||/||dL/dh_100||: RNN ~2e-22, GRU ~5e-19, chrono ~0.17."""
    s = M.Settings(steps=100, hidden=64)
    r = {k: A.retained(M.cell_curves(k, s).grad_norm, 99) for k in ("rnn", "gru")}
    chrono = A.retained(M.cell_curves("gru", M.Settings(steps=100, hidden=64, chrono=100)).grad_norm, 99)
    assert r["rnn"] < 1e-18 and r["gru"] < 1e-15  # both vanish
    assert 0.05 < chrono < 0.5  # the chrono-initialised GRU keeps a good share


def test_compute_keeps_the_chosen_cells_in_page_order_and_caches_per_cell():
    res = M.compute(M.Settings(steps=20, hidden=4, cells=("gru", "rnn")))
    assert list(res.curves) == ["gru", "rnn"] and res.get("lstm") is None
    again = M.compute(M.Settings(steps=20, hidden=4, cells=("rnn",)))
    np.testing.assert_array_equal(again.curves["rnn"].grad_norm, res.curves["rnn"].grad_norm)
    cols = M.table(res)
    assert set(cols) >= {"k", "rnn_grad_norm", "gru_grad_norm", "rnn_bound", "gru_through_diag_z_alone"}


def test_phase_sweep_is_one_batch_whose_columns_equal_single_runs():
    s = M.Settings(steps=30, hidden=6, init="orthogonal")
    p = M.phase_sweep("rnn", s, n=5)
    assert p.jacobian_norm.shape == (30, 5)
    for j in (0, 3):
        cell = gru_core.make_cell("rnn", 1, 6, seed=0, init="orthogonal", scale=float(p.sigmas[j]))
        tr = gru_core.record(cell, gru_core.signal("noise", 30, 1, seed=0))
        np.testing.assert_allclose(p.jacobian_norm[:, j], tr.jacobian_norm[:, 0], rtol=1e-10)


def test_phase_sizes_are_capped_and_the_key_drops_what_the_sweep_ignores():
    big = M.Settings(steps=500, hidden=128)
    assert M.phase_sizes(big) == (M.PHASE_MAX_STEPS, M.PHASE_MAX_HIDDEN)
    a = M.phase_key("rnn", M.Settings(update_bias=3.0, loss="all", scale=2.0))
    assert a == M.phase_key("rnn", M.Settings())
    assert M.phase_key("gru", M.Settings(nonlinearity="relu")) == M.phase_key("gru", M.Settings())


def test_clipping_rescales_every_step_by_one_factor_and_keeps_the_direction():
    c = M.cell_curves("rnn", M.Settings(steps=50, hidden=16, init="orthogonal", scale=2.0))
    total = c.param_grad.total_norm
    clip = M.clipping(c, total / 100)
    assert clip.factor == pytest.approx(0.01) and clip.active
    np.testing.assert_allclose(clip.clipped, clip.per_step / 100, rtol=1e-12)
    assert clip.cosine == pytest.approx(1.0, abs=1e-12) and clip.total_after == pytest.approx(total / 100)
    assert M.clipping(c, total * 2).factor == 1.0 and not M.clipping(c, total * 2).active
    assert M.clipping(c, None).factor == 1.0


# ------------------------------------------------------------------------------------------------ settings, presets


def test_defaults_are_written_once_and_round_trip_through_the_widget_values():
    assert M.DEFAULTS == M.Settings().to_values()
    assert M.Settings.from_values(M.DEFAULTS) == M.Settings()
    for p in M.PRESETS:
        assert M.Settings.from_values(p.values) == p.settings


def test_every_preset_sets_every_control_and_runs():
    assert M.matching_preset(M.DEFAULTS) is M.PRESETS[0]
    names = [p.name for p in M.PRESETS]
    assert len(set(names)) == len(names)
    lo, hi, _ = M.Settings.LIMITS["steps"]
    for p in M.PRESETS:
        assert set(p.values) == set(M.DEFAULTS)
        assert M.matching_preset(p.values) is p
        assert p.settings.cells and lo <= p.settings.steps <= hi


def test_old_links_keep_their_parameter_names():
    assert set(M.DEFAULTS) == {"vg_len", "vg_hidden", "vg_cells", "vg_init", "vg_rescale", "vg_sigma", "vg_chrono",
                               "vg_bias", "vg_nonlin", "vg_signal", "vg_loss", "vg_seed"}


def run_preset(name):
    s = next(p for p in M.PRESETS if p.name == name).settings
    return {k: M.cell_curves(k, s) for k in s.cells}


def test_presets_show_what_they_promise():
    assert A.retained(run_preset("GRU default init vanishes too")["gru"].grad_norm, 50) < 1e-3
    assert A.retained(run_preset("Gate held open")["gru"].grad_norm, 50) > 0.1
    assert A.retained(run_preset("Exploding RNN")["rnn"].grad_norm, 50) > 1
    assert np.any(run_preset("Underflow to 0")["rnn"].grad_norm == 0)
    over = run_preset("Overflow to inf")["rnn"]   # its blurb: the state grows huge, the gradient overflows
    assert np.any(np.isinf(over.grad_norm)) and np.any(np.isnan(over.grad_norm)) and 1e171 < over.h_last_norm < 1e174
