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
    ({"t_cell": "LSTM"}, "cell", "'lstm'"),
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
    ({"t_cell": "lstm"}, "cell", "'lstm'", "matched option 'LSTM'"),
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
