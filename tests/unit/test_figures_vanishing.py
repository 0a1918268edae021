"""The vanishing page's figures draw the model's numbers (nothing computed or stored in them), and its sentences
follow the numbers they describe (every threshold pinned)."""
import math
import re

import numpy as np
import pytest

import lab.figures.vanishing as F
import lab.models.vanishing as M
import lab.models.vanishing_text as W
from gru_core import analysis as A
from lab.figures.common import decode, sci, validate_figure

S = M.Settings(steps=60, hidden=12)


def traces_by_role(fig, role):
    return [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("role") == role]


def line(fig, name):
    (t,) = [t for t in traces_by_role(fig, "line") if t.meta["name"] == name]
    return t


def preset(name) -> M.Result:
    return M.compute(next(p for p in M.PRESETS if p.name == name).settings)


# ------------------------------------------------------------------------------------------------ figures


def test_gradient_norm_figure_holds_the_engine_norms_against_steps_back():
    res = M.compute(S)
    fig = F.gradient_norm_figure(res)
    for kind, label in (("rnn", "RNN"), ("gru", "GRU"), ("lstm", "LSTM")):
        t = line(fig, label)
        np.testing.assert_allclose(decode(t.customdata), res.curves[kind].grad_norm, rtol=0)
        np.testing.assert_array_equal(decode(t.x), np.arange(S.steps - 1, -1, -1))  # k = T - t
        assert t.name == f"{label} (×{res.curves[kind].rho:.2f} per step)"   # the measured slope, in the legend
    (bound,) = traces_by_role(fig, "bound")
    np.testing.assert_allclose(decode(bound.customdata), res.curves["rnn"].bound)
    assert fig.layout.yaxis.type == "log"


def test_at_most_four_legend_entries_per_legend_and_distinct_line_styles():
    fig = F.gradient_norm_figure(M.compute(S)).to_plotly_json()
    shown = [t for t in fig["data"] if t.get("showlegend", True) and t.get("name")]
    top = [t for t in shown if t.get("legend", "legend") == "legend"]
    below = [t for t in shown if t.get("legend") == "legend2"]
    assert len(top) <= 4 and len(below) <= 4 and len(top) + len(below) == 7
    styles = {(t["name"], t["line"].get("dash", "solid")) for t in shown}
    dashes = {d for _, d in styles}
    assert {"solid", "dot", "dash", "dashdot"} <= dashes  # data solid, ceiling dotted, diag(z) dashed, share dash-dot


def test_no_raw_tex_in_chart_labels():
    res = M.compute(S)
    phases = {k: M.phase_sweep(k, M.Settings(steps=20, hidden=6), n=6) for k in ("rnn", "gru")}
    figs = [F.gradient_norm_figure(res), F.unit_heatmap_figure(res), F.phase_figure(phases, {"rnn": 1.0}),
            F.clipping_figure(M.clipping(res.curves["rnn"], 1.0))]
    for fig in figs:
        text = fig.to_json()
        for tex in ("_{", "^{", "\\\\", "h_t", "h_{t", "_max", "\\u2202h_t"):
            assert tex not in text, (tex, re.findall(r".{20}" + re.escape(tex) + r".{20}", text)[:2])


def test_underflow_is_drawn_at_the_floor_with_its_true_value_zero():
    res = M.compute(M.Settings(steps=500, hidden=8, scale=0.1, cells=("rnn",)))
    c = res.curves["rnn"]
    assert np.any(c.grad_norm == 0) and c.grad_norm[c.grad_norm > 0].min() < 1e-300
    fig = F.gradient_norm_figure(res)
    (under,) = traces_by_role(fig, "underflow")
    assert np.all(decode(under.customdata) == 0)
    np.testing.assert_allclose(decode(under.y), 10 ** fig.layout.yaxis.range[0])


def test_overflow_shows_markers_at_the_ceiling_and_the_message_it_is_given():
    res = preset("Overflow to inf")
    msg = W.overflow_chart(res)
    assert "**" not in msg and "inf from k = " in msg and "NaN from k = " in msg
    fig = F.gradient_norm_figure(res, msg)
    assert traces_by_role(fig, "overflow")
    assert any(a.name == "message" and a.text == msg for a in fig.layout.annotations)
    clip = M.clipping(res.curves["rnn"], 1.0)
    assert math.isnan(clip.factor)
    fig = F.clipping_figure(clip, W.clipping_message(clip))
    assert any(a.name == "message" and "cannot rescale" in a.text for a in fig.layout.annotations)


def test_gate_panel_sits_under_the_gradients_and_its_range_follows_the_data():
    res = M.compute(S)
    c = res.curves["gru"]
    fig = F.gradient_norm_figure(res)
    (zmean,) = traces_by_role(fig, "z_mean")
    (share,) = traces_by_role(fig, "share")
    np.testing.assert_allclose(decode(zmean.y), c.z_mean)
    np.testing.assert_allclose(decode(share.y), c.share)
    assert zmean.yaxis == share.yaxis == "y2" and fig.layout.xaxis2.matches == "x"
    np.testing.assert_allclose(decode(line(fig, "GRU through diag(z) alone").customdata), c.direct_only)
    assert fig.layout.yaxis2.range[0] == 0.0
    held = F.gradient_norm_figure(preset("Gate held open"))   # z ~ 0.98: the panel zooms to where the lines are
    lo, hi = held.layout.yaxis2.range
    assert lo >= 0.8 and hi <= 1.01
    gru = preset("Gate held open").curves["gru"]
    assert lo <= min(gru.z_lo.min(), gru.share.min())
    rnn_only = F.gradient_norm_figure(M.compute(M.Settings(steps=20, hidden=4, cells=("rnn",))))
    assert not traces_by_role(rnn_only, "z_mean") and "yaxis2" not in rnn_only.to_plotly_json()["layout"]


def test_the_ceiling_widens_the_axis_by_at_most_two_decades_above_the_data():
    res = preset("Exploding RNN")
    fig = F.gradient_norm_figure(res)
    top_data = max(np.nanmax(np.where(np.isfinite(c.grad_norm), c.grad_norm, np.nan)) for c in res.curves.values())
    assert fig.layout.yaxis.range[1] <= math.log10(top_data) + 0.5 + 1 + F.BOUND_HEADROOM


def test_unit_heatmap_holds_log10_of_each_units_gradient():
    res = M.compute(M.Settings(steps=60, hidden=12, cells=("rnn", "gru")))
    fig = F.unit_heatmap_figure(res)
    for hm in fig.data:
        c = res.curves[hm.meta["kind"]]
        z = np.asarray(hm.z, dtype=float)
        assert z.shape == (12, 60)
        np.testing.assert_allclose(z, np.log10(np.clip(c.grad_abs.T[:, ::-1], hm.meta["floor"], hm.meta["ceil"])),
                                   rtol=1e-10)


def test_big_unit_heatmaps_drop_hover_text_but_keep_the_numbers():
    res = M.compute(M.Settings(steps=500, hidden=64, cells=("rnn", "gru")))
    fig = F.unit_heatmap_figure(res)
    for hm in fig.data:
        assert hm.text is None
        c = res.curves[hm.meta["kind"]]
        want = np.log10(np.clip(c.grad_abs.T[:, ::-1], hm.meta["floor"], hm.meta["ceil"]))
        np.testing.assert_allclose(np.asarray(hm.z, dtype=float), want, rtol=1e-6, atol=1e-4)
    assert len(fig.to_json()) < 2_000_000


def test_phase_figure_colours_are_log10_of_the_sweep():
    s = M.Settings(steps=20, hidden=6)
    phases = {k: M.phase_sweep(k, s, n=6) for k in ("rnn", "gru")}
    heat = [t for t in F.phase_figure(phases, {"rnn": 1.0, "gru": 1.0}).data if t.type == "heatmap"]
    assert [h.meta["kind"] for h in heat] == ["rnn", "gru"]
    for h in heat:
        jn = phases[h.meta["kind"]].jacobian_norm[::-1]
        want = np.log10(np.clip(jn, 10.0 ** -F.PHASE_DECADES, 10.0 ** F.PHASE_DECADES))
        np.testing.assert_allclose(np.asarray(h.z, dtype=float), want, rtol=1e-10)
        assert h.zmid == 0
    assert np.asarray(heat[0].z)[0] == pytest.approx(0.0, abs=1e-12)  # k = 0: dh_T/dh_T = I


def test_clipping_figure_draws_the_clipping_result():
    c = M.cell_curves("rnn", M.Settings(steps=50, hidden=16, init="orthogonal", scale=2.0))
    clip = M.clipping(c, c.param_grad.total_norm / 100)
    fig = F.clipping_figure(clip)
    np.testing.assert_allclose(decode(line(fig, "after clipping").customdata), clip.clipped)
    (after,) = traces_by_role(fig, "total_clipped")
    assert after.meta["value"] == pytest.approx(clip.total_after)
    assert not fig.layout.meta   # nothing stored for the page to read back
    assert traces_by_role(F.clipping_figure(M.clipping(c, c.param_grad.total_norm * 2)), "threshold")
    assert not [t for t in traces_by_role(F.clipping_figure(M.clipping(c, None)), "line")
                if t.meta["name"] == "after clipping"]


def test_every_figure_builder_makes_a_valid_plotly_figure():
    res = M.compute(S)
    phases = {k: M.phase_sweep(k, M.Settings(steps=20, hidden=6), n=6) for k in ("rnn", "gru")}
    for fig in (F.gradient_norm_figure(res), F.gradient_norm_figure(preset("Overflow to inf"), "msg"),
                F.gradient_norm_figure(preset("Gate held open")), F.unit_heatmap_figure(res),
                F.phase_figure(phases, {"rnn": 1.0, "gru": 1.0}), F.clipping_figure(M.clipping(res.curves["rnn"], 1.0)),
                F.clipping_figure(M.clipping(res.curves["rnn"], None))):
        validate_figure(fig)


# ------------------------------------------------------------------------------------------------ words


def test_verdict_thresholds():
    assert [W.verdict(v) for v in (2.0, W.GROWN, 0.5, W.SURVIVES, 0.01, W.VANISHED, 1e-20)] == [
        "has grown", "survives", "survives", "survives", "fades", "fades", "has vanished"]
    assert W.verdict(math.nan) == "is undefined"
    assert [W.trend(r) for r in (0.5, 1 - W.LEVEL, 1.0, 1 + W.LEVEL, 1.2)] == [
        "shrinks", "holds its size", "holds its size", "holds its size", "grows"]
    assert [W.nonfinite_kind(np.array(v)) for v in ([np.inf], [np.nan], [np.inf, np.nan, 1.0])] == [
        "inf", "NaN", "inf and NaN"]


def test_headline_states_the_retained_shares_computed_from_the_traces():
    res = M.compute(M.Settings(steps=60, hidden=12, cells=("rnn", "gru")))
    text = W.headline(res)
    for c in res.curves.values():
        assert f"**{sci(A.retained(c.grad_norm, 50))}**" in text
    assert text.startswith("After 50 steps back the RNN keeps") and "At the first step (59 steps back)" in text


def test_long_gru_with_bias_two_is_not_said_to_survive_where_it_keeps_almost_nothing():
    """Issue 12: T = 500, bias +2: the sentence must judge each distance by its own number."""
    gru = M.compute(M.Settings(steps=500, update_bias=2.0, cells=("gru",))).curves["gru"]
    far = A.retained(gru.grad_norm, 499)
    story = W.gru_story(gru)
    assert f"after 499 steps it keeps {sci(far)}: the gradient {W.verdict(far)}" in story
    if far < W.VANISHED:
        assert "after 499 steps" in story and "has vanished" in story


def test_gru_story_names_the_default_init_vanishing_and_the_held_gate_surviving():
    assert "vanishes too" in W.gru_story(M.cell_curves("gru", M.Settings(steps=100, hidden=64)))
    held = W.gru_story(M.cell_curves("gru", M.Settings(steps=100, hidden=64, update_bias=4.0)))
    assert "holds the gate open" in held and "after 50 steps it keeps" in held and "survives" in held


def test_slope_sentence_gives_the_measured_factor_with_its_ceiling():
    rnn = M.cell_curves("rnn", M.Settings(scale=1.5))   # PyTorch init rescaled to sigma_max = 1.5: still vanishes
    text = W.slope(rnn)
    assert f"**{rnn.rho:.2f}**" in text and f"= {rnn.sigma_max:.2f} per step" in text
    assert rnn.sigma_max > 1 > rnn.rho and "necessary" in text and "not sufficient" in text
    small = M.cell_curves("rnn", M.Settings(init="orthogonal", scale=0.5))
    assert "can only vanish" in W.slope(small) and "not sufficient" not in W.slope(small)
    grows = M.cell_curves("rnn", M.Settings(init="orthogonal", scale=2.0))
    assert grows.rho > 1 + W.LEVEL and "so it grows" in W.slope(grows) and "not sufficient" not in W.slope(grows)


def test_dashed_line_sentence_says_below_or_above_as_the_numbers_are():
    gru = M.compute(S).curves["gru"]
    below = np.mean(gru.direct_only < gru.grad_norm)
    assert ("**below**" in W.dashed_line(gru)) == (below >= 0.5)


def test_overflow_words_name_inf_and_nan_as_the_numbers_are():
    res = preset("Overflow to inf")
    g = res.curves["rnn"].grad_norm
    k = np.arange(len(g) - 1, -1, -1)
    text = W.overflow_sentence(res)
    assert f"**inf** from {k[np.isinf(g)].min()} steps back" in text
    assert f"**NaN** from {k[np.isnan(g)].min()} steps back" in text
    assert W.overflow_sentence(M.compute(S)) is None
    assert "overflowed to **" in W.headline(res)
    assert "NaN" in W.headline(res) if np.isnan(g[0]) else "inf" in W.headline(res)


def test_big_start_explains_an_axis_that_starts_far_above_one():
    res = preset("Overflow to inf")
    text = W.big_start(res)
    assert text and sci(res.curves["rnn"].h_last_norm) in text and "ReLU" in text
    assert W.big_start(M.compute(S)) is None


def test_clipping_sentence_follows_the_factor():
    c = M.cell_curves("rnn", M.Settings(steps=50, hidden=16, init="orthogonal", scale=2.0))
    t = c.param_grad.total_norm
    assert "multiplied by" in W.clipping_sentence(M.clipping(c, t / 100))
    assert "does nothing" in W.clipping_sentence(M.clipping(c, t * 2))
    assert "off" in W.clipping_sentence(M.clipping(c, None))
