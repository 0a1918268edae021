"""lab.models.compare and lab.figures.compare: counts from the formula equal the real modules, the equations table
is read from the registry, the gradient curves are the engine's, sizes match the budget, the figures hold the
results' numbers and the words follow them."""
from __future__ import annotations

import numpy as np
import pytest

import gru_core
from gru_core.analysis import gradient_share
from lab.cache import CellSpec, SignalSpec, cached_record
from lab.figures import compare as FIG
from lab.figures.common import decode, validate_figure
from lab.models import compare as M


def y_of(fig, i=0):
    return np.asarray(decode(fig.data[i].y), dtype=float)


def test_parameter_counts_agree_with_the_modules_and_the_words_quote_them():
    rows = M.parameters(1, 64)
    for r in rows:
        assert r.count == r.counted
        if r.torch_counted is not None:
            assert r.torch_counted == r.count
    words = M.ratio_words(rows, 1, 64)
    assert "3/4" in words and "4,288" in words and "12,864" in words and "17,152" in words
    fig = validate_figure(FIG.parameters_figure(rows))
    assert list(y_of(fig)) == [r.count for r in rows]


def test_formulas_in_latex_follow_the_block_layout():
    assert M.formula_tex("gru") == "3(HI + H^2 + 2H)"
    assert M.formula_tex("rnn") == "HI + H^2 + 2H"
    assert M.formula_tex("gru_type1") == "HI + 3H^2 + 6H"
    assert M.formula_tex("gru_type3") == "HI + H^2 + 6H"
    for kind in M.KINDS:                 # the formula evaluated at a size is the count
        g_ih, g_hh, g_b = M.blocks(kind)
        assert g_ih * 7 * 3 + g_hh * 49 + 2 * g_b * 7 == gru_core.parameter_count(kind, 3, 7)


def test_gate_table_says_what_each_gate_sees_and_the_direct_paths():
    sees = {(r.kind, r.gate): r.sees for r in M.gate_rows()}
    assert sees[("gru", "z")] == (True, True, True)
    assert sees[("gru_type1", "z")] == (False, True, True)
    assert sees[("gru_type2", "r")] == (False, True, False)
    assert sees[("gru_type3", "z")] == (False, False, True)
    assert ("rnn", "z") not in sees and sees[("lstm", "f")] == (True, True, True)
    assert M.direct_path_tex("gru") == r"\mathrm{diag}(z_t)"
    assert M.direct_path_tex("gru_type1") == r"\mathrm{diag}(1 - z_t)"
    assert M.direct_path_tex("mgu") == r"\mathrm{diag}(1 - f_t)"
    assert "f_t" in M.direct_path_tex("lstm") and "none" in M.direct_path_tex("rnn")
    assert "sigma" not in M.state_tex("gru") and "n_t" in M.state_tex("gru")


def test_cost_expectation_is_proportional_to_multiply_adds():
    ms = {"nn.GRU": 9.0, "gru": 2.0, "lstm": 3.0, "rnn": 1.0}
    exp = M.expected_times(ms, 6, 32)
    mads = M.multiply_adds(6, 32)
    assert exp["lstm"] == pytest.approx(2.0 * mads["lstm"] / mads["gru"])
    assert exp["nn.GRU"] == pytest.approx(2.0) and exp["gru"] == pytest.approx(2.0)
    fig = validate_figure(FIG.speed_figure(ms, exp))
    assert list(y_of(fig)) == list(ms.values()) and list(y_of(fig, 1)) == pytest.approx(list(exp.values()))


def test_step_timer_times_every_module():
    ms = M.step_times(2, 3, steps=3, batch=2, repeats=2)
    assert set(ms) == {"nn.RNN", "nn.GRU", "nn.LSTM", *M.KINDS} and all(v > 0 for v in ms.values())
    job = M.SpeedJob(2, 3)
    assert job.view().ms == {} and job.progress() == 0


def test_gradient_flow_is_the_engines_share_and_the_figure_holds_it():
    res = M.flow(("rnn", "gru", "gru_type2"), 8, 30, 1.0, False, 0)
    g = cached_record(CellSpec("gru", 1, 8, update_bias=1.0), SignalSpec("noise", 30)).grad_norm[:, 0]
    assert np.allclose(res.share["gru"], gradient_share(g)[::-1], rtol=1e-12)
    assert res.share["gru"][0] == 1.0 and res.no_bias == ("rnn", "gru_type2")
    assert "do not reach RNN, GRU type 2" in M.no_bias_words(res)
    fig = validate_figure(FIG.flow_figure(res.k, res.share))
    line = next(t for t in fig.data if t.name == "GRU")
    assert np.allclose(np.asarray(decode(line.customdata), float), res.share["gru"])


def test_matched_sizes_are_the_closest_to_the_budget():
    for m in M.matched_sizes(20_000, 9):
        near = [abs(gru_core.parameter_count(m.kind, 9, h) - 20_000) for h in (m.hidden - 1, m.hidden + 1)]
        assert abs(m.count - 20_000) <= min(near) and m.count == gru_core.parameter_count(m.kind, 9, m.hidden)
    assert M.budget_problems(M.matched_sizes(20_000, 9)) == ""
    far = (M.Match("gru_type3", 2, 40, -0.98),)
    assert "GRU type 3" in M.budget_problems(far) and "10%" in M.budget_problems(far)


def test_a_tiny_compare_run_trains_every_kind_on_the_same_batches():
    s = M.Settings(task="recall", delay=2, steps=3, budget=2000)
    job = M.CompareJob(s, M.KINDS)
    assert [m.kind for m in job.matches] == list(M.KINDS)
    job.run(lambda: None)
    res = M.accuracy_result(job.view(), 0.25)
    assert set(res.accuracy) == set(M.KINDS) and all(0 <= a <= 1 for a in res.accuracy.values())
    assert job.progress() == 1.0
    fig = validate_figure(FIG.accuracy_figure(res.kinds, res.accuracy, chance=0.25, y_title="acc"))
    assert list(y_of(fig)) == [res.accuracy[k] for k in res.kinds]
    validate_figure(FIG.curves_figure(res.curves, s.steps, chance=0.25))


def _res(acc):
    kinds = tuple(acc)
    return M.AccuracyResult(kinds, acc, {k: 1.0 for k in kinds}, {}, {k: "done" for k in kinds},
                            {k: "" for k in kinds}, 0.25)


def test_accuracy_words_follow_the_numbers():
    words = M.accuracy_words(_res({"gru": 0.9, "lstm": 0.85, "gru_type3": 0.3, "rnn": 0.6}))
    assert "Best held-out accuracy: GRU 90.0%" in words
    assert "Near chance: GRU type 3 30.0%" in words and "Clearly behind the GRU: RNN 60.0%" in words
    assert "LSTM" not in words.split("Clearly behind")[1]
    assert "Near chance" not in M.accuracy_words(_res({"gru": 0.9, "lstm": 0.88}))


def test_shipped_table_is_drawn_as_stored_and_named_in_words():
    table = M.load_table()
    if table is None:
        pytest.skip("no shipped table")
    fig = validate_figure(FIG.table_figure(table["delays"], table["cells"], chance=0.25))
    gru = next(t for t in fig.data if t.name == "GRU")
    assert list(np.asarray(decode(gru.y), float)) == pytest.approx(table["cells"]["gru"]["mean"])
    assert str(table["budget"] // 1000) in M.table_caption(table) and "seeds" in M.table_caption(table)
    assert f"delay {table['delays'][-1]}" in M.table_words(table)


def test_loss_reasons_only_name_kinds_that_lost_as_measured():
    assert "GRU type 3 loses" in M.loss_reasons({"gru": 0.9, "gru_type3": 0.5})
    assert M.loss_reasons({"gru": 0.9, "gru_type3": 0.85}) == ""


def test_speed_bar_labels_are_at_most_three_characters_so_a_phone_can_show_them():
    ms = {"nn.GRU": 24.04, "gru": 8.72, "lstm": 9.96, "rnn": 3.2}
    fig = validate_figure(FIG.speed_figure(ms, {}))
    assert list(fig.data[0].text) == ["24", "8.7", "10", "3.2"]
    assert fig.layout.uniformtext.minsize == 12 and fig.layout.uniformtext.mode == "hide"
