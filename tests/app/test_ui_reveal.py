"""lab.ui.predict / lab.ui.reveal and lab.present.presenting through Streamlit (AppTest): the answer is shown on an
ordinary page, hidden behind Reveal in presenter mode or when asked, the Reveal button waits for an answer when told
to, and a prediction is returned as the chosen option's key."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script(hidden=None, ready_needs_guess=False):
    import streamlit as st

    from lab import present, ui

    guess = ui.predict("Will it fall?", {"falls": "It falls", "stays": "It stays up"}, key="q")
    ui.reveal("It **falls**: 1e-15 of the gradient is left.", key="ans", hidden=hidden,
              ready=(guess is not None) if ready_needs_guess else True)
    st.text(f"guess={guess} presenting={present.presenting()}")


def _run(query=None, **kwargs) -> AppTest:
    at = AppTest.from_function(_script, kwargs=kwargs, default_timeout=30)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _answer_shown(at: AppTest) -> bool:
    return any("falls" in s.value and "1e-15" in s.value for s in at.success)


def test_answer_shown_at_once_on_an_ordinary_page():
    at = _run()
    assert _answer_shown(at) and not at.button
    assert "presenting=False" in at.text[0].value


def test_presenter_mode_hides_the_answer_until_reveal_is_pressed():
    at = _run({"present": "1"})
    assert "presenting=True" in at.text[0].value
    assert not _answer_shown(at)
    at.button(key="ans").click().run()
    assert _answer_shown(at)
    at.run()  # stays revealed on later reruns
    assert _answer_shown(at)


def test_present_values_that_are_not_true_do_not_present():
    for raw in ("0", "no", "", "banana"):
        at = _run({"present": raw})
        assert "presenting=False" in at.text[0].value and _answer_shown(at), raw


def test_hidden_true_hides_and_reveal_waits_for_a_prediction():
    at = _run(hidden=True, ready_needs_guess=True)
    assert not _answer_shown(at) and at.button(key="ans").disabled
    at.radio(key="q").set_value("stays").run()
    assert "guess=stays" in at.text[0].value
    assert not at.button(key="ans").disabled
    at.button(key="ans").click().run()
    assert _answer_shown(at)


def test_prediction_starts_unanswered_and_shows_labels():
    at = _run(hidden=True)
    radio = at.radio(key="q")
    assert radio.value is None and "guess=None" in at.text[0].value
    assert list(radio.options) == ["It falls", "It stays up"]
