"""lab.controls: URL strings -> nearest valid value and the note's wording (pure functions)."""
import pytest

from lab.controls import nearest_number, nearest_option, nearest_options, nearest_text, parse_bool, snap, url_words


@pytest.mark.parametrize("raw, expected, problem", [
    ("250", 250, None),
    ("9999", 500, "above the maximum 500"),
    ("-3", 10, "below the minimum 10"),
    ("abc", 100, "not a number"),
    ("nan", 100, "not a number"),
    ("inf", 500, "above the maximum"),
    ("254.7", 250, "nearest value 250"),
    (" 260 ", 260, None),
])
def test_int_slider_values(raw, expected, problem):
    v, p = nearest_number(raw, 10, 500, 10, 100, integer=True)
    assert v == expected and isinstance(v, int)
    assert (p is None) if problem is None else (problem in p)


@pytest.mark.parametrize("raw, expected, problem", [
    ("1.05", 1.05, None),
    ("1.0500000000000003", 1.05, None),   # float noise in a URL is not a problem
    ("0.123", 0.1, "nearest value 0.1"),
    ("99", 3.0, "above the maximum 3"),
    ("0", 0.1, "below the minimum 0.1"),
])
def test_float_slider_values(raw, expected, problem):
    v, p = nearest_number(raw, 0.1, 3.0, 0.05, 1.0, integer=False)
    assert v == pytest.approx(expected)
    assert (p is None) if problem is None else (problem in p)


def test_snap_stays_inside_range():
    assert snap(2.99, 0.1, 3.0, 0.2, False) <= 3.0
    assert snap(7, 1, 8, 3, True) == 7


OPTS = ["rnn", "gru", "lstm"]
LABS = ["RNN", "GRU", "LSTM"]


@pytest.mark.parametrize("raw, expected, ok", [
    ("GRU", "gru", True), ("gru", "gru", True), ("Lstm", "lstm", False), ("ls", "lstm", False),
    ("xyz", "gru", False), ("", "gru", False),
])
def test_single_option(raw, expected, ok):
    v, p = nearest_option(raw, OPTS, LABS, "gru")
    assert v == expected and ((p is None) == ok)


def test_multi_options_keep_valid_ones_in_option_order():
    assert nearest_options(["LSTM", "RNN"], OPTS, LABS, ["rnn"]) == (["rnn", "lstm"], None)
    v, p = nearest_options(["RNN", "foo"], OPTS, LABS, ["gru"])
    assert v == ["rnn"] and "foo" in p
    v, p = nearest_options(["foo"], OPTS, LABS, ["gru"], min_count=1)
    assert v == ["gru"] and "default" in p


@pytest.mark.parametrize("raw, expected, ok", [("true", True, True), ("false", False, True), ("1", True, False),
                                               ("off", False, False), ("maybe", True, False)])
def test_bool(raw, expected, ok):
    v, p = parse_bool(raw, default=True)
    assert v is expected and ((p is None) == ok)


def test_text_is_truncated_and_validated():
    assert nearest_text("abcdef", 3, None, "x") == ("abc", "is longer than 3 characters; using the first 3")
    v, p = nearest_text("bad", None, lambda s: "must start with r" if not s.startswith("r") else None, "run")
    assert v == "run" and "must start with r" in p


def test_url_words_are_short_options_or_given_values_and_unique():
    assert url_words(["rnn", "gru"]) == ["rnn", "gru"]
    assert url_words([1e-3, 3e-4, 10]) == ["0.001", "0.0003", "10"]
    assert url_words([None, 1.0], {None: "off"}) == ["off", "1"]
    assert url_words(["Phase diagram", "Unit by unit"]) == ["phase-diagram", "unit-by-unit"]
    assert url_words(["a b", "a-b"]) == ["a-b", "1"]


def test_short_word_and_old_long_label_both_select_the_option_silently():
    opts, labs = ["none", "phase"], ["Gradients only", "Phase diagram: σ_max against steps"]
    assert nearest_option("phase", opts, labs, "none") == ("phase", None)
    assert nearest_option("Phase diagram: σ_max against steps", opts, labs, "none") == ("phase", None)
    assert nearest_option("1", [None, 1.0, 0.0], ["off", "r = 1", "r = 0"], None, ["off", "1", "0"]) == (1.0, None)


@pytest.mark.parametrize("raw", ["inf", "-inf", "1e400", "-1e400", "nan", "NaN", "", "  ", "0x10", "∞", "1e309"])
def test_non_finite_and_odd_numbers_fall_back_with_a_note(raw):
    v, p = nearest_number(raw, 0, 9999, 1, 0, integer=True)
    assert isinstance(v, int) and 0 <= v <= 9999 and p
