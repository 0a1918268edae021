"""The translation page's model layer: Settings -> cached compute -> frozen results (number words -> digits).

    s = TranslateSettings()
    run = start_run(s, session)                      # a lab.background Run; run.view() -> Translator
    lengths = length_accuracy(run.view().weights)    # LengthResult: accuracy by input length in words
    summary = sentence_summary(weights, "digits")    # SummaryResult: the encoder's final states in 2-D
    steps = step_view(weights, 312)                  # StepView: encoder and decoder gates, word by word
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gru_core import seq2seq as S
from lab import background as bg
from lab.cache import engine_cache
from lab.models.text import followed_run

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "checkpoints" / "text_translate.npz"
RUN_SHOWN = "_tl_run"
SUMMARY_SIZE = 600
TOP_UNITS = 10
COLOUR_BY = {"digits": "digits", "words": "words", "last": "last digit"}
SHOW_TOKEN = {"<s>": "start", "</s>": "end"}     # '<s>' would be read as HTML strike-through on a chart
COLOUR_LABELS = {"digits": "number of digits", "words": "length in words", "last": "last digit"}


@dataclass(frozen=True)
class TranslateSettings:
    """What decides the trained translator (the defaults are the checkpoint's run)."""
    hidden_size: int = 64
    steps: int = 1200
    max_digits: int = S.MAX_DIGITS
    seed: int = 0

    HIDDEN = (16, 128, 16)
    STEPS = (200, 3000, 100)

    def s2s_config(self) -> S.S2SConfig:
        return S.S2SConfig(hidden_size=self.hidden_size, steps=self.steps, max_digits=self.max_digits,
                           seed=self.seed)

    @property
    def is_default(self) -> bool:
        return self == TranslateSettings()


@dataclass(frozen=True)
class Translator:
    source: str                   # "pretrained" or "live"
    weights: dict | None          # None until training finished
    curve_step: np.ndarray
    curve_accuracy: np.ndarray    # whole-answer accuracy on 300 held-out numbers
    accuracy: float | None        # on 2,000 held-out numbers, at the end
    status: str
    seconds: float

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.weights or {}).values())


def _load_pretrained() -> Translator:
    ck = S.load_s2s_checkpoint(CHECKPOINT)
    h = ck.history
    return Translator("pretrained", ck.weights, np.asarray(h.eval_step), np.asarray(h.eval_acc), ck.accuracy,
                      "done", ck.seconds)


class TranslateJob:
    """A background job (lab.background): the encoder-decoder trained with gru_core.training.fit."""

    def __init__(self, settings: TranslateSettings):
        self.config = settings.s2s_config()
        self.fit = S.s2s_fit(self.config)

    def run(self, should_stop) -> None:
        self.fit.run(S.s2s_batches(self.config), should_stop=should_stop)

    def progress(self) -> float:
        return self.fit.progress()

    def view(self) -> Translator:
        v = self.fit.runs["gru"].view()
        done = v.status != "running" and bool(v.final)
        return Translator("live", S.s2s_weights(v.snapshots[-1].params) if done else None,
                          np.asarray(v.history.eval_step), np.asarray(v.history.eval_acc),
                          float(v.final["accuracy"]) if done else None, v.status, v.seconds)


def run_key(settings: TranslateSettings) -> tuple:
    return ("translate", settings)


def pretrained_run():
    return bg.RUNS.finished(run_key(TranslateSettings()), _load_pretrained)


def start_run(settings: TranslateSettings, session: str):
    if settings.is_default and CHECKPOINT.exists():
        return pretrained_run()
    return bg.RUNS.start(run_key(settings), lambda: TranslateJob(settings), session)


def press_train(state, settings: TranslateSettings, session: str) -> None:
    """The Train button (a callback): start or join the shared run."""
    state[RUN_SHOWN] = start_run(settings, session)


def shown_run(state, settings: TranslateSettings):
    pre = pretrained_run if settings.is_default and CHECKPOINT.exists() else None
    return followed_run(state, RUN_SHOWN, run_key(settings), pre)


# -----------------------------------------------------------------------------------------------------------------
# What the trained translator does


@dataclass(frozen=True)
class LengthResult:
    lengths: np.ndarray        # input lengths in words
    accuracy: np.ndarray       # share translated exactly at each length
    counts: np.ndarray
    overall: float
    trained_words: int         # the longest input (in words) the training pairs can have


def longest_words(max_digits: int) -> int:
    """The most words a number of at most ``max_digits`` digits takes (777,777 -> 11)."""
    return S.token_count(int("7" * max_digits))


@engine_cache(max_entries=8)
def length_accuracy(weights: dict, seed: int, max_digits: int) -> LengthResult:
    numbers = S.held_out_numbers(S.S2SConfig(seed=seed))
    predicted = S.greedy_batch(weights, numbers)
    L, acc, count = S.accuracy_by_length(numbers, predicted)
    return LengthResult(L, acc, count, float(np.mean(predicted == numbers)), longest_words(max_digits))


def length_words(r: LengthResult) -> str:
    """How long inputs break it, in words chosen from the numbers (thresholds pinned by tests)."""
    good = r.lengths[r.accuracy >= 0.95]
    short = int(good.max()) if len(good) and good.min() == r.lengths.min() else None
    head = f"Overall {r.overall:.0%} of the held-out numbers come out exactly right. "
    if short is not None and short >= r.lengths.max():
        return head + "Long inputs do not break it: every length is translated at 95% or better."
    longer = [(int(n), a) for n, a in zip(r.lengths, r.accuracy) if short is None or n > short]
    listed = ", ".join(f"{a:.0%} at {n} words" for n, a in longer[-4:])
    lead = (f"Up to {short} words it is right at least 95% of the time; longer inputs break it: "
            if short is not None else "Even short inputs fall below 95%: ")
    return head + lead + listed + (". The whole sentence must pass through one state of H numbers, and long ones "
                                   "do not fit as well.")


@dataclass(frozen=True)
class SummaryResult:
    xy: np.ndarray             # (n, 2) final encoder states on their first two principal directions
    groups: np.ndarray         # (n,) the colour group of each sentence
    hover: list
    share: float               # share of the first direction's variance explained by the groups (eta squared)
    explained: float           # share of the states' total variance in the two directions shown


def _eta_squared(v: np.ndarray, groups: np.ndarray) -> float:
    total = float(((v - v.mean()) ** 2).sum())
    within = sum(float(((v[groups == g] - v[groups == g].mean()) ** 2).sum()) for g in np.unique(groups))
    return 1.0 - within / total if total > 0 else 0.0


@engine_cache(max_entries=16)
def sentence_summary(weights: dict, colour_by: str, seed: int = 0) -> SummaryResult:
    numbers = S.held_out_numbers(S.S2SConfig(seed=seed), SUMMARY_SIZE)
    h = S.encode_batch(weights, numbers)
    centred = h - h.mean(0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    groups = {"digits": np.array([len(str(n)) for n in numbers]),
              "words": np.array([S.token_count(n) for n in numbers]), "last": numbers % 10}[colour_by]
    hover = [f"{n}: {S.number_words(int(n))}" for n in numbers]
    return SummaryResult(xy, groups, hover, _eta_squared(xy[:, 0], groups), float((sv[:2] ** 2).sum() / (sv ** 2).sum()))


def summary_words(r: SummaryResult, colour_by: str) -> str:
    strength = "mostly" if r.share > 0.6 else "partly" if r.share > 0.25 else "hardly"
    return (f"The two directions shown hold {r.explained:.0%} of the spread of the {SUMMARY_SIZE} summaries. "
            f"Along the first, the sentences are {strength} sorted by {COLOUR_LABELS[colour_by]} "
            f"({r.share:.0%} of its spread is explained by it).")


@dataclass(frozen=True)
class StepView:
    number: int
    words: tuple[str, ...]
    answer: str                    # the digits written (without '</s>')
    right: bool
    enc_units: tuple[int, ...]
    enc_z: np.ndarray              # (k, T_in) encoder update gate per word
    dec_labels: tuple[str, ...]    # 'reads → writes' per decoder step
    dec_units: tuple[int, ...]
    dec_z: np.ndarray              # (k, T_out) decoder update gate per step
    confidence: np.ndarray         # (T_out,) probability of the token written at each step


def _top(z: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-z.std(0), kind="stable")[:k]


@engine_cache(max_entries=32)
def step_view(weights: dict, number: int) -> StepView:
    tr = S.translate(weights, S.number_words(int(number)))
    ez, dz = tr.encoder.gates["z"][:, 0], tr.decoder.gates["z"][:, 0]
    eu, du = _top(ez, TOP_UNITS), _top(dz, TOP_UNITS)
    reads = ("<s>",) + tr.output[:-1]
    written = [S.TGT_TOKENS.index(t) for t in tr.output]
    answer = "".join(t for t in tr.output if t != "</s>")
    return StepView(int(number), tr.words, answer, tr.output[-1] == "</s>" and answer == str(number),
                    tuple(int(u) for u in eu), ez[:, eu].T, tuple(f"{SHOW_TOKEN.get(a, a)}→{SHOW_TOKEN.get(b, b)}" for a, b in zip(reads, tr.output)),
                    tuple(int(u) for u in du), dz[:, du].T, tr.probs[np.arange(len(written)), written])


def step_words(v: StepView) -> str:
    verdict = "right" if v.right else f"wrong (the answer is {v.number})"
    least = int(np.argmin(v.confidence))
    if v.confidence[least] >= 0.99:
        return f"The model wrote **{v.answer or '(nothing)'}**: {verdict}. It was at least 99% sure of every step."
    return (f"The model wrote **{v.answer or '(nothing)'}**: {verdict}. Its least sure step was "
            f"'{v.dec_labels[least]}' at {v.confidence[least]:.0%}.")
