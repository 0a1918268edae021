"""lab.models.lesson and lab.figures.lesson: every step's answer is chosen from the engine's numbers (recomputed here
independently), the words cite them, the goal check follows the engine, and each step's figure is a valid Plotly
figure holding the result's arrays."""
from __future__ import annotations

import math

import numpy as np
import pytest

import gru_core
from lab.figures.common import decode, sci, validate_figure
from lab.figures.lesson import lesson_figure
from lab.models import lesson as L


def _share(kind, T, **kw):
    cell = gru_core.make_cell(kind, 1, L.H, seed=0, **kw)
    g = gru_core.record(cell, gru_core.signal("noise", T, 1, seed=0), loss="last").grad_norm[:, 0]
    return g / g[-1]


def test_there_are_eight_to_ten_steps_each_with_a_question_and_choices():
    assert 8 <= len(L.STEPS) <= 10
    assert len({s.slug for s in L.STEPS}) == len(L.STEPS)
    for s in L.STEPS:
        assert s.question.endswith("?") and 2 <= len(s.choices) <= 4 and s.how_to_read
    assert L.STEPS[-1].goal and L.STEPS[0].slug == "rnn_forgets"


def test_nearest_choice_compares_orders_of_magnitude():
    assert L.nearest_choice(1e-29, {"half": 2e-15, "same": 5e-15, "square": 2.5e-29}) == "square"
    assert L.nearest_choice(3e-15, {"half": 2.5e-15, "same": 5e-15, "square": 2.5e-29}) == "half"
    assert math.isclose(L.per_step_factor(0.25, 2), 0.5)


def test_rnn_forgets_answer_follows_the_engine():
    r = L.rnn_forgets(50)
    s50, s100 = _share("rnn", 50)[0], _share("rnn", 100)[0]
    assert r.numbers["s50"] == s50 and r.numbers["s100"] == s100
    assert r.correct == L.nearest_choice(s100, {"half": s50 / 2, "same": s50, "square": s50 ** 2})
    assert sci(s50) in r.words and sci(s100) in r.words


def test_bigger_weights_answer_is_the_engine_at_sigma_1_5():
    r = L.bigger_weights(1.0)
    at = _share("rnn", 100, scale=1.5)[0]
    assert r.numbers["at"] == at
    assert r.correct == ("explodes" if at > 10 else "near1" if at > 0.1 else "vanishes")


def test_update_gate_ratio_and_words():
    r = L.update_gate(0.0)
    ratio = _share("gru", 100, update_bias=3.0)[0] / _share("gru", 100)[0]
    assert math.isclose(r.numbers["ratio"], ratio, rel_tol=1e-12)
    assert r.correct == ("x2" if ratio < 10 else "x1000" if ratio < 1e6 else "million")
    assert sci(ratio) in r.words


def test_keep_gate_z_one_holds_the_state_exactly():
    r = L.keep_gate(1.0)
    held = decode(r.lines["z held at 1"][1])
    assert np.all(held == L.MEMORY_H0) and r.correct == "stays"
    assert L.keep_gate(0.3).numbers["now_end"] != L.MEMORY_H0


def test_make_rnn_is_exactly_the_rnn():
    r = L.make_rnn(1.0)
    assert r.numbers["gap"] < 1e-12 and r.correct == "rnn"
    assert len(L.make_rnn(0.0).lines) == 1


@pytest.mark.parametrize("bias", [0.0, 4.0, 4.5, 8.0])
def test_goal_check_follows_the_engine(bias):
    r = L.goal_bias(bias)
    kept = _share("gru", L.GOAL_T, update_bias=bias)[0]
    assert r.goal_met == (kept >= L.GOAL_SHARE)
    first = r.numbers["first"]
    assert _share("gru", L.GOAL_T, update_bias=first)[0] >= L.GOAL_SHARE
    assert _share("gru", L.GOAL_T, update_bias=first - 0.5)[0] < L.GOAL_SHARE


def test_step_for_page_and_step_of_clamp():
    assert L.step_for_page("vanishing") == 1 and L.step_for_page("nowhere") is None
    assert L.step_of(L.step_for_page("text")).slug == "train"
    for stem in ("home", "vanishing", "step_through", "gate_explorer", "train", "compare", "forecast", "text"):
        assert L.step_for_page(stem) is not None, stem
    assert L.step_of(0) is L.STEPS[0] and L.step_of(99) is L.STEPS[-1]


@pytest.mark.parametrize("slug", ["rnn_forgets", "bigger_weights", "gru_default", "update_gate", "keep_gate",
                                  "make_rnn", "goal"])
def test_every_engine_step_draws_a_valid_figure_of_its_arrays(slug):
    number = next(i for i, s in enumerate(L.STEPS, start=1) if s.slug == slug)
    r = L.compute(L.Settings(number))
    fig = validate_figure(lesson_figure(r))
    first_label, (_, y) = next(iter(r.lines.items()))
    trace = next(t for t in fig.data if t.name == first_label)
    shown = decode(trace.customdata) if trace.customdata is not None else decode(trace.y)
    assert np.allclose(shown, y)


def test_training_views_before_and_after_a_run():
    empty = L.trained(None)
    assert empty.correct == "" and empty.lines == {}
    validate_figure(lesson_figure(empty, chance=0.25))
    view = L.TrainView({"rnn": np.array([0, 50]), "gru": np.array([0, 50])},
                       {"rnn": np.array([0.25, 0.3]), "gru": np.array([0.25, 0.95])},
                       {"rnn": "done", "gru": "done"}, {"rnn": 0.26, "gru": 0.97}, {}, 3.0)
    r = L.trained(view)
    assert r.correct == "gru" and "97%" in r.words and "26%" in r.words
    validate_figure(lesson_figure(r, chance=0.25))
