"""lab.controls through Streamlit (AppTest): each helper reads a good link value, and replaces a bad one by the
nearest valid value with a visible note naming the parameter, what it got and what is used."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

SCRIPT = str(Path(__file__).with_name("controls_app.py"))


def run(**query) -> tuple[AppTest, dict]:
    at = AppTest.from_file(SCRIPT, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at, json.loads(at.json[0].proto.body)


def link(at: AppTest, key: str) -> list[str] | None:
    """A parameter of the page's URL as a list (None: not in the URL)."""
    v = at.query_params.get(key)
    return [v] if isinstance(v, str) else (None if v is None else list(v))


def notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_defaults_without_notes():
    at, out = run()
    assert out["len"] == "100" and out["cell"] == "'gru'" and out["cells"] == "['rnn', 'gru', 'lstm']"
    assert out["init"] == "InitChoice(init='pytorch', scale=None)"
    assert out["bias"] == "GateBias(update_bias=0.0, chrono=None)"
    assert not notes(at)


@pytest.mark.parametrize("query, key, expected", [
    ({"t_len": "300"}, "len", "300"),
    ({"t_sig": "1.25"}, "sigma", "1.25"),
    ({"t_cell": "LSTM"}, "cell", "'lstm'"),           # an old link (the label) still works
    ({"t_cell": "lstm"}, "cell", "'lstm'"),           # the short word
    ({"t_loss": "all"}, "loss", "'all'"),
    ({"t_mode": "b"}, "mode", "'b'"),
    ({"t_cells": ["RNN", "LSTM"]}, "cells", "['rnn', 'lstm']"),
    ({"t_cellsd": ["rnn", "gru"]}, "cellsd", "['rnn', 'gru']"),
    ({"t_clip": "true"}, "clip", "True"),
    ({"t_seed": "42"}, "seed", "42"),
    ({"t_name": "hello"}, "name", "'hello'"),
    ({"t_signal": "Sine"}, "signal", "'sine'"),
    ({"t_init": "Orthogonal", "t_rescale": "true"}, "init", "InitChoice(init='orthogonal', scale=1.0)"),
    ({"t_rescale": "true", "t_sigma": "2.5"}, "init", "InitChoice(init='pytorch', scale=2.5)"),
    ({"t_bias": "2.5"}, "bias", "GateBias(update_bias=2.5, chrono=None)"),
    ({"t_chrono": "true"}, "bias", "GateBias(update_bias=0.0, chrono=100)"),
])
def test_good_link_values_are_applied_silently(query, key, expected):
    at, out = run(**query)
    assert out[key] == expected
    assert not notes(at), notes(at)


@pytest.mark.parametrize("query, key, expected, words", [
    ({"t_len": "9999"}, "len", "500", "t_len=9999` is above the maximum 500; using 500"),
    ({"t_len": "abc"}, "len", "100", "t_len=abc` is not a number; using the default 100"),
    ({"t_len": "254.7"}, "len", "250", "nearest value 250"),
    ({"t_sig": "0.123"}, "sigma", "0.1", "nearest value 0.1"),
    ({"t_cell": "transformer"}, "cell", "'gru'", "is not one of RNN, GRU, LSTM; using the default 'GRU'"),
    ({"t_loss": "ALL"}, "loss", "'all'", "matched option 'all'"),
    ({"t_loss": "sum"}, "loss", "'last'", "using the default 'last'"),
    ({"t_mode": "zzz"}, "mode", "'a'", "using the default 'a'"),
    ({"t_cells": ["RNN", "foo"]}, "cells", "['rnn']", "dropped unknown 'foo'"),
    ({"t_cells": ["foo"]}, "cells", "['rnn', 'gru', 'lstm']", "no valid option"),
    ({"t_clip": "yes"}, "clip", "True", "read as on"),
    ({"t_clip": "perhaps"}, "clip", "False", "not true/false"),
    ({"t_seed": "123456789"}, "seed", "9999", "above the maximum 9999"),
    ({"t_seed": "-1"}, "seed", "0", "below the minimum 0"),
    ({"t_name": "averyverylongname"}, "name", "'averyver'", "longer than 8 characters"),
    ({"t_signal": "square"}, "signal", "'impulse'", "not one of"),
    ({"t_bias": "100"}, "bias", "GateBias(update_bias=8.0, chrono=None)", "above the maximum 8"),
])
def test_bad_link_values_fall_back_to_nearest_with_a_note(query, key, expected, words):
    at, out = run(**query)
    assert out[key] == expected
    msgs = [n for n in notes(at) if list(query)[0] in n]
    assert len(msgs) == 1 and words in msgs[0], notes(at)


def test_choices_are_written_to_the_link_as_short_words_and_old_labels_are_rewritten():
    at, out = run(t_cell="LSTM", t_init="Orthogonal")
    assert out["cell"] == "'lstm'" and link(at, "t_cell") == ["lstm"]
    assert link(at, "t_init") == ["orthogonal"]
    at.selectbox(key="t_cell").select("gru").run()          # back to the default: out of the link
    assert link(at, "t_cell") is None
    at.button_group(key="t_cells").set_value(["rnn"]).run()
    assert link(at, "t_cells") == ["rnn"]


def test_a_moved_control_loses_its_note_and_keeps_the_users_value():
    at, _ = run(t_len="9999")
    assert any("t_len=9999" in n for n in notes(at))
    at.slider(key="t_len").set_value(200).run()
    assert not at.exception and at.slider(key="t_len").value == 200
    assert not any("t_len" in n for n in notes(at))


@pytest.mark.parametrize("raw", ["inf", "-inf", "1e400", "nan", "-1e400"])
def test_non_finite_seed_links_fall_back_with_a_note_instead_of_crashing(raw):
    at, out = run(t_seed=raw)
    assert out["seed"] in ("0", "9999")
    assert any(f"t_seed={raw}" in n for n in notes(at)), notes(at)


def test_a_typed_fraction_in_an_integer_input_lands_on_the_nearest_whole_number():
    at, _ = run()
    at.number_input(key="t_seed").set_value(41.7).run()
    assert not at.exception
    assert json.loads(at.json[0].proto.body)["seed"] == "42"


def test_tabs_run_only_the_open_tab_and_keep_it_in_the_link_as_a_short_word():
    at, out = run()
    assert out["view"] == "'grad'" and link(at, "t_view") is None
    assert [m.value for m in at.markdown if m.value.startswith("body of")] == ["body of grad"]
    at, out = run(t_view="keep")
    assert out["view"] == "'keep'" and not notes(at)
    assert [m.value for m in at.markdown if m.value.startswith("body of")] == ["body of keep"]
    at.session_state["t_view"] = "Gradient share"     # the student clicks the first tab
    at.run()
    assert json.loads(at.json[0].proto.body)["view"] == "'grad'" and link(at, "t_view") is None


@pytest.mark.parametrize("raw, expected", [("KEEP", "'keep'"), ("what-the-gate", "'keep'"),
                                           ("nonsense", "'grad'"), ("inf", "'grad'")])
def test_a_bad_tab_word_in_a_link_opens_the_nearest_tab_with_a_note(raw, expected):
    at, out = run(t_view=raw)
    assert out["view"] == expected
    assert any("t_view=" in n for n in notes(at)), notes(at)
