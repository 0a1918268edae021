"""The text page's model layer: Settings (defaults, limits) -> cached compute -> frozen results.

    s = TextSettings(hidden_size=64)
    split = corpus_split(None)                       # None = the default corpus; else the user's text
    base = baselines(None, "kneser-ney")             # Baselines: bits per character of the 1-, 2- and 3-gram
    run = start_run(None, s, session)                # a lab.background Run; run.view() -> Models
    gen = generate_text(models.weights["gru"], split.vocab.chars, "The ", 0.8)
    gates = gate_view(models.weights["gru"], split.vocab.chars, passage, "quote", probe)

Live training (``LMJob``) is a lab.background job: one run per distinct setting per server, shared by every
session that asks for the same settings; the defaults' run is the shipped checkpoint.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gru_core import charlm
from gru_core import text as T
from lab import background as bg
from lab.cache import engine_cache

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "checkpoints" / "text_lm.npz"
KINDS = charlm.KINDS
GATE_OF = {"gru": "z", "lstm": "f", "rnn": None}      # the keep gate shown per kind (RNN: its state h)
GATE_WORDS = {"gru": "update gate z (1 = keep the old state)", "lstm": "forget gate f (1 = keep the cell state)",
              "rnn": "hidden state h (an RNN has no gates)"}
PASSAGES = {
    "code": 'if x > 0:\n    print("big", f(x))\nelse:\n    y = [1, 2]',
    "prose": 'The "with" statement (see PEP 343) wraps a block in\nmethods defined by a context manager.',
    "own": "",
}
PASSAGE_LABELS = {"code": "a bit of code", "prose": "a sentence of prose", "own": "my own passage"}
MAX_PASSAGE = 120          # characters on the heatmap's axis (readable on a projector)
PROBE_CHARS = 3_000        # the held-out characters on which the best unit for a feature is chosen
TOP_UNITS = 12
GEN_CHARS = 300


@dataclass(frozen=True)
class TextSettings:
    """What decides the trained models (the defaults are the checkpoint's run)."""
    hidden_size: int = 64
    steps: int = 1000
    seed: int = 0

    HIDDEN = (16, 128, 16)     # slider min, max, step
    STEPS = (100, 3000, 100)

    def lm_config(self) -> charlm.LMConfig:
        return charlm.LMConfig(hidden_size=self.hidden_size, steps=self.steps, seed=self.seed)

    @property
    def is_default(self) -> bool:
        return self == TextSettings()


def text_key(text: str | None) -> str:
    """A short name for a corpus: 'docs' or a hash of the user's text."""
    return "docs" if text is None else "own-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


@engine_cache(max_entries=4)
def corpus_split(text: str | None) -> T.Split:
    return T.split_corpus(T.default_corpus() if text is None else text)


@dataclass(frozen=True)
class Baselines:
    smoothing: str
    orders: tuple[int, ...]
    bpc: tuple[float, ...]       # held-out bits per character per order

    @property
    def trigram(self) -> float:
        return self.bpc[self.orders.index(3)]


@engine_cache(max_entries=8)
def baselines(text: str | None, smoothing: str) -> Baselines:
    split = corpus_split(text)
    return Baselines(smoothing, T.NGRAM_ORDERS, tuple(T.ngram_bpc(split, n, smoothing) for n in T.NGRAM_ORDERS))


@dataclass(frozen=True)
class Models:
    """Trained (or training) language models: per kind weights (once finished), curve, held-out bpc."""
    source: str                                  # "pretrained" or "live"
    weights: dict                                # kind -> charlm.lm_weights (finished models only)
    curve_step: dict                             # kind -> (n,) steps of the held-out curve
    curve_bpc: dict                              # kind -> (n,) bits per character on the first held-out chars
    test_bpc: dict                               # kind -> float on every held-out character (finished only)
    status: dict                                 # kind -> "running" | "done" | "stopped" | "diverged"
    seconds: dict                                # kind -> training seconds

    @property
    def ready(self) -> tuple[str, ...]:
        return tuple(k for k in KINDS if k in self.weights)

    def nbytes(self) -> int:
        return sum(a.nbytes for w in self.weights.values() for a in w.values())


def _load_pretrained() -> Models:
    ck = charlm.load_lm_checkpoint(CHECKPOINT)
    hist = ck.history
    return Models("pretrained", ck.weights, {k: np.asarray(h.eval_step) for k, h in hist.items()},
                  {k: np.asarray(h.eval_loss) for k, h in hist.items()}, ck.test_bpc,
                  {k: "done" for k in ck.weights}, ck.seconds)


def checkpoint_matches(text: str | None, settings: TextSettings) -> bool:
    """The shipped checkpoint is the run of the default settings on the default corpus."""
    return text is None and settings.is_default and CHECKPOINT.exists()


class LMJob:
    """A background job (lab.background): RNN, GRU and LSTM trained side by side with gru_core.training.fit."""

    def __init__(self, split: T.Split, settings: TextSettings):
        self.split, self.config = split, settings.lm_config()
        self.fit = charlm.lm_fit(split, self.config)

    def run(self, should_stop) -> None:
        self.fit.run(charlm.lm_batches(self.split, self.config), should_stop=should_stop)

    def progress(self) -> float:
        return self.fit.progress()

    def view(self) -> Models:
        views = {k: r.view() for k, r in self.fit.runs.items()}
        done = {k: v for k, v in views.items() if v.status != "running" and v.final}
        return Models("live", {k: charlm.lm_weights(v.snapshots[-1].params) for k, v in done.items()},
                      {k: np.asarray(v.history.eval_step) for k, v in views.items()},
                      {k: np.asarray(v.history.eval_loss) for k, v in views.items()},
                      {k: float(v.final["loss"]) for k, v in done.items()},
                      {k: v.status for k, v in views.items()}, {k: v.seconds for k, v in views.items()})


def run_key(text: str | None, settings: TextSettings) -> tuple:
    """Everything that decides the trained models (one shared run per key per server)."""
    return ("text_lm", text_key(text), settings)


def pretrained_run():
    """The shipped checkpoint as a finished run, under the key a live run with the defaults would have."""
    return bg.RUNS.finished(run_key(None, TextSettings()), _load_pretrained)


def start_run(text: str | None, settings: TextSettings, session: str):
    """The shared live run for these settings (a finished one at once; the checkpoint for the defaults)."""
    if checkpoint_matches(text, settings):
        return pretrained_run()
    return bg.RUNS.start(run_key(text, settings), lambda: LMJob(corpus_split(text), settings), session)


# -----------------------------------------------------------------------------------------------------------------
# What the trained models do


@dataclass(frozen=True)
class Scores:
    """Bits per character on the held-out text: n-grams and every finished model, lowest first in ``ranking``."""
    names: tuple[str, ...]
    bpc: tuple[float, ...]

    @property
    def ranking(self) -> tuple[str, ...]:
        return tuple(n for _, n in sorted(zip(self.bpc, self.names)))


def scores(models: Models, base: Baselines) -> Scores:
    names = tuple(f"{n}-gram" for n in base.orders) + tuple(k for k in KINDS if models.test_bpc.get(k) is not None)
    return Scores(names, tuple(base.bpc) + tuple(models.test_bpc[k] for k in names[len(base.orders):]))


def score_words(s: Scores, base: Baselines) -> str:
    """One sentence on the winner, chosen from the numbers (thresholds pinned by tests)."""
    models = [n for n in s.names if not n.endswith("-gram")]
    if not models:
        return (f"The best n-gram, the trigram, needs {base.trigram:.2f} bits per character; train the models to "
                "see whether they beat it.")
    best = min(models, key=lambda n: s.bpc[s.names.index(n)])
    gap = base.trigram - s.bpc[s.names.index(best)]
    label = best.upper()
    if gap > 0.02:
        return (f"The {label} needs {s.bpc[s.names.index(best)]:.2f} bits per character on text it never saw, "
                f"{gap:.2f} fewer than the trigram ({base.trigram:.2f}): it predicts better than counting the "
                "last two characters.")
    if gap >= -0.02:
        return f"The {label} and the trigram are level ({s.bpc[s.names.index(best)]:.2f} vs {base.trigram:.2f} bits)."
    return (f"The trigram ({base.trigram:.2f} bits per character) still beats every model (best: the {label}, "
            f"{s.bpc[s.names.index(best)]:.2f}): train longer or larger.")


@dataclass(frozen=True)
class Generation:
    prompt: str
    text: str
    top_chars: tuple[str, ...]      # the most likely next characters after the prompt, most likely first
    top_probs: tuple[float, ...]
    entropy: float                  # bits, of the whole next-character distribution
    temperature: float


@engine_cache(max_entries=32)
def generate_text(weights: dict, chars: tuple[str, ...], prompt: str, temperature: float, seed: int = 0,
                  n: int = GEN_CHARS, top: int = 15) -> Generation:
    vocab = T.Vocab(chars)
    ids, p = charlm.generate(weights, vocab.encode(prompt or "\n"), n, temperature, seed)
    order = np.argsort(-p, kind="stable")[:top]
    return Generation(prompt, vocab.decode(ids), tuple(T.show_char(chars[i]) for i in order),
                      tuple(float(p[i]) for i in order), T.entropy_bits(p), float(temperature))


def generation_words(g: Generation) -> str:
    first, p = g.top_chars[0], g.top_probs[0]
    sure = "almost certain" if p > 0.9 else "fairly sure" if p > 0.5 else "unsure"
    return (f"After the prompt the model is {sure} of the next character: '{first}' gets {p:.0%} "
            f"(entropy {g.entropy:.2f} bits at temperature {g.temperature:g}).")


@dataclass(frozen=True)
class GateView:
    chars: tuple[str, ...]          # the passage as axis labels
    signal: str                     # "z", "f" or "h"
    units: tuple[int, ...]          # the units on the heatmap (most varying first)
    values: np.ndarray              # (len(units), T) the signal of those units per character
    feature: str
    feature_values: np.ndarray      # (T,) the feature along the passage
    best_unit: int
    r: float                        # correlation of the best unit's h with the feature on the probe text
    trace: np.ndarray               # (T,) h of the best unit along the passage


def _states(weights: dict, ids: np.ndarray) -> tuple[np.ndarray, dict]:
    trace, _ = charlm.lm_record(weights, ids)
    return trace.h[:, 0], {k: v[:, 0] for k, v in trace.gates.items()}


@engine_cache(max_entries=32)
def gate_view(weights: dict, chars: tuple[str, ...], passage: str, feature: str, probe: str) -> GateView:
    """The keep gate of the most active units per character, and the unit whose h best tracks ``feature``
    (chosen on ``probe``, a longer held-out text), both from the engine."""
    vocab, passage = T.Vocab(chars), passage[:MAX_PASSAGE]
    h, gates = _states(weights, vocab.encode(passage))
    signal = GATE_OF[charlm.weights_kind(weights)] or "h"
    values = gates[signal] if signal != "h" else h
    units = T.top_units(values, min(TOP_UNITS, values.shape[1]))
    h_probe, _ = _states(weights, vocab.encode(probe))
    unit, r = T.best_unit(h_probe, T.feature_values(probe, feature))
    return GateView(tuple(T.show_char(c) for c in passage), signal, tuple(int(u) for u in units), values[:, units].T,
                    feature, T.feature_values(passage, feature), unit, r, h[:, unit])


def gate_words(g: GateView) -> str:
    strength = "closely" if abs(g.r) > 0.6 else "partly" if abs(g.r) > 0.3 else "hardly"
    return (f"Unit {g.best_unit} tracks '{T.FEATURE_LABELS[g.feature]}' {strength}: the correlation of its state "
            f"with the feature over {PROBE_CHARS:,} held-out characters is r = {g.r:+.2f}.")


def probe_text(split: T.Split) -> str:
    return split.test_text[:PROBE_CHARS]


def finite_or_nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


@dataclass(frozen=True)
class CorpusSummary:
    name: str
    chars: int
    vocab: int
    train: int
    test: int
    sample: str = field(default="")


def corpus_summary(text: str | None) -> CorpusSummary:
    split = corpus_split(text)
    name = "Python's documentation" if text is None else "your text"
    return CorpusSummary(name, len(split.train) + len(split.test), split.vocab.size, len(split.train),
                         len(split.test), split.test_text[:200])


# -----------------------------------------------------------------------------------------------------------------
# Page helpers: the user's own text, and which run the page shows

CORPUS_LABELS = {"docs": "Python's documentation", "own": "My own text (paste or upload)"}
SMOOTHING_OPTIONS = {"kn": "kneser-ney", "add1": "add-one"}
SMOOTHING_LABELS = {"kn": "Kneser-Ney", "add1": "add-one"}
OWN_TEXT = "_tx_own_text"          # session_state: the user's checked text (never in the link: it can be 1 MB)
OWN_ERROR = "_tx_own_error"        # session_state: what was wrong with the last text offered
RUN_SHOWN = "_tx_run"              # session_state: the run this session started or follows


def read_own(pasted: str, upload: bytes | None) -> tuple[str | None, str | None]:
    """(checked text, None) or (None, the message saying what is wrong and what is allowed). An upload wins."""
    try:
        if upload is not None:
            return T.decode_upload(upload), None
        return T.check_text(pasted), None
    except T.CorpusError as e:
        return None, str(e)


def use_own(state, paste_key: str, upload_key: str) -> None:
    """The "Use this text" button: the text box and the uploaded file as they stand at the press (read from the
    widgets' state then: a press right after an upload can come before the rerun that shows the file), checked;
    keep the text, or the message saying what is wrong."""
    upload = state.get(upload_key)
    own, problem = read_own(state.get(paste_key) or "", upload.getvalue() if upload is not None else None)
    state[OWN_ERROR] = problem
    if own is not None:
        state[OWN_TEXT] = own


def press_train(state, text: str | None, settings: TextSettings, session: str) -> None:
    """The Train button (a callback, so a rerun cannot lose the click): start or join the shared run."""
    state[RUN_SHOWN] = start_run(text, settings, session)


def followed_run(state, state_key: str, key: tuple, pretrained=None):
    """The run a page shows: ``pretrained()`` when the settings are the checkpoint's, else the run this session
    started (kept in ``state[state_key]``) if it is for exactly ``key``; None = not trained yet."""
    if pretrained is not None:
        return pretrained()
    run = state.get(state_key)
    return run if run is not None and run.key == key else None


def shown_run(state, text: str | None, settings: TextSettings):
    """The run to show for these settings on this corpus (see ``followed_run``)."""
    return followed_run(state, RUN_SHOWN, run_key(text, settings),
                        pretrained_run if checkpoint_matches(text, settings) else None)


def status_words(run, models: Models) -> str:
    """Where the run stands, in words."""
    if models.source == "pretrained":
        return ("Pretrained with these settings (the same run the **Train** button would make); "
                f"{', '.join(f'{k.upper()} {models.seconds[k]:.0f} s' for k in models.ready)} of training.")
    if run.state == "queued":
        return f"Waiting for a free training slot: number {run.queue_position} in the queue."
    if run.state == "running":
        return f"Training RNN, GRU and LSTM side by side: {run.progress():.0%} done, {run.seconds:.0f} s so far."
    return "Training ended" + (f" ({run.note})." if run.note else f" after {run.seconds:.0f} s.")
