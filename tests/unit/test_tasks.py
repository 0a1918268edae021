"""gru_core.tasks: the long-memory tasks are what their papers say, and reproducible from a seed."""
import math

import numpy as np
import pytest

from gru_core.tasks import (ADDING_TOLERANCE, COPY_ALPHABET, COPY_LENGTH, DELAY_MAX, TASKS, TaskSpec,
                            adding_problem, copy_task, delayed_recall)


def rng(seed=0):
    return np.random.default_rng(seed)


def test_recall_shows_the_token_first_distractors_then_the_query():
    K, M, D, B = 4, 4, 30, 256
    b = delayed_recall(B, D, rng(), n_symbols=K, n_distractors=M)
    assert b.x.shape == (D + 2, B, K + M + 1) and b.x.dtype == np.float32
    # step 0: exactly the target token, one-hot in the first K channels
    assert np.array_equal(b.x[0, :, :K].argmax(-1), b.y)
    assert np.all(b.x[0].sum(-1) == 1)
    # delay steps: one distractor symbol each, never a token channel nor the query flag
    assert np.all(b.x[1:D + 1, :, :K] == 0) and np.all(b.x[1:D + 1, :, K + M] == 0)
    assert np.all(b.x[1:D + 1, :, K:K + M].sum(-1) == 1)
    # last step: only the query flag
    assert np.all(b.x[-1, :, K + M] == 1) and np.all(b.x[-1, :, :K + M] == 0)
    assert b.query_step == D + 1
    # tokens are spread over all K symbols (chance 1/K)
    assert set(np.unique(b.y)) == set(range(K))


def test_recall_noise_touches_only_the_delay_steps():
    clean = delayed_recall(64, 20, rng(3), noise=0.0)
    noisy = delayed_recall(64, 20, rng(3), noise=0.5)
    assert np.array_equal(clean.x[0], noisy.x[0]) and np.array_equal(clean.x[-1], noisy.x[-1])
    diff = noisy.x[1:-1] - clean.x[1:-1]
    assert 0.45 < diff.std() < 0.55
    assert np.array_equal(clean.y, noisy.y)


def test_adding_problem_has_one_marker_per_half_and_target_is_their_sum():
    T, B = 50, 512
    b = adding_problem(B, T, rng(1))
    assert b.x.shape == (T, B, 2)
    markers = b.x[:, :, 1]
    assert np.all(markers.sum(0) == 2)
    assert np.all(markers[:T // 2].sum(0) == 1) and np.all(markers[T // 2:].sum(0) == 1)
    values = b.x[:, :, 0]
    assert values.min() >= 0 and values.max() <= 1
    np.testing.assert_allclose(b.y, (values * markers).sum(0), rtol=1e-6)


def test_adding_predict_one_baseline_is_one_sixth():
    spec = TaskSpec("adding", 100)
    b = spec.batch(200_000, rng(2))
    mse_of_one = float(np.mean((b.y - 1.0) ** 2))
    assert spec.baseline_loss == pytest.approx(1 / 6)
    assert mse_of_one == pytest.approx(1 / 6, abs=0.003)
    hit = float(np.mean(np.abs(b.y - 1.0) < ADDING_TOLERANCE))
    assert hit == pytest.approx(spec.chance_accuracy, abs=0.003)


def test_copy_task_matches_arjovsky_layout():
    D, B = 40, 128
    b = copy_task(B, D, rng(4))
    T = D + 2 * COPY_LENGTH
    assert b.x.shape == (T, B, COPY_ALPHABET + 2) and b.y.shape == (T, B)
    sym = b.x.argmax(-1)
    data = sym[:COPY_LENGTH]
    assert data.min() >= 1 and data.max() <= COPY_ALPHABET
    assert np.all(sym[COPY_LENGTH:COPY_LENGTH + D - 1] == 0)          # D-1 blanks
    assert np.all(sym[COPY_LENGTH + D - 1] == COPY_ALPHABET + 1)       # the delimiter
    assert np.all(sym[COPY_LENGTH + D:] == 0)                          # 10 blanks while answering
    assert np.all(b.y[:T - COPY_LENGTH] == 0)
    assert np.array_equal(b.y[T - COPY_LENGTH:], data)
    assert np.array_equal(b.recall_steps, np.arange(T - COPY_LENGTH, T))
    spec = TaskSpec("copy", D)
    assert spec.baseline_loss == pytest.approx(10 * math.log(8) / (D + 20))


@pytest.mark.parametrize("name", TASKS)
def test_same_seed_same_batch_different_seed_different_batch(name):
    spec = TaskSpec(name, 25)
    a, b, c = spec.batch(8, rng(7)), spec.batch(8, rng(7)), spec.batch(8, rng(8))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert a.x.shape == (spec.seq_len, 8, spec.input_size)


def test_delay_up_to_the_maximum_is_allowed_and_beyond_is_refused_with_a_message():
    assert DELAY_MAX >= 200
    assert TaskSpec("recall", DELAY_MAX).seq_len == DELAY_MAX + 2
    with pytest.raises(ValueError, match=r"delay must be between 1 and 300 steps, got 301"):
        TaskSpec("recall", DELAY_MAX + 1)
    with pytest.raises(ValueError, match="delay"):
        TaskSpec("copy", 0)
    with pytest.raises(ValueError, match="task must be one of"):
        TaskSpec("parity", 10)
    with pytest.raises(ValueError, match="n_symbols"):
        TaskSpec("recall", 10, n_symbols=1)
