"""Long-memory tasks for training recurrent nets, generated from a seed with numpy (no downloads).

Three tasks, each a function of (batch size, delay, numpy Generator) returning a :class:`Batch`:

- ``recall`` (delayed recall): one token out of K symbols at step 0, then D steps of random distractor symbols
  (plus optional Gaussian noise), then a query step; the net must name the token at the query step. Chance 1/K.
- ``adding`` (adding problem, Le et al. 2015 / Arjovsky et al. 2016 form): a sequence of T = D values U[0, 1] with one
  marker in each half; the target is the sum of the two marked values. Always predicting 1 gives MSE 1/6.
  Accuracy: share of sequences with absolute error below 0.04 (Hochreiter & Schmidhuber 1997's criterion).
- ``copy`` (copy task, Arjovsky et al. 2016): 10 symbols from {1..8}, then D-1 blanks (0), a delimiter (9) and 10
  more blanks; the output is D+10 blanks followed by the 10 symbols. The memoryless baseline (blanks, then a uniform
  guess) has cross-entropy 10 ln 8 / (D + 20) per step. Accuracy: share of the 10 recalled symbols right (chance 1/8).

Shapes: T steps, B batch, I input size. Inputs are float32 (T, B, I), time first like ``nn.GRU``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TASKS = ("recall", "adding", "copy")
TASK_TITLES = {"recall": "Delayed recall", "adding": "Adding problem", "copy": "Copy task"}
DELAY_MIN = 1
DELAY_MAX = 300            # the page and the CLI refuse longer delays (training time grows linearly)
N_SYMBOLS_MIN, N_SYMBOLS_MAX = 2, 16
COPY_LENGTH = 10           # Arjovsky et al. 2016: 10 symbols to copy
COPY_ALPHABET = 8          # drawn from 8 data symbols (1..8); 0 is the blank, 9 the delimiter
ADDING_TOLERANCE = 0.04    # Hochreiter & Schmidhuber 1997: an answer within 0.04 counts as right


@dataclass(frozen=True)
class TaskSpec:
    """A task and its size. ``delay`` is D: recall distractor steps, adding sequence length, copy gap."""

    name: str = "recall"
    delay: int = 100
    n_symbols: int = 4        # recall: K token symbols (chance 1/K)
    n_distractors: int = 4    # recall: distractor symbols shown during the delay
    noise: float = 0.0        # recall: std of Gaussian noise added to every input channel during the delay

    def __post_init__(self) -> None:
        check_task(self.name, self.delay, self.n_symbols, self.n_distractors, self.noise)

    @property
    def seq_len(self) -> int:
        """Number of time steps T."""
        return {"recall": self.delay + 2, "adding": self.delay, "copy": self.delay + 2 * COPY_LENGTH}[self.name]

    @property
    def input_size(self) -> int:
        """Input channels I. recall: K tokens + distractors + query flag; adding: value + marker; copy: 10 symbols."""
        return {"recall": self.n_symbols + self.n_distractors + 1, "adding": 2, "copy": COPY_ALPHABET + 2}[self.name]

    @property
    def output_size(self) -> int:
        """Readout size: recall K logits, adding 1 value, copy 9 logits (blank + 8 symbols)."""
        return {"recall": self.n_symbols, "adding": 1, "copy": COPY_ALPHABET + 1}[self.name]

    @property
    def kind(self) -> str:
        """"classify_last" (recall), "regress_last" (adding) or "classify_seq" (copy: every step scored)."""
        return {"recall": "classify_last", "adding": "regress_last", "copy": "classify_seq"}[self.name]

    @property
    def chance_accuracy(self) -> float:
        """Accuracy of the best memoryless guess."""
        if self.name == "recall":
            return 1.0 / self.n_symbols
        if self.name == "copy":
            return 1.0 / COPY_ALPHABET
        # adding, always answer 1: P(|S - 1| < tol) for S = sum of two U[0,1] (triangular density on [0, 2])
        return 1.0 - (1.0 - ADDING_TOLERANCE) ** 2

    @property
    def baseline_loss(self) -> float:
        """Loss of the memoryless baseline: ln K (recall), 1/6 (adding, predict 1), 10 ln 8 / (D+20) (copy)."""
        if self.name == "recall":
            return math.log(self.n_symbols)
        if self.name == "adding":
            return 1.0 / 6.0
        return COPY_LENGTH * math.log(COPY_ALPHABET) / self.seq_len

    @property
    def loss_name(self) -> str:
        return "mean squared error" if self.name == "adding" else "cross-entropy (nats)"

    def batch(self, batch_size: int, rng: np.random.Generator) -> "Batch":
        """Draw a batch of ``batch_size`` sequences from ``rng``."""
        if self.name == "recall":
            return delayed_recall(batch_size, self.delay, rng, n_symbols=self.n_symbols,
                                  n_distractors=self.n_distractors, noise=self.noise)
        if self.name == "adding":
            return adding_problem(batch_size, self.delay, rng)
        return copy_task(batch_size, self.delay, rng)


@dataclass(frozen=True)
class Batch:
    """x: (T, B, I) float32 inputs. y: recall (B,) int64 token; adding (B,) float32 sum; copy (T, B) int64 symbols.

    ``query_step``: the step whose output is scored for recall/adding (T-1); ``recall_steps``: for copy, the steps
    that hold the symbols to reproduce (the last 10); ``marks`` (adding only): (B, 2) marker positions.
    """

    x: np.ndarray
    y: np.ndarray
    query_step: int
    recall_steps: np.ndarray
    marks: np.ndarray | None = None


def check_task(name: str, delay: int, n_symbols: int = 4, n_distractors: int = 4, noise: float = 0.0) -> None:
    """Raise ValueError naming the argument, what it got and what is allowed."""
    if name not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {name!r}")
    if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)):
        raise ValueError(f"delay must be an integer, got {delay!r}")
    low = 2 if name == "adding" else DELAY_MIN
    if not low <= delay <= DELAY_MAX:
        raise ValueError(f"delay must be between {low} and {DELAY_MAX} steps, got {delay}")
    if not N_SYMBOLS_MIN <= n_symbols <= N_SYMBOLS_MAX:
        raise ValueError(f"n_symbols must be between {N_SYMBOLS_MIN} and {N_SYMBOLS_MAX}, got {n_symbols}")
    if not 1 <= n_distractors <= 16:
        raise ValueError(f"n_distractors must be between 1 and 16, got {n_distractors}")
    if not (math.isfinite(noise) and 0.0 <= noise <= 10.0):
        raise ValueError(f"noise must be a finite std between 0 and 10, got {noise}")


def delayed_recall(batch_size: int, delay: int, rng: np.random.Generator, *, n_symbols: int = 4,
                   n_distractors: int = 4, noise: float = 0.0) -> Batch:
    """Delayed recall. Channels: [0, K) token, [K, K+M) distractor symbols, K+M the query flag.

    Step 0 shows the token (one-hot), steps 1..D one random distractor symbol each (plus N(0, noise^2) on every
    channel), step D+1 the query flag. Target: the token, read at the query step. Returns x (D+2, B, K+M+1).
    """
    check_task("recall", delay, n_symbols, n_distractors, noise)
    K, M, T, B = n_symbols, n_distractors, delay + 2, batch_size
    x = np.zeros((T, B, K + M + 1), dtype=np.float32)
    token = rng.integers(0, K, size=B)
    x[0, np.arange(B), token] = 1.0
    distractor = rng.integers(0, M, size=(delay, B))
    x[1 + np.arange(delay)[:, None], np.arange(B)[None, :], K + distractor] = 1.0
    if noise > 0:
        x[1:T - 1] += (noise * rng.standard_normal((delay, B, K + M + 1))).astype(np.float32)
    x[T - 1, :, K + M] = 1.0
    return Batch(x=x, y=token.astype(np.int64), query_step=T - 1, recall_steps=np.array([T - 1]))


def adding_problem(batch_size: int, length: int, rng: np.random.Generator) -> Batch:
    """Adding problem, T = ``length``. Channel 0 values U[0, 1], channel 1 markers: one in [0, T//2), one in
    [T//2, T). Target: the sum of the two marked values (read at the last step). Returns x (T, B, 2)."""
    check_task("adding", length)
    T, B = length, batch_size
    values = rng.uniform(0.0, 1.0, size=(T, B))
    first = rng.integers(0, T // 2, size=B)
    second = rng.integers(T // 2, T, size=B)
    markers = np.zeros((T, B))
    markers[first, np.arange(B)] = 1.0
    markers[second, np.arange(B)] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[first, np.arange(B)] + values[second, np.arange(B)]).astype(np.float32)
    return Batch(x=x, y=y, query_step=T - 1, recall_steps=np.array([T - 1]),
                 marks=np.stack([first, second], axis=1))


def copy_task(batch_size: int, delay: int, rng: np.random.Generator) -> Batch:
    """Copy task (Arjovsky et al. 2016). Symbols: 0 blank, 1..8 data, 9 delimiter; T = delay + 20.

    Input: 10 data symbols, delay-1 blanks, the delimiter, 10 blanks (one-hot, 10 channels).
    Target y (T, B): blanks, then the 10 data symbols in the last 10 steps.
    """
    check_task("copy", delay)
    L, T, B = COPY_LENGTH, delay + 2 * COPY_LENGTH, batch_size
    data = rng.integers(1, COPY_ALPHABET + 1, size=(L, B))
    symbols = np.zeros((T, B), dtype=np.int64)
    symbols[:L] = data
    symbols[L + delay - 1] = COPY_ALPHABET + 1          # the delimiter
    x = np.zeros((T, B, COPY_ALPHABET + 2), dtype=np.float32)
    x[np.arange(T)[:, None], np.arange(B)[None, :], symbols] = 1.0
    y = np.zeros((T, B), dtype=np.int64)
    y[T - L:] = data
    return Batch(x=x, y=y, query_step=T - 1, recall_steps=np.arange(T - L, T))
