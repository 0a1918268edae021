"""Training smoke tests and engine-vs-torch checks of the character LM (gru_core.charlm) and the number-words
translator (gru_core.seq2seq). Trainings are tiny (a few seconds in all)."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import charlm, seq2seq as S
from gru_core import text as T

TINY_LM = dict(hidden_size=16, embed_size=8, seq_len=32, batch_size=16, steps=60, eval_every=30)


@pytest.fixture(scope="module")
def split():
    return T.split_corpus(T.default_corpus()[:60_000])


@pytest.mark.parametrize("kind", charlm.KINDS)
def test_training_lowers_the_held_out_bits_per_character(split, kind):
    run = charlm.LMRun(split, charlm.LMConfig(kind=kind, **TINY_LM))
    run.advance(run.config.steps)
    assert run.status == "done" and run.steps_done == 60
    assert run.history.step == [0, 30, 60]
    assert run.history.test_bpc[-1] < run.history.test_bpc[0] - 0.5


@pytest.mark.parametrize("kind", charlm.KINDS)
def test_engine_gives_the_torch_models_logits_and_bpc(split, kind):
    torch = charlm._torch()
    run = charlm.LMRun(split, charlm.LMConfig(kind=kind, **TINY_LM))
    run.advance(10)
    ids = split.test[:300]
    with torch.no_grad():
        ref, _ = run.model(torch.from_numpy(ids[:, None]))
    trace, logits = charlm.lm_record(run.weights(), ids)
    assert np.abs(logits - ref[:, 0].double().numpy()).max() < 1e-4
    assert charlm.engine_bpc(run.weights(), ids) == pytest.approx(charlm.stream_bpc(run.model, ids), abs=1e-5)
    assert trace.h.shape == (300, 1, 16)


def test_same_config_gives_the_same_weights(split):
    a, b = (charlm.LMRun(split, charlm.LMConfig(**TINY_LM)) for _ in range(2))
    a.advance(5), b.advance(5)
    for name, arr in a.weights().items():
        assert np.array_equal(arr, b.weights()[name]), name


def test_generation_is_reproducible_and_its_distribution_sums_to_one(split):
    w = charlm.LMRun(split, charlm.LMConfig(**TINY_LM)).weights()
    prompt = split.vocab.encode("The ")
    ids, p = charlm.generate(w, prompt, 40, 0.8, seed=3)
    again, _ = charlm.generate(w, prompt, 40, 0.8, seed=3)
    assert np.array_equal(ids, again) and len(ids) == 40
    assert p.sum() == pytest.approx(1.0) and p.shape == (split.vocab.size,)


def test_bad_lm_settings_name_the_setting():
    with pytest.raises(ValueError, match="hidden_size"):
        charlm.LMConfig(hidden_size=10_000)
    with pytest.raises(ValueError, match="kind"):
        charlm.LMConfig(kind="mgu")


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (42, "forty-two"), (100, "one hundred"), (312, "three hundred and twelve"),
    (1001, "one thousand and one"), (40_002, "forty thousand and two"), (700_000, "seven hundred thousand"),
    (999_999, "nine hundred and ninety-nine thousand nine hundred and ninety-nine"),
])
def test_number_words(n, words):
    assert S.number_words(n) == words


def test_unknown_words_are_refused_with_a_message():
    with pytest.raises(ValueError, match="unknown words"):
        S.words_to_ids("three hundred and twelvety")
    with pytest.raises(ValueError, match="no words"):
        S.words_to_ids("   ")


def test_sampled_numbers_cover_every_digit_count():
    nums = S.sample_numbers(np.random.default_rng(0), 3000, 6)
    counts = np.bincount([len(str(n)) for n in nums])[1:]
    assert len(counts) == 6 and counts.min() > 400


def test_translator_training_lowers_the_loss_and_engine_matches_torch():
    cfg = S.S2SConfig(hidden_size=16, embed_size=8, batch_size=32, steps=80, eval_every=40, max_digits=3)
    run = S.Seq2SeqRun(cfg)
    run.advance(cfg.steps)
    assert run.history.loss[-1] < run.history.loss[1] < 2.5
    w = run.weights()
    out = S.translate(w, "three hundred and twelve")
    # the torch model fed the engine's own greedy outputs gives the engine's probabilities at every step
    batch = S.make_batch(np.array([312]))
    tokens = [0] + [S.TGT_TOKENS.index(t) for t in out.output[:-1]]
    forced = S.PairBatch(batch.numbers, batch.src, batch.lengths, np.array(tokens)[:, None], batch.target)
    torch = S._torch()
    with torch.no_grad():
        ref = torch.softmax(run.model(forced)[:, 0].double(), -1).numpy()
    assert np.abs(out.probs - ref).max() < 1e-5
    assert out.encoder.h.shape == (4, 1, 16) and out.decoder.h.shape[0] == len(out.output)
    digits = "".join(out.output).removesuffix("</s>")
    expected = int(digits) if out.output[-1] == "</s>" and digits and (digits == "0" or digits[0] != "0") else -1
    assert S.greedy_batch(w, batch.numbers)[0] == expected


def test_accuracy_by_length_groups_by_word_count():
    nums = np.array([7, 42, 312, 8])
    L, acc, count = S.accuracy_by_length(nums, np.array([7, 41, 312, 9]))
    assert list(L) == [1, 2, 4] and list(acc) == [0.5, 0.0, 1.0] and list(count) == [2, 1, 1]
