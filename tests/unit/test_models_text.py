"""lab.models.text / lab.models.translate and lab.figures.text: the shipped checkpoints, the cached computations
(from the engine), the words chosen from the numbers (thresholds pinned) and the figures holding those numbers."""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

from gru_core import charlm, seq2seq as S
from gru_core import text as T
from lab import background as bg
from lab.figures import text as F
from lab.figures.common import decode, validate_figure
from lab.models import text as M
from lab.models import translate as TL


def _arr(v) -> np.ndarray:
    """A figure's array (a list or Plotly's typed-array dict) as numpy."""
    return decode(v) if isinstance(v, dict) else np.asarray(v)


@pytest.fixture(scope="module")
def pre():
    return M.pretrained_run().view()


@pytest.fixture(scope="module")
def split():
    return M.corpus_split(None)


def test_checkpoints_are_small_plain_arrays_of_the_default_settings():
    for path in (M.CHECKPOINT, TL.CHECKPOINT):
        assert path.stat().st_size < 2 * 2**20
        with np.load(path, allow_pickle=False) as z:
            assert all(z[k].dtype != object for k in z.files)
    ck = charlm.load_lm_checkpoint(M.CHECKPOINT)
    assert ck.config == M.TextSettings().lm_config()
    assert S.load_s2s_checkpoint(TL.CHECKPOINT).config == TL.TranslateSettings().s2s_config()


def test_pretrained_numbers_are_what_the_engine_computes_from_its_weights(pre, split):
    # the last curve point (torch, float32) on the first EVAL_CHARS held-out characters = the engine in float64
    for kind in M.KINDS:
        assert charlm.engine_bpc(pre.weights[kind], split.test[:charlm.EVAL_CHARS]) == \
            pytest.approx(pre.curve_bpc[kind][-1], abs=1e-4)
    assert pre.test_bpc["gru"] < M.baselines(None, "kneser-ney").trigram   # measured: 2.15 vs 2.45


def test_scores_rank_models_and_ngrams_and_the_words_follow_the_gap(pre):
    base = M.baselines(None, "kneser-ney")
    s = M.scores(pre, base)
    assert s.names[:3] == ("1-gram", "2-gram", "3-gram") and len(s.names) == 6
    assert s.bpc[3:] == tuple(pre.test_bpc[k] for k in M.KINDS)
    assert "fewer than the trigram" in M.score_words(s, base)
    level = M.Scores(s.names[:3] + ("gru",), base.bpc + (base.trigram + 0.01,))
    assert "level" in M.score_words(level, base)
    worse = M.Scores(s.names[:3] + ("gru",), base.bpc + (base.trigram + 0.5,))
    assert "still beats" in M.score_words(worse, base)
    assert "train the models" in M.score_words(M.Scores(s.names[:3], base.bpc), base)


def test_bpc_bars_hold_the_scores_best_on_top(pre):
    base = M.baselines(None, "kneser-ney")
    s = M.scores(pre, base)
    fig = validate_figure(F.bpc_bars(s.names, s.bpc))
    bars = fig.data[0]
    assert sorted(_arr(bars.customdata)) == sorted(s.bpc)
    assert list(_arr(bars.customdata)) == sorted(s.bpc, reverse=True)      # plotly draws the last category on top
    assert bars.y[-1] == "GRU"


def test_generation_is_cached_per_setting_and_its_bars_hold_the_distribution(pre, split):
    g = M.generate_text(pre.weights["gru"], split.vocab.chars, "The ", 0.8)
    assert len(g.text) == M.GEN_CHARS and list(g.top_probs) == sorted(g.top_probs, reverse=True)
    _, p = charlm.generate(pre.weights["gru"], split.vocab.encode("The "), 0, 0.8)
    assert g.top_probs[0] == pytest.approx(p.max(), rel=1e-12)
    fig = validate_figure(F.next_char_bars(g.top_chars, g.top_probs))
    assert list(_arr(fig.data[0].customdata)) == list(g.top_probs)
    cold = M.generate_text(pre.weights["gru"], split.vocab.chars, "The ", 0.1)
    assert cold.top_probs[0] > g.top_probs[0]


@pytest.mark.parametrize("p, words", [(0.95, "almost certain"), (0.6, "fairly sure"), (0.2, "unsure")])
def test_generation_words_follow_the_top_probability(p, words):
    g = M.Generation("x", "y", ("a",), (p,), 1.0, 0.8)
    assert words in M.generation_words(g)


def test_gate_view_shows_the_engines_keep_gate_and_the_best_unit(pre, split):
    passage = M.PASSAGES["code"]
    g = M.gate_view(pre.weights["gru"], split.vocab.chars, passage, "quote", M.probe_text(split))
    trace, _ = charlm.lm_record(pre.weights["gru"], split.vocab.encode(passage))
    np.testing.assert_allclose(g.values, trace.gates["z"][:, 0, list(g.units)].T, rtol=0, atol=0)
    np.testing.assert_allclose(g.trace, trace.h[:, 0, g.best_unit], rtol=0, atol=0)
    assert len(g.chars) == len(passage) and g.signal == "z"
    h_probe, _ = charlm.lm_record(pre.weights["gru"], split.vocab.encode(M.probe_text(split)))
    assert (g.best_unit, g.r) == pytest.approx(T.best_unit(h_probe.h[:, 0], T.feature_values(M.probe_text(split),
                                                                                          "quote")))
    heat = validate_figure(F.gate_heatmap(g.chars, g.units, g.values, g.signal))
    np.testing.assert_array_equal(_arr(heat.data[0].customdata), g.values)
    aliases = heat.layout.xaxis.labelalias          # one category per position, labelled with its character
    shown = [html.unescape(re.sub(r"<[^>]+>", "", aliases[str(i)])) for i in range(len(g.chars))]
    assert heat.layout.xaxis.type == "category" and shown == list(g.chars)
    line = validate_figure(F.unit_trace(g.chars, g.trace, g.feature_values, unit=g.best_unit, feature_label="q"))
    np.testing.assert_array_equal(_arr(line.data[1].customdata), g.trace)


def test_rnn_has_no_gate_so_its_state_is_shown(pre, split):
    g = M.gate_view(pre.weights["rnn"], split.vocab.chars, "abc (d)", "bracket", M.probe_text(split))
    assert g.signal == "h"


@pytest.mark.parametrize("r, words", [(0.8, "closely"), (-0.45, "partly"), (0.1, "hardly")])
def test_gate_words_follow_the_correlation(r, words):
    g = M.GateView(("a",), "z", (0,), np.zeros((1, 1)), "quote", np.zeros(1), 3, r, np.zeros(1))
    assert words in M.gate_words(g)


def test_own_text_gets_a_message_or_is_used():
    assert M.read_own("too short", None) == (None, M.read_own("too short", None)[1])
    assert "at least 2,000" in M.read_own("too short", None)[1]
    assert "not UTF-8" in M.read_own("", b"\xff" * 3000)[1]
    text, problem = M.read_own("", ("word " * 1000).encode())
    assert problem is None and text.startswith("word")


def test_the_default_settings_show_the_checkpoint_and_others_nothing_until_trained():
    state = {}
    assert M.shown_run(state, None, M.TextSettings()).view().source == "pretrained"
    assert M.shown_run(state, None, M.TextSettings(hidden_size=32)) is None
    assert TL.shown_run(state, TL.TranslateSettings()).view().source == "pretrained"
    assert TL.shown_run(state, TL.TranslateSettings(steps=200)) is None


def test_a_live_job_trains_all_three_and_gives_models(split):
    job = M.LMJob(T.split_corpus(T.default_corpus()[:30_000]), M.TextSettings(hidden_size=16, steps=100))
    job.run(lambda: None)
    m = job.view()
    assert m.source == "live" and m.ready == M.KINDS and job.progress() == 1.0
    assert all(m.curve_bpc[k][-1] < m.curve_bpc[k][0] for k in M.KINDS)


def test_identical_live_settings_share_one_run():
    board = bg.Runs(max_running=0)          # nothing starts: the test only looks at sharing
    s = M.TextSettings(hidden_size=32)
    make = lambda: M.LMJob(M.corpus_split(None), s)   # noqa: E731
    a = board.start(M.run_key(None, s), make, "student-a")
    b = board.start(M.run_key(None, s), make, "student-b")
    assert a is b and a.watchers() == 2


# -- translation ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def translator():
    return TL.pretrained_run().view()


def test_accuracy_by_length_is_the_engines_greedy_translation(translator):
    r = TL.length_accuracy(translator.weights, 0, 6)
    nums = S.held_out_numbers(S.S2SConfig())
    pred = S.greedy_batch(translator.weights, nums)
    assert r.overall == pytest.approx(np.mean(pred == nums)) == pytest.approx(translator.accuracy)
    assert r.counts.sum() == len(nums) and r.trained_words == 11
    fig = validate_figure(F.accuracy_by_length(r.lengths, r.accuracy, r.counts, trained_max=r.trained_words))
    np.testing.assert_array_equal(_arr(fig.data[0].y), r.accuracy)


def test_a_length_with_no_held_out_number_is_marked_none_not_left_as_an_empty_slot():
    fig = validate_figure(F.accuracy_by_length(np.array([1, 2, 4, 5]), np.array([1.0, 1.0, 0.9, 0.8]),
                                               np.array([3, 9, 40, 50]), trained_max=5))
    assert [(a.x, a.text) for a in fig.layout.annotations] == [(3, "none")]
    assert [s.x0 for s in fig.layout.shapes] == [5.5]


def test_length_words_say_where_it_breaks():
    L = np.arange(1, 6)
    fine = TL.LengthResult(L, np.array([1, 1, 1, 0.99, 0.97]), np.ones(5), 0.99, 11)
    assert "do not break it" in TL.length_words(fine)
    breaks = TL.LengthResult(L, np.array([1, 1, 0.96, 0.7, 0.5]), np.ones(5), 0.8, 11)
    assert "Up to 3 words" in TL.length_words(breaks) and "70% at 4 words, 50% at 5 words" in TL.length_words(breaks)
    bad = TL.LengthResult(L, np.array([0.5, 1, 1, 1, 1]), np.ones(5), 0.9, 11)
    assert "Even short inputs" in TL.length_words(bad)


def test_summary_projects_the_encoders_final_states(translator):
    r = TL.sentence_summary(translator.weights, "digits")
    nums = S.held_out_numbers(S.S2SConfig(), TL.SUMMARY_SIZE)
    h = S.encode_batch(translator.weights, nums)
    assert r.xy.shape == (TL.SUMMARY_SIZE, 2)
    # the projection keeps pairwise geometry along the directions shown: its spread is the top singular values'
    sv = np.linalg.svd(h - h.mean(0), compute_uv=False)
    assert (r.xy ** 2).sum() == pytest.approx((sv[:2] ** 2).sum(), rel=1e-9)
    assert list(np.unique(r.groups)) == [1, 2, 3, 4, 5, 6]
    assert r.share > 0.6 and "mostly" in TL.summary_words(r, "digits")     # measured: 89%
    fig = validate_figure(F.summary_scatter(r.xy, r.groups, r.hover, "digits"))
    assert len(fig.data) == 6 and fig.data[0].name == "1 digit"


def test_step_view_shows_both_gates_and_the_answer(translator):
    v = TL.step_view(translator.weights, 312)
    tr = S.translate(translator.weights, "three hundred and twelve")
    np.testing.assert_array_equal(v.dec_z, tr.decoder.gates["z"][:, 0, list(v.dec_units)].T)
    np.testing.assert_array_equal(v.enc_z, tr.encoder.gates["z"][:, 0, list(v.enc_units)].T)
    assert v.right and v.answer == "312" and v.dec_labels[0] == "start→3" and v.dec_labels[-1] == "2→end"
    assert "right" in TL.step_words(v)
    fig = validate_figure(F.steps_heatmap(v.dec_labels, v.dec_units, v.dec_z, "decoder step"))
    assert list(fig.layout.xaxis.ticktext) == list(v.dec_labels)
