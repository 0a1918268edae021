"""The text corpus, its encoding, the exact n-gram baselines and the unit-feature helpers (gru_core.text)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gru_core import text as T


def _split(train: str, test: str, chars=("a", "b")) -> T.Split:
    vocab = T.Vocab((T.UNK,) + tuple(chars))
    return T.Split(vocab, vocab.encode(train), vocab.encode(test), test)


# Train "abab", test "abba" over V = {UNK, a, b}; held-out characters are scored from the third on ("b", "a").
def test_unigram_add_one_by_hand():
    # counts a:2 b:2 UNK:0 -> P(a) = P(b) = (2 + 1) / (4 + 3) = 3/7
    assert T.ngram_bpc(_split("abab", "abba"), 1, "add-one") == pytest.approx(-math.log2(3 / 7), abs=1e-12)


def test_bigram_add_one_by_hand():
    # after b: C(b a) = 1, C(b .) = 1 -> P(b | b) = (0 + 1) / (1 + 3) = 1/4, P(a | b) = (1 + 1) / (1 + 3) = 1/2
    assert T.ngram_bpc(_split("abab", "abba"), 2, "add-one") == pytest.approx((2 + 1) / 2, abs=1e-12)


def test_trigram_add_one_by_hand():
    # context "ab": C(a b a) = 1 -> P(b | a b) = 1/4; context "bb" never seen -> P(a | b b) = 1/3
    assert T.ngram_bpc(_split("abab", "abba"), 3, "add-one") == pytest.approx((2 + math.log2(3)) / 2, abs=1e-12)


def test_bigram_kneser_ney_by_hand():
    # continuation counts: a follows 1 distinct char, b follows 1: P1(a) = P1(b) = 0.25/2 + 0.75*2/2 * 1/3 = 0.375,
    # P1(UNK) = 0.25. After b (one count, one type): P(b | b) = 0.75 * 0.375, P(a | b) = 0.25 + 0.75 * 0.375
    p_bb, p_ba = 0.75 * 0.375, 0.25 + 0.75 * 0.375
    expected = -(math.log2(p_bb) + math.log2(p_ba)) / 2
    assert T.ngram_bpc(_split("abab", "abba"), 2, "kneser-ney") == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("order", T.NGRAM_ORDERS)
@pytest.mark.parametrize("smoothing", T.SMOOTHINGS)
def test_every_ngram_table_is_a_distribution_over_the_next_character(order, smoothing):
    split = T.split_corpus(T.default_corpus()[:20_000], max_vocab=20)
    table = T.ngram_table(split.train, split.vocab.size, order, smoothing)
    assert table.shape == (split.vocab.size,) * order
    assert np.all(table > 0)
    assert np.allclose(table.sum(-1), 1.0, atol=1e-12)


def test_more_context_predicts_the_documentation_better():
    split = T.split_corpus(T.default_corpus())
    bpc = [T.ngram_bpc(split, n, "kneser-ney") for n in T.NGRAM_ORDERS]
    assert bpc[0] > bpc[1] > bpc[2]
    assert T.ngram_bpc(split, 3, "kneser-ney") < T.ngram_bpc(split, 3, "add-one")


def test_default_corpus_is_pythons_documentation_prose():
    text = T.default_corpus()
    assert len(text) > 400_000 and "assert" in text
    split = T.split_corpus(text)
    assert split.vocab.size <= T.MAX_VOCAB + 1 and split.vocab.chars[0] == T.UNK
    assert len(split.test) == len(split.test_text) == len(text) - len(split.train)
    assert abs(len(split.test) / len(text) - T.HELD_OUT) < 1e-4


def test_vocab_round_trips_and_maps_unknown_characters_to_unk():
    vocab = T.build_vocab("aab c")
    assert vocab.chars[:2] == (T.UNK, "a")
    assert vocab.decode(vocab.encode("ab c")) == "ab c"
    assert vocab.decode(vocab.encode("z")) == T.UNK


@pytest.mark.parametrize("data, words", [
    (b"x" * (T.MAX_UPLOAD_BYTES + 1), "at most 1,000,000"),
    (b"short text", "at least 2,000"),
    (b"\x00\x01" * 2000, "zero bytes"),
    (b"\xff\xfe" + "é".encode("latin-1") * 3000, "not UTF-8"),
    (bytes(range(1, 9)) * 500, "control characters"),
])
def test_bad_uploads_raise_a_message_saying_what_is_wrong(data, words):
    with pytest.raises(T.CorpusError, match=words):
        T.decode_upload(data)


def test_a_utf8_upload_with_bom_and_windows_newlines_is_read():
    text = T.decode_upload(("\ufeff" + "Hello, world.\r\n" * 200).encode("utf-8"))
    assert text.startswith("Hello") and "\r" not in text


def test_features_follow_quotes_brackets_lines_and_spaces():
    text = 'a "b" (c)\nde f'
    assert list(T.feature_values(text, "quote")) == [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert list(T.feature_values(text, "bracket")) == [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]
    assert list(T.feature_values(text, "line_pos")) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]
    assert list(T.feature_values(text, "after_space")) == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]


def test_best_unit_finds_the_unit_that_tracks_the_feature():
    rng = np.random.default_rng(0)
    feature = (rng.random(300) > 0.5).astype(float)
    states = rng.standard_normal((300, 8))
    states[:, 5] = -feature + 0.1 * rng.standard_normal(300)
    unit, r = T.best_unit(states, feature)
    assert unit == 5 and r < -0.9


def test_best_unit_of_constant_states_has_correlation_zero():
    assert T.best_unit(np.ones((10, 3)), np.arange(10.0)) == (0, 0.0)


def test_softmax_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0])
    cold, warm = T.softmax(logits, 0.5), T.softmax(logits, 2.0)
    assert cold[0] > T.softmax(logits)[0] > warm[0]
    assert cold.sum() == pytest.approx(1.0) and warm.sum() == pytest.approx(1.0)
