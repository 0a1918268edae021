"""The lesson page (AppTest through app.py): a step asks before it answers, the answer waits for a prediction and
the Reveal button and is worded from the engine's numbers, Back / Next move through the steps and the URL, the class's
predictions are counted once per session, and the last step checks the goal from the engine."""
from __future__ import annotations

import pytest

from lab import votes
from lab.figures.common import sci
from lab.models import lesson as L
from tests.app.conftest import exceptions, plotly_specs, run_app


def _answer_texts(at) -> list[str]:
    return [s.value for s in at.success if "The answer" in s.value]


def _step_heading(at) -> str:
    return next(h.value for h in at.subheader if h.value.startswith("Step "))


def test_first_step_asks_first_and_reveals_only_after_a_prediction():
    at = run_app("lesson")
    assert not exceptions(at)
    assert _step_heading(at).startswith(f"Step 1 of {len(L.STEPS)}")
    assert not _answer_texts(at)
    reveal = at.button(key="lesson_answer_rnn_forgets")
    assert reveal.disabled                       # nothing chosen yet
    at.radio(key="lesson_guess_rnn_forgets").set_value("half").run()
    assert not at.button(key="lesson_answer_rnn_forgets").disabled and not _answer_texts(at)
    at.button(key="lesson_answer_rnn_forgets").click().run()
    (text,) = _answer_texts(at)
    result = L.compute(L.Settings(1))
    assert text.startswith("**Not quite.**") and L.STEPS[0].choices[result.correct] in text
    assert sci(result.numbers["s50"]) in text and sci(result.numbers["s100"]) in text   # the engine's numbers


def test_next_and_back_move_through_the_steps_and_the_url():
    at = run_app("lesson")
    at.button(key="lesson_next").click().run()
    assert _step_heading(at).startswith("Step 2") and at.query_params["lesson_step"] in ("2", ["2"])
    at.button(key="lesson_back").click().run()
    assert _step_heading(at).startswith("Step 1")
    assert not exceptions(at)


def test_next_from_a_linked_step_goes_to_the_following_step():
    at = run_app("lesson", lesson_step="3")
    assert not at.button(key="lesson_back").disabled
    at.button(key="lesson_next").click().run()
    assert _step_heading(at).startswith("Step 4")
    at.button(key="lesson_back").click().run()
    at.button(key="lesson_back").click().run()
    assert _step_heading(at).startswith("Step 2")


@pytest.mark.parametrize("number", range(1, len(L.STEPS) + 1))
def test_every_step_opens_from_its_link_with_a_chart_and_a_question(number):
    step = L.step_of(number)
    at = run_app("lesson", lesson_step=str(number))
    assert not exceptions(at)
    assert _step_heading(at) == f"Step {number} of {len(L.STEPS)}: {step.title}"
    assert len(plotly_specs(at)) == 1
    assert list(at.radio(key=f"lesson_guess_{step.slug}").options) == list(step.choices.values())


def test_the_chart_follows_the_step_control():
    at = run_app("lesson", lesson_step="4")
    before = plotly_specs(at)[0]["data"][1]["name"]
    at.slider(key="lesson_bias").set_value(3.0).run()
    assert plotly_specs(at)[0]["data"][1]["name"] == "GRU, bias 3" != before


def test_a_session_votes_once_and_a_new_choice_replaces_its_vote():
    poll = ("lesson", "gru_default")
    votes.CLASS.reset(poll)
    at = run_app("lesson", lesson_step="3")
    at.radio(key="lesson_guess_gru_default").set_value("yes").run()
    at.run()
    assert votes.CLASS.counts(poll) == {"yes": 1}
    at.radio(key="lesson_guess_gru_default").set_value("no").run()
    assert votes.CLASS.counts(poll) == {"no": 1}
    other = run_app("lesson", lesson_step="3")
    other.radio(key="lesson_guess_gru_default").set_value("no").run()
    assert votes.CLASS.counts(poll) == {"no": 2}
    votes.CLASS.reset(poll)


def test_presenter_sees_the_class_histogram_before_the_reveal_and_can_reset():
    poll = ("lesson", "update_gate")
    votes.CLASS.reset(poll)
    for i, choice in enumerate(["million", "million", "x2"]):
        votes.CLASS.vote(poll, f"student{i}", choice)
    at = run_app("lesson", lesson_step="4", present="1")
    assert not exceptions(at)
    bars = {p.proto.text: p.value for p in at.get("progress")}
    assert any("More than a million times: **2**" in t for t in bars)
    assert not _answer_texts(at) and not at.button(key="lesson_answer_update_gate").disabled
    at.button(key="lesson_reset_update_gate").click().run()
    assert votes.CLASS.counts(poll) == {}


def test_goal_step_checks_the_setting_with_the_engine():
    at = run_app("lesson", lesson_step=str(len(L.STEPS)))
    assert any("Not yet" in w.value for w in at.warning)
    first = L.compute(L.Settings(len(L.STEPS))).numbers["first"]
    at.slider(key="lesson_goal_bias").set_value(first).run()
    assert any("Goal reached" in s.value for s in at.success)
    at.slider(key="lesson_goal_bias").set_value(first - 0.5).run()
    assert not any("Goal reached" in s.value for s in at.success)


def test_other_pages_link_to_their_lesson_step():
    at = run_app("vanishing")
    links = [el for el in at.get("page_link") if "Lesson, step" in el.proto.label]
    assert links and links[0].proto.label == f"Lesson, step {L.step_for_page('vanishing')}"


def _tiny_training(monkeypatch):
    """The lesson's training steps with a tiny run (the real one is timed in benchmarks/bench_classroom.py)."""
    from dataclasses import replace

    tiny = replace(L.TRAIN, delay=5, hidden_size=4, steps=6, eval_every=3, snapshot_every=3)
    monkeypatch.setattr(L, "TRAIN", tiny)
    monkeypatch.setattr(L, "RUN_KEY", ("lesson-test", tiny, L.TRAIN_CELLS))
    return tiny


def _train_until_done(at, timeout_s: float = 120.0):
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        texts = [p.proto.text for p in at.get("progress")]
        if texts and texts[0].startswith("finished"):
            return at
        time.sleep(0.3)
        at.run()
    raise AssertionError(f"the lesson's run did not finish in {timeout_s} s")


def test_training_steps_train_once_for_the_class_then_answer_from_the_trained_models(monkeypatch):
    tiny = _tiny_training(monkeypatch)
    step = next(i for i, s in enumerate(L.STEPS, start=1) if s.slug == "train")
    at = run_app("lesson", lesson_step=str(step))
    assert not exceptions(at) and not _answer_texts(at)
    at.button(key="lesson_train").click().run()
    other = run_app("lesson", lesson_step=str(step))
    other.button(key="lesson_train").click().run()
    assert other.session_state["_lesson_run"] is at.session_state["_lesson_run"]   # one run for the class
    _train_until_done(at)
    view = at.session_state["_lesson_run"].view()
    at.radio(key="lesson_guess_train").set_value("gru").run()
    at.button(key="lesson_answer_train").click().run()
    (text,) = _answer_texts(at)
    assert f"after {tiny.steps} training steps" in text and L._pct(view.final["gru"]) in text
    at.button(key="lesson_next").click().run()
    at.radio(key="lesson_guess_learned").set_value("keep").run()
    at.button(key="lesson_answer_learned").click().run()
    (text,) = _answer_texts(at)
    res = L.learned(view)
    assert f"{res.numbers['low']:.3f}" in text and not exceptions(at)
