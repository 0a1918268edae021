"""Step through a GRU: the page's settings, its cached compute and the numbers of one step (no drawing here).

Settings (defaults and limits, one place; the URL names are "st_" + field) -> ``compute`` (cached on the plain
values) -> ``Result`` (the seeded GRU run under all four conventions) -> ``step_view`` (one step of one unit:
every term of the four equations, the same step in the other conventions, and the sentence that reads it).
Shapes: T steps, I inputs, H units (one sequence).
"""
from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np

import gru_core
from lab import equations as E
from lab import inside_gru as G
from lab.cache import engine_cache

PREFIX = "st"
DEFAULT_SEQ = "1, 0, 0, 0, -1, 0.5, 0.5, 0, 0, 1"
PLAY_INTERVAL_S = 1.2
DEFAULT_STEP = 4
SOURCES = {"signal": "Signal", "typed": "Typed"}
MIX_LABELS = {"torch": "PyTorch / Cho: h = z·h_prev + (1−z)·n", "wiki": "Chung / Wikipedia: h = (1−z)·h_prev + z·n"}
RESET_LABELS = {"after": "reset after the matmul (PyTorch)", "before": "reset before the matmul (Cho 2014)"}


@dataclass(frozen=True)
class Limit:
    lo: float
    hi: float
    step: float = 1


@dataclass(frozen=True)
class Settings:
    """Everything that decides the run (URL key "st_<field>"; typed = the typed sequence, used when source is
    "typed"; its default depends on the input size, see ``default_typed``)."""

    hidden: int = 3
    input: int = 1
    seed: int = 0
    source: str = "signal"
    signal: str = "sine"
    len: int = 20
    amp: float = 1.0
    seq: str = DEFAULT_SEQ
    mix: str = "torch"
    reset: str = "after"


DEFAULTS = Settings()
LIMITS = {"hidden": Limit(1, 8), "input": Limit(1, 4), "len": Limit(3, 60), "amp": Limit(0.1, 3.0, 0.1)}


def default_typed(input_size: int) -> str:
    """The default typed sequence for this input size (I = 1: DEFAULT_SEQ; else four steps "1, 0, ...")."""
    return DEFAULT_SEQ if input_size == 1 else "; ".join(["1" + ", 0" * (input_size - 1)] * 4)


def typed_hint(input_size: int) -> str:
    """How to type a sequence for this input size (markdown)."""
    if input_size == 1:
        return "numbers separated by commas, e.g. `1, 0, -0.5`"
    one = ", ".join(["1"] + ["0"] * (input_size - 1))
    return f"steps separated by `;`, each with {input_size} comma-separated numbers, e.g. `{one}; {one}`"


@dataclass(frozen=True)
class Result:
    """The seeded GRU on the chosen input, run under every (mix, reset) convention.

    runs[(mix, reset)]: lab.inside_gru.Run with x (T, I), h, r, z, n (T, H); the "wiki" runs use the relabelled
    weights (z rows negated), so they are the same model as "torch". typed_error: why the typed sequence was not
    used (None when it was, or when the input is a signal). dh_mix / dh_reset: largest |h| difference over the run
    between the two mixes (same reset) and the two resets (same mix)."""

    settings: Settings
    runs: dict
    typed_error: str | None
    dh_mix: float
    dh_reset: float

    @property
    def run(self) -> G.Run:
        return self.runs[(self.settings.mix, self.settings.reset)]

    @property
    def steps(self) -> int:
        return self.run.steps


def _input(s: Settings) -> tuple[np.ndarray, str | None]:
    """x (T, I) and the typed sequence's error (the default sequence, repeated per input, stands in for it)."""
    if s.source != "typed":
        x = gru_core.signal(s.signal, s.len, s.input, seed=s.seed, at=min(2, s.len - 1), amplitude=s.amp,
                            period=12.0)
        return x, None
    x, error = G.parse_sequence(s.seq, s.input)
    if error:
        x, _ = G.parse_sequence(DEFAULT_SEQ, 1)
        x = np.repeat(x, s.input, axis=1)
    return x, error


@engine_cache(max_entries=32)
def _compute(values: tuple) -> Result:
    s = Settings(*values)
    x, error = _input(s)
    runs = G.convention_runs(gru_core.CellSpec("gru", s.input, s.hidden, seed=s.seed).make(), x)
    with np.errstate(all="ignore"):
        dh_mix = float(np.max(np.abs(runs[("torch", s.reset)].h - runs[("wiki", s.reset)].h)))
        dh_reset = float(np.max(np.abs(runs[(s.mix, "after")].h - runs[(s.mix, "before")].h)))
    return Result(s, runs, error, dh_mix, dh_reset)


def compute(s: Settings) -> Result:
    """The runs for these settings (cached on the plain values)."""
    return _compute(astuple(s))


@dataclass(frozen=True)
class StepView:
    """One step t (1-based) of one unit (0-based): the equation terms in the chosen convention, the same step with
    the other mix and the other reset, and how closely the terms reproduce the engine's recorded values."""

    terms: E.StepTerms
    other_mix: E.StepTerms
    other_reset: E.StepTerms
    agree: float

    @property
    def mix_name(self) -> str:
        return "wiki" if self.terms.mix == "torch" else "torch"

    @property
    def reset_name(self) -> str:
        return "before" if self.terms.reset == "after" else "after"


def _terms(res: Result, mix: str, reset: str, t: int, unit: int) -> E.StepTerms:
    run = res.runs[(mix, reset)]
    return E.step_terms(run.params, run.x[t - 1], run.h_prev(t), unit, t=t, mix=mix, reset=reset)


def step_view(res: Result, t: int, unit: int) -> StepView:
    """The numbers of step t (clamped to 1..T) for unit (clamped to 0..H-1)."""
    s, run = res.settings, res.run
    t, unit = int(min(max(t, 1), res.steps)), int(min(max(unit, 0), s.hidden - 1))
    terms = _terms(res, s.mix, s.reset, t, unit)
    other_mix = _terms(res, "wiki" if s.mix == "torch" else "torch", s.reset, t, unit)
    other_reset = _terms(res, s.mix, "before" if s.reset == "after" else "after", t, unit)
    engine = np.array([run.r[t - 1, unit], run.z[t - 1, unit], run.n[t - 1, unit], run.h[t - 1, unit]])
    mine = np.array([terms.r, terms.z, terms.n, terms.h])
    return StepView(terms, other_mix, other_reset, float(np.max(np.abs(engine - mine))))


# ----------------------------------------------------------------------------------------------- words
KEEP_MOST = 0.9      # share of the old state kept at or above which the step "keeps" the memory
WRITE_MOST = 0.1     # at or below which the step "replaces" it by the candidate


def mix_sentence(s: E.StepTerms) -> str:
    """What the update gate did at this step, in words chosen from the share of h_{t-1} kept."""
    k = s.keep_share
    share = f"{100 * k:.0f}% of the old state and {100 * (1 - k):.0f}% of the candidate"
    if k >= KEEP_MOST:
        return (f"The update gate **kept the memory**: h_t is {share}, so the memory line keeps its colour "
                f"through the × node.")
    if k <= WRITE_MOST:
        return (f"The update gate **overwrote the memory**: h_t is {share}, so the memory line takes the "
                f"candidate's colour.")
    return f"The update gate **mixed** old and new: h_t is {share}."


RESET_OPEN = 0.9     # r at or above which the candidate sees (almost) all of the old state
RESET_SHUT = 0.1     # at or below which it ignores it


def reset_sentence(s: E.StepTerms) -> str:
    """What the reset gate did at this step, in words chosen from r."""
    if s.r >= RESET_OPEN:
        return f"The reset gate is open (r = {s.r:.2f}): the candidate sees the old state."
    if s.r <= RESET_SHUT:
        return f"The reset gate is shut (r = {s.r:.2f}): the candidate ignores the old state."
    return f"The reset gate lets the candidate see {100 * s.r:.0f}% of the old state's contribution."


def unit_series(res: Result, unit: int) -> tuple[np.ndarray, ...]:
    """The shown run's input x (T, I) and r, z, n, h (T,) of one unit (0-based)."""
    run = res.run
    return run.x, run.r[:, unit], run.z[:, unit], run.n[:, unit], run.h[:, unit]


def convention_series(res: Result, unit: int) -> tuple[dict, dict]:
    """h and z (T,) of one unit (0-based) under each (mix, reset) convention: two dicts keyed like ``runs``."""
    return ({k: r.h[:, unit] for k, r in res.runs.items()}, {k: r.z[:, unit] for k, r in res.runs.items()})


def download_columns(res: Result) -> dict[str, np.ndarray]:
    """The shown run as CSV columns: t, x1..xI, then r, z, n, h of every unit."""
    run = res.run
    cols = {"t": np.arange(1, run.steps + 1)}
    cols.update({f"x{i + 1}": run.x[:, i] for i in range(run.x.shape[1])})
    cols.update({f"{g}_unit{j + 1}": getattr(run, g)[:, j] for g in ("r", "z", "n", "h") for j in range(run.h.shape[1])})
    return cols
