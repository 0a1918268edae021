"""The vanishing-gradient page's numbers and figures hold the engine's numbers (and PyTorch's, where they overlap)."""
import math

import numpy as np
import pytest
import torch

import gru_core
import lab.figures.vanishing as V
from lab.figures.common import decode

S = V.Settings(steps=60, hidden=12)  # small and fast; defaults otherwise (noise input, PyTorch init, loss "last")


def engine_trace(kind: str, s: V.Settings):
    """An independent engine run with the same settings (not through V.cell_curves)."""
    kw = dict(seed=s.seed, init=s.init, scale=s.scale)
    if kind == "rnn":
        kw["nonlinearity"] = s.nonlinearity
    else:
        kw.update(update_bias=s.update_bias, chrono=s.chrono)
    cell = gru_core.make_cell(kind, s.input_size, s.hidden, **kw)
    x = gru_core.signal(s.signal, s.steps, s.input_size, seed=s.seed)
    return cell, x, gru_core.record(cell, x, loss=s.loss)


def traces_by_role(fig, role):
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role]


def line(fig, name):
    (t,) = [t for t in traces_by_role(fig, "line") if t.meta["name"] == name]
    return t


# ------------------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize("kind", V.KINDS)
@pytest.mark.parametrize("loss", ["last", "all"])
def test_cell_curves_hold_the_engines_gradient_norms(kind, loss):
    s = V.Settings(steps=40, hidden=8, loss=loss)
    c = V.cell_curves(kind, s)
    _, _, tr = engine_trace(kind, s)
    np.testing.assert_allclose(c.grad_norm, np.linalg.norm(tr.grad_h[:, 0], axis=-1), rtol=1e-12)
    np.testing.assert_allclose(c.grad_abs, np.abs(tr.grad_h[:, 0]), rtol=1e-12)
    assert c.nonfinite_from == -1


def test_sigma_max_is_the_largest_singular_value_of_w_hh():
    cell, _, _ = engine_trace("rnn", S)
    assert V.cell_curves("rnn", S).sigma_max == pytest.approx(np.linalg.norm(cell.params["weight_hh"], 2), rel=1e-12)
    s = V.Settings(steps=10, hidden=8, init="orthogonal", scale=1.7)
    for kind in V.KINDS:
        assert V.cell_curves(kind, s).sigma_max == pytest.approx(1.7, rel=1e-9)


@pytest.mark.parametrize("nonlinearity,scale,loss", [("tanh", None, "last"), ("tanh", 2.0, "last"),
                                                     ("relu", 1.5, "all"), ("tanh", 0.5, "all")])
def test_rnn_gradient_never_exceeds_the_pascanu_bound(nonlinearity, scale, loss):
    s = V.Settings(steps=80, hidden=16, init="orthogonal" if scale else "pytorch", scale=scale,
                   nonlinearity=nonlinearity, loss=loss)
    c = V.cell_curves("rnn", s)
    assert np.all(c.grad_norm <= c.bound * (1 + 1e-9))
    if loss == "last":  # the bound is ||dL/dh_T|| sigma^k
        k = np.arange(s.steps - 1, -1, -1)
        np.testing.assert_allclose(c.bound, c.grad_norm[-1] * c.sigma_max ** k, rtol=1e-10)


def test_rnn_parameter_gradient_matches_pytorch_autograd_and_clip_grad_norm():
    s = V.Settings(steps=30, hidden=6, init="orthogonal", scale=1.6, loss="all")
    cell, x, tr = engine_trace("rnn", s)
    pg = V.rnn_param_grad(x, tr.h0[0], tr.h[:, 0], tr.grad_h[:, 0], "tanh")
    rnn = cell.to_torch()
    h, _ = rnn(torch.from_numpy(x)[:, None, :])
    (0.5 * (h ** 2).sum()).backward()
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    want = np.concatenate([getattr(rnn, n).grad.numpy().ravel() for n in names])
    np.testing.assert_allclose(pg.total, want, rtol=1e-9, atol=1e-12)
    assert pg.total_norm == pytest.approx(np.linalg.norm(want), rel=1e-10)
    # the per-step contributions add up to the total (triangle inequality, and equality of the parts' sum)
    assert pg.per_step.sum() >= pg.total_norm * (1 - 1e-12)
    # Pascanu's Algorithm 1 is what torch.nn.utils.clip_grad_norm_ does (up to its 1e-6 epsilon)
    c = pg.total_norm / 10
    torch.nn.utils.clip_grad_norm_(rnn.parameters(), c)
    clipped = np.concatenate([getattr(rnn, n).grad.numpy().ravel() for n in names])
    np.testing.assert_allclose(pg.total * V.clip_factor(pg.total_norm, c), clipped, rtol=1e-5)


def test_relu_rnn_parameter_gradient_matches_pytorch():
    s = V.Settings(steps=20, hidden=5, nonlinearity="relu", init="orthogonal", scale=1.2)
    cell, x, tr = engine_trace("rnn", s)
    pg = V.rnn_param_grad(x, tr.h0[0], tr.h[:, 0], tr.grad_h[:, 0], "relu")
    rnn = cell.to_torch()
    h, _ = rnn(torch.from_numpy(x)[:, None, :])
    (0.5 * (h[-1] ** 2).sum()).backward()
    assert pg.total_norm == pytest.approx(
        math.sqrt(sum(float((p.grad ** 2).sum()) for p in rnn.parameters())), rel=1e-9)


def test_clip_factor_is_pascanu_algorithm_1():
    assert V.clip_factor(10.0, 1.0) == pytest.approx(0.1)
    assert V.clip_factor(1.0, 1.0) == 1.0  # ||g|| >= c: c g/||g|| = g
    assert V.clip_factor(0.5, 1.0) == 1.0
    assert math.isnan(V.clip_factor(math.inf, 1.0))


def test_gru_gate_statistics_and_direct_share_come_from_the_engine():
    s = V.Settings(steps=25, hidden=6, update_bias=1.0)
    c = V.cell_curves("gru", s)
    _, _, tr = engine_trace("gru", s)
    z = tr.gates["z"][:, 0]
    np.testing.assert_allclose(c.z_mean, z.mean(axis=-1), rtol=1e-12)
    np.testing.assert_allclose(c.z_lo, np.percentile(z, 10, axis=-1), rtol=1e-12)
    # share = ||diag(z_t)||_F / (||diag(z_t)||_F + ||rest||_F), Frobenius norms, from trace.jacobian_split
    D, W = tr.jacobian_split["direct"][:, 0], tr.jacobian_split["weights"][:, 0]
    np.testing.assert_allclose(D + W, tr.step_jacobians[:, 0], atol=1e-12)
    for t in (0, 11, 24):
        np.testing.assert_allclose(D[t], np.diag(z[t]), atol=0)  # the direct path is exactly diag(z_t)
        d, w = np.linalg.norm(D[t], "fro"), np.linalg.norm(W[t], "fro")
        assert c.share[t] == pytest.approx(d / (d + w), rel=1e-12)


def test_direct_path_only_is_the_product_of_update_gates():
    s = V.Settings(steps=20, hidden=5)
    c = V.cell_curves("gru", s)
    _, _, tr = engine_trace("gru", s)
    z, hT = tr.gates["z"][:, 0], tr.h[-1, 0]
    for t in (0, 7, 19):  # g_t = (prod_{s > t} z_s) * h_T with the loss on the last step
        assert c.direct_only[t] == pytest.approx(np.linalg.norm(np.prod(z[t + 1:], axis=0) * hT), rel=1e-10)


def test_a_gate_held_open_makes_the_step_jacobian_nearly_the_direct_path():
    open_ = V.cell_curves("gru", V.Settings(steps=30, hidden=8, update_bias=10.0))
    default = V.cell_curves("gru", V.Settings(steps=30, hidden=8))
    assert np.all(open_.share > 0.99)
    assert np.all(default.share < 0.9)
    assert np.all(open_.z_mean > 0.999)


def test_the_science_numbers_gru_at_default_init_vanishes_too():
    """gru-science.md: T=100, H=64, PyTorch init, ||dL/dh_1||/||dL/dh_100||: RNN ~2e-22, GRU ~5e-19, chrono ~0.17."""
    s = V.Settings(steps=100, hidden=64)
    r = {k: V.retained(V.cell_curves(k, s).grad_norm, 99) for k in ("rnn", "gru")}
    chrono = V.retained(V.cell_curves("gru", V.Settings(steps=100, hidden=64, chrono=100)).grad_norm, 99)
    assert r["rnn"] < 1e-18 and r["gru"] < 1e-15  # both vanish
    assert 0.05 < chrono < 0.5  # the chrono-initialised GRU keeps a good share
    assert "vanishes too" in V.gru_story(V.cell_curves("gru", s))
    assert "survives" in V.gru_story(V.cell_curves("gru", V.Settings(steps=100, hidden=64, update_bias=4.0)))


def test_phase_sweep_is_one_batch_whose_columns_equal_single_runs():
    s = V.Settings(steps=30, hidden=6, init="orthogonal")
    p = V.phase_sweep("rnn", s, n=5)
    assert p.jacobian_norm.shape == (30, 5)
    for j in (0, 3):
        cell = gru_core.make_cell("rnn", 1, 6, seed=0, init="orthogonal", scale=float(p.sigmas[j]))
        tr = gru_core.record(cell, gru_core.signal("noise", 30, 1, seed=0))
        np.testing.assert_allclose(p.jacobian_norm[:, j], tr.jacobian_norm[:, 0], rtol=1e-10)


def test_phase_sizes_are_capped_and_the_key_drops_what_the_sweep_ignores():
    big = V.Settings(steps=500, hidden=128)
    assert V.phase_sizes(big) == (V.PHASE_MAX_STEPS, V.PHASE_MAX_HIDDEN)
    a = V.phase_key("rnn", V.Settings(update_bias=3.0, loss="all", scale=2.0))
    b = V.phase_key("rnn", V.Settings())
    assert a == b
    assert V.phase_key("gru", V.Settings(nonlinearity="relu")) == V.phase_key("gru", V.Settings())


# ------------------------------------------------------------------------------------------------ figures


def test_gradient_norm_figure_holds_the_engine_norms_against_steps_back():
    curves = {k: V.cell_curves(k, S) for k in V.KINDS}
    fig = V.gradient_norm_figure(curves)
    for kind in V.KINDS:
        _, _, tr = engine_trace(kind, S)
        t = line(fig, {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[kind])
        np.testing.assert_allclose(decode(t.customdata), np.linalg.norm(tr.grad_h[:, 0], axis=-1), rtol=1e-12)
        np.testing.assert_array_equal(decode(t.x), np.arange(S.steps - 1, -1, -1))  # k = T - t
    (bound,) = traces_by_role(fig, "bound")
    np.testing.assert_allclose(decode(bound.customdata), curves["rnn"].bound)
    assert fig.layout.yaxis.type == "log"


def test_underflow_is_drawn_at_the_floor_with_its_true_value_zero():
    s = V.Settings(steps=500, hidden=8, scale=0.1, cells=("rnn",))
    c = V.cell_curves("rnn", s)
    assert np.any(c.grad_norm == 0)
    _, _, tr = engine_trace("rnn", s)
    # exactly 0 only where every entry of dL/dh_t is exactly 0 (not where squaring the entries underflows)
    np.testing.assert_array_equal(c.grad_norm == 0, np.all(tr.grad_h[:, 0] == 0, axis=-1))
    assert c.grad_norm[c.grad_norm > 0].min() < 1e-300
    fig = V.gradient_norm_figure({"rnn": c})
    (under,) = traces_by_role(fig, "underflow")
    assert np.all(decode(under.customdata) == 0)
    floor = 10 ** fig.layout.yaxis.range[0]
    np.testing.assert_allclose(decode(under.y), floor)


def test_overflow_shows_markers_at_the_ceiling_and_a_message_on_the_chart():
    values = dict(V.DEFAULTS)
    values.update(next(p for p in V.PRESETS if p.name == "Overflow to inf").values)
    s = V.settings_from_values(values)
    c = V.cell_curves("rnn", s)
    assert not np.all(np.isfinite(c.grad_norm))
    fig = V.gradient_norm_figure({"rnn": c})
    assert traces_by_role(fig, "overflow")
    assert any(a.name == "message" and "Overflow" in a.text for a in fig.layout.annotations)
    clip = V.clipping_figure(c, 1.0)
    assert math.isnan(clip.layout.meta["factor"])
    assert any(a.name == "message" and "cannot rescale" in a.text for a in clip.layout.annotations)


def test_unit_heatmap_holds_log10_of_each_units_gradient():
    curves = {k: V.cell_curves(k, S) for k in ("rnn", "gru")}
    fig = V.unit_heatmap_figure(curves)
    for hm in fig.data:
        c = curves[hm.meta["kind"]]
        z = np.asarray(hm.z, dtype=float)  # rows: units, columns: k = 0 .. T-1
        assert z.shape == (S.hidden, S.steps)
        want = np.log10(np.clip(c.grad_abs.T[:, ::-1], hm.meta["floor"], hm.meta["ceil"]))
        np.testing.assert_allclose(z, want, rtol=1e-10)
        np.testing.assert_array_equal(decode(hm.x), np.arange(S.steps))


def test_gradient_figure_shows_the_grus_gate_and_direct_share_under_its_gradient():
    curves = {k: V.cell_curves(k, S) for k in ("rnn", "gru")}
    c = curves["gru"]
    fig = V.gradient_norm_figure(curves)
    (zmean,) = traces_by_role(fig, "z_mean")
    np.testing.assert_allclose(decode(zmean.y), c.z_mean)
    (share,) = traces_by_role(fig, "share")
    np.testing.assert_allclose(decode(share.y), c.share)
    assert zmean.yaxis == share.yaxis == "y2" and fig.layout.yaxis2.type == "linear"
    np.testing.assert_allclose(decode(line(fig, "GRU").customdata), c.grad_norm)
    np.testing.assert_allclose(decode(line(fig, "GRU through diag(z) alone").customdata), c.direct_only)
    # same k on both panels: the gate sits right under the gradient it explains
    assert fig.layout.xaxis2.matches == "x"
    layout = fig.to_plotly_json()["layout"]   # each axis has its own title (no dict shared between axes)
    assert layout["yaxis"]["title"]["text"].startswith("‖∂L/∂h_t‖") and "text" not in layout["xaxis"]["title"]
    assert layout["xaxis2"]["title"]["text"].startswith("steps back") and layout["yaxis2"]["title"]["text"] == "z, share"
    np.testing.assert_array_equal(decode(zmean.x), decode(line(fig, "GRU").x))
    # no GRU, no lower panel
    rnn_only = V.gradient_norm_figure({"rnn": curves["rnn"]})
    assert not traces_by_role(rnn_only, "z_mean") and "yaxis2" not in rnn_only.to_plotly_json()["layout"]


def test_phase_figure_colours_are_log10_of_the_sweep():
    s = V.Settings(steps=20, hidden=6)
    phases = {k: V.phase_sweep(k, s, n=6) for k in ("rnn", "gru")}
    fig = V.phase_figure(phases, {"rnn": 1.0, "gru": 1.0})
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert [h.meta["kind"] for h in heat] == ["rnn", "gru"]
    for h in heat:
        jn = phases[h.meta["kind"]].jacobian_norm[::-1]  # rows k = 0 .. T-1
        want = np.log10(np.clip(jn, 10.0 ** -V.PHASE_DECADES, 10.0 ** V.PHASE_DECADES))
        np.testing.assert_allclose(np.asarray(h.z, dtype=float), want, rtol=1e-10)
        assert h.zmid == 0
    assert np.asarray(heat[0].z)[0] == pytest.approx(0.0, abs=1e-12)  # k = 0: dh_T/dh_T = I


def test_clipping_figure_rescales_every_step_by_one_factor_and_keeps_the_direction():
    s = V.Settings(steps=50, hidden=16, init="orthogonal", scale=2.0)
    c = V.cell_curves("rnn", s)
    total = c.param_grad.total_norm
    fig = V.clipping_figure(c, total / 100)
    raw = decode(line(fig, "step t's share of ∂L/∂θ, raw").customdata)
    clipped = decode(line(fig, "after clipping").customdata)
    np.testing.assert_allclose(clipped, raw / 100, rtol=1e-12)
    assert fig.layout.meta["factor"] == pytest.approx(0.01)
    assert fig.layout.meta["cosine"] == pytest.approx(1.0, abs=1e-12)
    (after,) = traces_by_role(fig, "total_clipped")
    assert after.meta["value"] == pytest.approx(total / 100)
    unclipped = V.clipping_figure(c, total * 2)
    assert unclipped.layout.meta["factor"] == 1.0
    assert traces_by_role(unclipped, "threshold")
    off = V.clipping_figure(c, None)
    assert not [t for t in traces_by_role(off, "line") if t.meta["name"] == "after clipping"]


def test_headline_states_the_retained_shares_computed_from_the_traces():
    curves = {k: V.cell_curves(k, S) for k in ("rnn", "gru")}
    text = V.headline(curves)
    for kind, c in curves.items():
        r = c.grad_norm[S.steps - 1 - 50] / c.grad_norm[-1]
        assert V.retained(c.grad_norm, 50) == pytest.approx(r, rel=1e-12)
        from lab.figures.common import sci
        assert f"**{sci(r)}**" in text
    assert text.startswith("After 50 steps back the RNN keeps")
    assert "At the first step (59 steps back)" in text


# ------------------------------------------------------------------------------------------------ presets


def test_every_preset_sets_every_control_and_runs():
    assert V.matching_preset(V.DEFAULTS) is V.PRESETS[0]
    names = [p.name for p in V.PRESETS]
    assert len(set(names)) == len(names)
    for p in V.PRESETS:
        assert set(p.values) == set(V.DEFAULTS)
        assert V.matching_preset(p.values) is p
        s = V.settings_from_values(p.values)
        assert s.cells and 10 <= s.steps <= 500


def test_presets_show_what_they_promise():
    def run(name):
        s = V.settings_from_values(next(p for p in V.PRESETS if p.name == name).values)
        return {k: V.cell_curves(k, s) for k in s.cells}
    gru_default = run("GRU default init vanishes too")["gru"]
    assert V.retained(gru_default.grad_norm, 50) < V.VANISHED
    assert V.retained(run("Gate held open")["gru"].grad_norm, 50) > 0.1
    exploding = run("Exploding RNN")["rnn"]
    assert V.retained(exploding.grad_norm, 50) > 1
    assert np.any(run("Underflow to 0")["rnn"].grad_norm == 0)


def test_big_unit_heatmaps_drop_hover_text_but_keep_the_numbers():
    s = V.Settings(steps=500, hidden=64)
    curves = {k: V.cell_curves(k, s) for k in ("rnn", "gru")}  # 2 x 500 x 64 cells > HEATMAP_TEXT_CELLS
    fig = V.unit_heatmap_figure(curves)
    for hm in fig.data:
        assert hm.text is None
        c = curves[hm.meta["kind"]]
        want = np.log10(np.clip(c.grad_abs.T[:, ::-1], hm.meta["floor"], hm.meta["ceil"]))
        np.testing.assert_allclose(np.asarray(hm.z, dtype=float), want, rtol=1e-6, atol=1e-4)
    assert len(fig.to_json()) < 2_000_000


def test_every_figure_builder_makes_a_valid_plotly_figure():
    """The builders skip Plotly's validation for speed (lab.figures.common.base_figure); full validation here
    catches a misspelt property."""
    from lab.figures.common import validate_figure
    curves = {k: V.cell_curves(k, S) for k in V.KINDS}
    s = V.Settings(steps=20, hidden=6)
    phases = {k: V.phase_sweep(k, s, n=6) for k in ("rnn", "gru")}
    for fig in (V.gradient_norm_figure(curves), V.gradient_norm_figure({"rnn": curves["rnn"]}),
                V.unit_heatmap_figure(curves),
                V.phase_figure(phases, {"rnn": 1.0, "gru": 1.0}), V.clipping_figure(curves["rnn"], 1.0),
                V.clipping_figure(curves["rnn"], None)):
        validate_figure(fig)
