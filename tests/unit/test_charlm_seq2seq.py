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


@pytest.fixture(scope="module")
def fitted(split):
    return charlm.train_lms(split, charlm.LMConfig(**TINY_LM))


@pytest.mark.parametrize("kind", charlm.KINDS)
def test_training_lowers_the_held_out_bits_per_character(fitted, kind):
    h = fitted.runs[kind].history
    assert fitted.stop_reason == "steps" and fitted.runs[kind].steps_done == 60
    assert h.eval_step == [0, 30, 60]
    assert h.eval_loss[-1] < h.eval_loss[0] - 0.5


@pytest.mark.parametrize("kind", charlm.KINDS)
def test_engine_gives_the_torch_models_logits_and_bpc(split, fitted, kind):
    torch = charlm._torch()
    model = fitted.runs[kind].model
    w = charlm.lm_weights(fitted.runs[kind].snapshots[-1].params)
    ids = split.test[:300]
    with torch.no_grad():
        ref, _ = model(torch.from_numpy(ids[:, None]))
    trace, logits = charlm.lm_record(w, ids)
    assert np.abs(logits - ref[:, 0].double().numpy()).max() < 1e-4
    assert charlm.engine_bpc(w, ids) == pytest.approx(charlm.stream_bpc(model, ids), abs=1e-5)
    assert trace.h.shape == (300, 1, 16)


def test_same_config_gives_the_same_weights(split):
    cfg = charlm.LMConfig(**{**TINY_LM, "steps": 5})
    a, b = (charlm.train_lms(split, cfg, kinds=("gru",)) for _ in range(2))
    for name, arr in a.runs["gru"].snapshots[-1].params.items():
        assert np.array_equal(arr, b.runs["gru"].snapshots[-1].params[name]), name


def test_checkpoint_round_trips_weights_and_numbers(tmp_path, split, fitted):
    path = tmp_path / "lm.npz"
    charlm.save_lm_checkpoint(path, fitted, charlm.LMConfig(**TINY_LM), split.vocab.chars)
    ck = charlm.load_lm_checkpoint(path)
    assert ck.vocab_chars == split.vocab.chars and ck.config == charlm.LMConfig(**TINY_LM)
    w = charlm.lm_weights(fitted.runs["gru"].snapshots[-1].params)
    assert all(np.array_equal(w[k], ck.weights["gru"][k]) for k in w)
    assert ck.test_bpc["gru"] == pytest.approx(charlm.stream_bpc(fitted.runs["gru"].model, split.test), abs=1e-9)


def test_generation_is_reproducible_and_its_distribution_sums_to_one(split, fitted):
    w = charlm.lm_weights(fitted.runs["gru"].snapshots[-1].params)
    prompt = split.vocab.encode("The ")
    ids, p = charlm.generate(w, prompt, 40, 0.8, seed=3)
    again, _ = charlm.generate(w, prompt, 40, 0.8, seed=3)
    assert np.array_equal(ids, again) and len(ids) == 40
    assert p.sum() == pytest.approx(1.0) and p.shape == (split.vocab.size,)


def test_bad_lm_settings_name_the_setting():
    with pytest.raises(ValueError, match="hidden_size"):
        charlm.LMConfig(hidden_size=10_000)
    with pytest.raises(ValueError, match="kind"):
        charlm.build_lm("mgu", 10, charlm.LMConfig())


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
    f = S.train_translator(cfg)
    run = f.runs["gru"]
    assert np.mean(run.history.loss[-10:]) < np.mean(run.history.loss[:10]) - 0.5
    w = S.s2s_weights(run.snapshots[-1].params)
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
