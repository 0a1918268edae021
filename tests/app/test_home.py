"""The home page in AppTest: the question before the chart, the answer from the numbers, hidden in presenter mode."""
from __future__ import annotations

import lab.models.home as M
from lab.figures.common import sci
from tests.app.conftest import exceptions, run_app


def test_home_answer_states_the_computed_shares_after_the_question():
    at = run_app(None, home_bias="0")
    assert not exceptions(at)
    res = M.compute(M.Settings(bias=0.0))
    answer = " ".join(s.value for s in at.success)
    assert f"**{sci(res.kept('gru'))}**" in answer and "has vanished" in answer
    md = [m.value for m in at.markdown]
    assert any("Predict first" in v for v in md)


def test_home_answer_waits_for_reveal_in_presenter_mode():
    at = run_app(None, present="1")
    assert not exceptions(at) and not at.success
    at.button(key="home_answer").click().run()
    assert "99 steps back the RNN keeps" in " ".join(s.value for s in at.success)
