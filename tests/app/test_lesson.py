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
