"""Train page model: Settings (defaults, limits, presets) -> background jobs -> frozen views -> words from numbers.

    s = Settings(delay=50, chrono=False)                # what the controls say
    run = bg.RUNS.start(s.key, s.job, session)          # one shared run per key (lab.background)
    v = run.view()                                      # TrainView: the same for a live run and a checkpoint
    inside = look_inside(v, replay=100, seq=0)          # Inside: per cell the engine analysis of one snapshot
    words.accuracy(0.263, 0.25)                         # "at chance"

Nothing here draws; lab/figures/training.py draws these results; pages/train.py wires widgets to them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from gru_core import analysis as AN
from gru_core import task_training as TT
from gru_core.tasks import DELAY_MAX, TASK_TITLES, TASKS
from gru_core.training import ModelView
from lab import background as bg
from lab.cache import engine_cache
from lab.theme import CELL_LABELS

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = ROOT / "checkpoints"
DELAY_TABLE = CHECKPOINTS / "accuracy_vs_delay.json"
D = TT.TrainConfig()                     # the defaults: the CLI, the scripts and the checkpoint use the same
LR_OPTIONS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
STOP_LABELS = {"steps": "steps", "time": "time budget"}
SWEEP_DELAYS = (5, 10, 25, 50, 100, 150, 200, 300)
LIVE_ANALYSIS_EVERY = 100                # while training, the analysis follows snapshots at multiples of this


@dataclass(frozen=True)
class Settings:
    """Every control of the Train page. ``KINDS``: the cell picker's options (add a kind here and it is offered);
    ``LIMITS``: (min, max, step) of each slider; ``PRESETS``: URL key -> value."""

    task: str = D.task
    delay: int = D.delay
    cells: tuple[str, ...] = TT.CELLS
    hidden: int = D.hidden_size
    lr: float = D.lr
    clip: float = D.clip
    seed: int = D.seed
    stop_by: str = "steps"
    steps: int = D.steps
    budget: float = 30.0
    chrono: bool = D.chrono
    bias: float = D.update_bias
    sweep_delays: tuple[int, ...] = (10, 50, 100)

    KINDS = TT.KINDS                     # every kind that trains; the default selection is ``cells``
    TASKS = TASKS
    LIMITS = dict(delay=(5, DELAY_MAX, 5), hidden=(4, 128, 4), clip=(0.0, 10.0, 0.25), steps=(50, 5000, 50),
                  budget=(5, 300, 5), bias=(-4.0, 8.0, 0.25))

    def config(self) -> TT.TrainConfig:
        """The training config (raises ValueError with a clear message for settings that cannot train)."""
        budget = float(self.budget) if self.stop_by == "time" else None
        return TT.TrainConfig(task=self.task, delay=int(self.delay), hidden_size=int(self.hidden), lr=float(self.lr),
                              steps=int(self.steps) if budget is None else TT.LIMITS["steps"][1], time_budget=budget,
                              clip=float(self.clip), chrono=bool(self.chrono), update_bias=float(self.bias),
                              seed=int(self.seed))

    @property
    def ordered_cells(self) -> tuple[str, ...]:
        return tuple(k for k in self.KINDS if k in self.cells)

    def error(self) -> str | None:
        """Why these settings cannot train (None if they can)."""
        try:
            self.config()
        except ValueError as e:
            return str(e)
        return None

    def key(self) -> tuple:
        """Everything that decides the result (shared runs: identical keys train once per server)."""
        return ("train", self.config(), self.ordered_cells)

    def job(self) -> "TrainJob":
        return TrainJob(self.config(), self.ordered_cells)

    def sweep_key(self) -> tuple:
        return ("sweep", self.config(), self.ordered_cells, tuple(sorted(self.sweep_delays)))

    def sweep_job(self) -> "SweepJob":
        return SweepJob(self.config(), self.ordered_cells, tuple(sorted(self.sweep_delays)))


PRESETS = {   # label -> URL values (lab.controls.preset_menu); the first is the page's defaults
    "Defaults: RNN, GRU, LSTM at D = 100, chrono init": {"tr_chrono": True, "tr_delay": 100, "tr_bias": 0.0},
    "Same run without chrono init": {"tr_chrono": False, "tr_bias": 0.0},
    "Short delay (D = 10): every cell can do it": {"tr_delay": 10},
    "Long delay (D = 200)": {"tr_delay": 200},
}
NO_CHRONO = {"tr_chrono": False, "tr_bias": 0.0}


# ---------------------------------------------------------------------------------------------------------------
# Views: what the page draws, the same whatever produced them


@dataclass(frozen=True)
class TrainView:
    """A consistent picture of a training run. ``models``: kind -> gru_core.training.ModelView."""

    config: TT.TrainConfig
    models: dict[str, ModelView]
    step: int
    finished: bool
    stop_reason: str
    seconds: float
    source: str = "live"                     # "live" | "checkpoint"

    def nbytes(self) -> int:
        return sum(a.nbytes for m in self.models.values() for s in m.snapshots for a in s.params.values())

    @property
    def final(self) -> dict[str, dict]:
        return {k: m.final for k, m in self.models.items() if m.final}

    @property
    def gated(self) -> list[str]:
        return [k for k in self.models if TT.keep_gate(k) is not None]


def view_of(run: TT.TaskRun, source: str = "live") -> TrainView:
    return TrainView(run.config, run.view(), run.step, run.finished, run.stop_reason, run.seconds, source)


class TrainJob:
    """lab.background Job: one TaskRun of the chosen cells."""

    def __init__(self, config: TT.TrainConfig, cells: tuple[str, ...]):
        self.run_ = TT.TaskRun(config, cells)

    def run(self, should_stop) -> None:
        self.run_.run(should_stop=should_stop)

    def view(self) -> TrainView:
        return view_of(self.run_)

    def progress(self) -> float:
        return self.run_.progress()


@dataclass(frozen=True)
class SweepView:
    """Accuracy against delay for one config: the delays done so far and each cell's held-out accuracy."""

    config: TT.TrainConfig
    cells: tuple[str, ...]
    delays: tuple[int, ...]
    done: tuple[int, ...]
    accuracy: dict[str, tuple[float, ...]]


class SweepJob:
    """lab.background Job: ``gru_core.task_training.sweep_delays`` over the chosen delays."""

    def __init__(self, config: TT.TrainConfig, cells: tuple[str, ...], delays: tuple[int, ...]):
        for d in delays:
            replace(config, delay=d)             # a bad delay is refused before anything is queued
        self.config, self.cells, self.delays = config, cells, delays
        self.done: dict[int, dict[str, float]] = {}
        self.current: TT.TaskRun | None = None

    def run(self, should_stop) -> None:
        def keep(d: int, run: TT.TaskRun) -> None:
            self.done = {**self.done, d: {k: f["accuracy"] for k, f in run.final.items()}}

        TT.sweep_delays(self.config, self.cells, self.delays, on_result=keep, should_stop=should_stop)

    def view(self) -> SweepView:
        done = dict(self.done)
        return SweepView(self.config, self.cells, self.delays, tuple(done),
                         {k: tuple(done[d][k] for d in done) for k in self.cells})

    def progress(self) -> float:
        return len(self.done) / max(len(self.delays), 1)


SHIPPED_RUNS = {"recall_nochrono": Settings(chrono=False)}   # checkpoints that ARE these settings' finished run


def _finished(key, path: Path) -> bg.Run:
    return bg.RUNS.finished(key, lambda: view_of(TT.load_run(path), "checkpoint"))


def pretrained(task: str) -> bg.Run | None:
    """The shipped checkpoint for ``task`` (else the default task's) as a finished Run, loaded once per server.

    Also puts the shipped runs of ``SHIPPED_RUNS`` into the server's store under their settings' key, so asking
    for those settings (the one-click contrast at the defaults) returns the finished result at once."""
    for name, s in SHIPPED_RUNS.items():
        if (CHECKPOINTS / f"{name}.npz").exists():
            _finished(s.key(), CHECKPOINTS / f"{name}.npz")
    for name in (f"{task}_default", f"{D.task}_default"):
        path = CHECKPOINTS / f"{name}.npz"
        if path.exists():
            return _finished(("checkpoint", name, path.stat().st_mtime), path)
    return None


@engine_cache(max_entries=2)
def delay_table(path: str, mtime: float) -> dict | None:
    """The shipped accuracy-against-delay table (JSON) or None."""
    return json.loads(Path(path).read_text())


def load_delay_table() -> dict | None:
    return delay_table(str(DELAY_TABLE), DELAY_TABLE.stat().st_mtime) if DELAY_TABLE.exists() else None


# ---------------------------------------------------------------------------------------------------------------
# Inside the trained models: one snapshot per cell, analysed by the engine


@dataclass(frozen=True)
class CellInside:
    """One cell at one snapshot on one held-out test sequence, plus its accuracy over the whole held-out set.

    grad_share (T,): ||dL/dh_t|| / ||dL/dh_T||; keep (T, H) or None; held_mean / held_best (T,): share of the
    step-1 memory still held (mean over units / the unit that holds best), None for the RNN."""

    analysis: TT.Analysis
    accuracy: float                     # over TT.EVAL_SIZE held-out sequences at this snapshot
    grad_share: np.ndarray
    keep: np.ndarray | None
    held_mean: np.ndarray | None
    held_best: np.ndarray | None

    @property
    def step(self) -> int:
        return self.analysis.step


@engine_cache(max_entries=128)
def cell_inside(config: TT.TrainConfig, kind: str, step: int, seq: int, _params: dict) -> CellInside:
    """Cached on (config, kind, step, seq): training is deterministic, so these decide the snapshot."""
    a = TT.analyse(kind, config, _params, step, seq)
    _, acc = TT.evaluate_params(kind, config, _params)
    keep = TT.keep_share(a)
    held = (None, None) if keep is None else (AN.retention(keep), AN.retention(keep, "max"))
    return CellInside(a, acc, AN.gradient_share(a.grad_norm), keep, *held)


def _replay_total(view: TrainView) -> int:
    """100% of the replay: the steps asked for while training by steps, else the steps done."""
    return view.config.steps if (view.config.time_budget is None and not view.finished) else max(view.step, 1)


def replay_options(view: TrainView) -> list[int]:
    """The replay slider's points: % of the run at which some cell has a snapshot (always ends at the last)."""
    total = _replay_total(view)
    steps = sorted({s for m in view.models.values() for s in m.snapshot_steps})
    return sorted({int(round(100 * s / max(total, 1))) for s in steps})


def snapshot_for(m: ModelView, percent: float, total: int, live: bool) -> int:
    """Index of ``m``'s snapshot nearest ``percent`` of ``total`` steps; while training, only multiples of
    LIVE_ANALYSIS_EVERY (the engine analysis is then redone every few seconds, not every poll)."""
    steps = m.snapshot_steps
    target = percent / 100.0 * total
    idx = [i for i, s in enumerate(steps) if not live or s % LIVE_ANALYSIS_EVERY == 0] or [len(steps) - 1]
    return min(idx, key=lambda i: (abs(steps[i] - target), -steps[i]))


@dataclass(frozen=True)
class Inside:
    cells: dict[str, CellInside]
    marks: list[tuple[int, str]] = field(default_factory=list)


def look_inside(view: TrainView, percent: float, seq: int) -> Inside:
    """Every cell of the run at the snapshot nearest ``percent`` of the run, on held-out sequence ``seq``."""
    live, total = not view.finished, _replay_total(view)
    cells = {}
    for k, m in view.models.items():
        snap = m.snapshots[snapshot_for(m, percent, total, live)]
        cells[k] = cell_inside(view.config, k, snap.step, int(seq), snap.params)
    return Inside(cells, marks(view.config))


def inside_views(view: TrainView) -> dict[str, str]:
    """The tabs of "Inside the trained models", URL word -> label (the replay needs a gated cell)."""
    return {"keep": "What is kept", "grad": "Gradient", **({"replay": "Replay"} if view.gated else {}),
            "gates": "Every gate"}      # short: a phone shows the tab bar in one line


def marks(cfg: TT.TrainConfig) -> list[tuple[int, str]]:
    """(sequence step, label) of the steps that matter: recall token and query; copy's last symbol and delimiter."""
    T = cfg.spec.seq_len
    return {"recall": [(1, "token"), (T, "query")], "copy": [(10, "symbols end"), (T - 10, "delimiter")]}.get(
        cfg.task, [])


def curve_columns(view: TrainView) -> dict[str, np.ndarray]:
    """CSV columns of the training curves (NaN where a cell stopped earlier)."""
    n = max(len(m.history.step) for m in view.models.values())
    cols = {"step": np.arange(1, n + 1)}
    for k, m in view.models.items():
        for name in ("loss", "acc", "grad_norm"):
            vals = np.asarray(getattr(m.history, name), dtype=np.float64)
            cols[f"{k}_{name}"] = np.concatenate([vals, np.full(n - vals.size, np.nan)])
    return cols


def describe(cfg: TT.TrainConfig) -> str:
    stop = f"{cfg.steps} steps" if cfg.time_budget is None else f"{cfg.time_budget:g} s"
    init = ("chrono init" if cfg.chrono else "default init") + (f", gate bias {cfg.update_bias:+g}"
                                                                 if cfg.update_bias else "")
    return (f"{TASK_TITLES[cfg.task]}, D = {cfg.delay}, H = {cfg.hidden_size}, learning rate {cfg.lr:g}, "
            f"clip {cfg.clip:g}, {init}, seed {cfg.seed}, {stop}")


def running_mean(y: np.ndarray, window: int = 20) -> np.ndarray:
    """Trailing mean over up to ``window`` points (the first points average what there is)."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    n = np.minimum(np.arange(1, y.size + 1), window)
    return (c[1:] - c[np.arange(1, y.size + 1) - n]) / n


def curves(view: TrainView, metric: str, window: int = 20) -> dict[str, dict[str, np.ndarray]]:
    """For ``lab.figures.training.training_curves``: per cell the smoothed training curve and the held-out points,
    in the axis unit (accuracy in %, loss as it is)."""
    scale, name = (100.0, "acc") if metric == "accuracy" else (1.0, "loss")
    out = {}
    for k, m in view.models.items():
        h = m.history.arrays()
        out[k] = {"step": h["step"], "train": scale * running_mean(h[name], window),
                  "eval_step": h["eval_step"], "eval": scale * h["eval_" + name]}
    return out


def curve_args(view: TrainView, metric: str) -> dict:
    """Keyword arguments of ``lab.figures.training.training_curves`` for ``metric`` ("accuracy" | "loss")."""
    spec = view.config.spec
    if metric == "accuracy":
        chance = 100 * spec.chance_accuracy
        extra = dict(baseline=chance, baseline_label=f"chance {chance:.0f}%", y_title="accuracy")
    else:
        extra = dict(baseline=spec.baseline_loss, baseline_label="memoryless baseline", y_title=spec.loss_name)
    return dict(curves=curves(view, metric), metric=metric, total_steps=total_steps(view), **extra)


def total_steps(view: TrainView) -> int:
    """The x range of the curves: the steps asked for, or (time budget) the steps done."""
    return view.config.steps if view.config.time_budget is None else max(view.step, 1)


# ---------------------------------------------------------------------------------------------------------------
# Words chosen from the numbers (every threshold here is pinned by tests/unit/test_models_train.py)

SOLVED = 0.9           # held-out accuracy at or above this: "solves it"
CHANCE_MARGIN = 0.05   # within 5 points of chance: "at chance" (1,024 sequences: 2 standard errors are ~2.7 points)
HOLDS_MOST, HOLDS_SOME = 0.5, 0.05


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def accuracy_words(acc: float, chance: float) -> str:
    if acc >= SOLVED:
        return "solves the task"
    if acc < chance + CHANCE_MARGIN:
        return "is at chance (it guesses)"
    return "is above chance but does not solve it"


def gradient_words(label: str, share: float) -> str:
    """What the share of the end gradient left at step 1 means, in words chosen from its size."""
    from lab.figures.common import sci

    if not np.isfinite(share):
        return f"the {label}'s gradient overflowed on the way back"
    if share == 0:
        return f"no gradient reaches step 1 in the {label} (it underflows to exactly 0)"
    if share > 1.05:
        return f"at step 1 the {label}'s gradient is {share:.2g} times its end gradient (it grows on the way back)"
    if share >= 0.1:
        return f"the {label} keeps {100 * share:.0f}% of its end gradient at step 1"
    if share >= 1e-3:
        return f"the {label} keeps only {sci(share)} of its end gradient at step 1"
    return f"the {label} keeps {sci(share)} of its end gradient at step 1: practically none reaches the token"


def held_words(held: float) -> str:
    """The best unit's share of its step-1 memory still held at the last step."""
    from lab.figures.common import sci

    if held >= HOLDS_MOST:
        return f"still holds most of its step-1 memory at the end ({100 * held:.0f}%)"
    if held >= HOLDS_SOME:
        return f"still holds some of its step-1 memory at the end ({100 * held:.0f}%)"
    return f"holds almost none of its step-1 memory by the end ({sci(held)})"


def untrained_words(cfg: TT.TrainConfig, label: str, held_best_end: float) -> str:
    """The replay at step 0: what the untrained gate already does, depending on the init and the number."""
    init = "chrono init" if cfg.chrono else "PyTorch's default init"
    head = f"Step 0 is the untrained {label} ({init}): its best unit {held_words(held_best_end)}"
    if cfg.chrono and held_best_end >= HOLDS_SOME:
        return head + ". So with chrono init the untrained gate already keeps; training teaches it what to store."
    if not cfg.chrono and held_best_end < HOLDS_SOME:
        return head + ". With the default init the gate starts near ½, so memory fades within a few steps."
    return head + "."


def chrono_words(cfg: TT.TrainConfig, final: dict[str, dict]) -> str | None:
    """The run's lesson about chrono init, from the GRU's (or LSTM's) held-out accuracy; None without them."""
    kind = "gru" if "gru" in final else ("lstm" if "lstm" in final else None)
    if kind is None:
        return None
    label, acc, chance = CELL_LABELS[kind], final[kind]["accuracy"], cfg.spec.chance_accuracy
    verdict = f"The {label} {accuracy_words(acc, chance)} ({pct(acc)}, chance {pct(chance)})"
    if cfg.chrono:
        return (verdict + " with **chrono init**, which starts its keep gate open for up to T steps. That start is "
                "what wins here: press **Same run without chrono init** to train the very same run without it.")
    if acc < chance + CHANCE_MARGIN:
        return (verdict + " without chrono init: its keep gate starts near ½, so the memory halves every step and "
                "the gradient from the query never reaches the token. Chrono init (on by default) fixes exactly "
                "this, as the vanishing page shows for a default-init GRU.")
    return verdict + f" even without chrono init: at D = {cfg.delay} the default gate still lets enough through."


def sequence_words(cfg: TT.TrainConfig, inside: Inside, seq: int) -> str:
    """One held-out sequence next to all of them: right/wrong (or share of symbols) and the accuracy overall."""
    one, many = [], []
    for k, c in inside.cells.items():
        a = c.analysis
        name = CELL_LABELS.get(k, k)
        one.append(f"{name} {100 * a.correct:.0f}% of symbols" if cfg.spec.kind == "classify_seq"
                   else f"{name} {'right' if a.correct >= 0.5 else 'wrong'} (loss {a.loss:.3g})")
        many.append(f"{name} {pct(c.accuracy)}")
    return (f"On test sequence {seq}: {'; '.join(one)}. One sequence can be right by chance: over all "
            f"{TT.EVAL_SIZE:,} held-out sequences at these steps, {', '.join(many)} (chance "
            f"{pct(cfg.spec.chance_accuracy)}).")


# ---------------------------------------------------------------------------------------------------------------
# The page's sentences (pure: numbers in, markdown out)

STOP_WORDS = {"steps": "all steps done", "time budget": "time budget used", "stopped": "stopped early",
              "diverged": "every cell diverged"}
MARK_WORDS = {"recall": "the token at t = 1 and the query at the last step",
              "copy": "the last symbol to copy and the delimiter"}


def status_lines(run: bg.Run, v: TrainView) -> list[tuple[str, object]]:
    """(streamlit function name, text) lines for the run's status: source, queue, progress, per-cell notes.
    For "progress" the text is (value, text)."""
    out = [("markdown", f":material/inventory_2: **Pretrained checkpoint** ({describe(v.config)}). Press **Train** "
                        "to train with your own settings.") if v.source == "checkpoint" else
           ("markdown", f"**Run:** {describe(v.config)}." + _watchers(run))]
    out += _progress(run, v)
    for k, m in v.models.items():
        out += _cell_note(CELL_LABELS.get(k, k), m)
    if run.error:
        out.append(("error", f"Training stopped by an error: {run.error}"))
    elif run.note and not any(m.message for m in v.models.values()):
        out.append(("warning", f"The run {run.note}."))
    return out


def _progress(run: bg.Run, v: TrainView) -> list[tuple[str, object]]:
    """(streamlit function, text or (value, text) for st.progress)."""
    if run.state == "queued":
        return [("info", f"Waiting for a free training slot: number {run.queue_position} in the queue (other "
                            "runs are training). It starts by itself.")]
    if run.state == "running":
        of = v.config.steps if v.config.time_budget is None else "?"
        return [("progress", (run.progress(), f"Training: step {v.step} of {of}, {run.seconds:.0f} s"))]
    steps = max((m.history.step[-1] for m in v.models.values() if m.history.step), default=0)
    why = STOP_WORDS.get(v.stop_reason, "stopped early")
    return [("progress", (1.0, f"Finished: {steps} steps in {v.seconds:.1f} s ({why})"))]


def _watchers(run: bg.Run) -> str:
    n = run.watchers()
    return f" Followed live in {n} open pages." if n > 1 else ""


def _cell_note(label: str, m: ModelView) -> list[tuple[str, str]]:
    if m.status == "diverged":
        return [("error", f"{label}: {m.message}")]
    if m.status == "stopped" and m.message:
        return [("warning", f"{label}: {m.message}; the result so far is kept.")]
    return [("caption", f"{label}: {m.message}.")] if m.message else []


def headline(v: TrainView) -> str:
    spec = v.config.spec
    parts = [f"{CELL_LABELS.get(k, k)} {pct(f['accuracy'])}" for k, f in v.final.items()]
    return (f"Held-out accuracy after training ({TT.EVAL_SIZE:,} new sequences): " + ", ".join(parts)
            + f". Chance is {pct(spec.chance_accuracy)}.")


def replay_caption(v: TrainView, inside: Inside, percent: int) -> str:
    shown = ", ".join(f"{CELL_LABELS.get(k, k)} at step {c.step}" for k, c in inside.cells.items())
    live = "" if v.finished else (f" While training, this part follows every {LIVE_ANALYSIS_EVERY} steps and "
                                  "redraws every few seconds.")
    return f"Replay at {percent}% of the run. Snapshots shown: {shown}.{live}"


def keep_reading(cfg: TT.TrainConfig) -> str:
    marks_ = f" (dotted lines: {MARK_WORDS[cfg.task]})" if cfg.task in MARK_WORDS else ""
    return (f"Each row is one hidden unit, each column a step of the test sequence{marks_}. Bright = the gate keeps "
            "the old state (hₜ ≈ hₜ₋₁); a unit that stays bright from the token to the query holds the "
            "memory.")


def gradient_sentence(inside: Inside) -> str:
    parts = [gradient_words(CELL_LABELS.get(k, k), float(c.grad_share[0])) for k, c in inside.cells.items()
             if c.grad_share.size]
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:] if parts else ""


def gate_limits(a: TT.Analysis) -> dict[str, float]:
    """Colour range of the LSTM cell state (it can exceed ±1); the other states stay within ±1."""
    c = a.gates.get("c")
    return {} if c is None else {"c": max(1.0, float(np.nanmax(np.abs(c))))}


def sweep_caption(sw: bg.Run, v: SweepView) -> str:
    done = f"{len(v.done)} of {len(v.delays)} delays done in {sw.seconds:.0f} s"
    if sw.state != "finished":
        return f"Your sweep: {done}" + (f" (waiting: number {sw.queue_position} in the queue)"
                                         if sw.state == "queued" else "") + "."
    why = f"; {sw.note}" if sw.note else ""
    return f"Your sweep ({describe(v.config)}; delays {', '.join(map(str, v.delays))}): {done}{why}."


def delay_chart(table: dict | None, mine: SweepView | None) -> dict:
    """Keyword arguments of ``lab.figures.training.accuracy_vs_delay`` (every accuracy in %)."""
    cells = table["cells"] if table else {}
    chance = table["chance"] if table else mine.config.spec.chance_accuracy
    return dict(delays=table["delays"] if table else [],
                accuracy={k: 100 * np.asarray(v["mean"]) for k, v in cells.items()},
                spread={k: (100 * np.asarray(v["min"]), 100 * np.asarray(v["max"])) for k, v in cells.items()},
                chance=100 * chance,
                mine=None if mine is None else (list(mine.done), {k: 100 * np.asarray(a)
                                                                  for k, a in mine.accuracy.items()}))


def delay_reading(table: dict | None) -> str:
    made = (f"held-out accuracy after {table['config']['steps']} training steps with the page's defaults, mean of "
            f"seeds {', '.join(map(str, table['seeds']))} (bars: lowest to highest seed)") if table else "none yet"
    return (f"Solid: {made}. Dotted: your own sweep. Where a line falls to the dashed chance line, that cell no "
            "longer remembers.")


def delay_provenance(table: dict) -> str:
    cfg = TT.TrainConfig(**table["config"])
    return (f"Precomputed by `scripts/make_delay_table.py` ({table.get('seconds', 0):.0f} s of training on this "
            f"project's 2-core build machine); settings: {describe(cfg)}, delays "
            f"{', '.join(map(str, table['delays']))}.")


# ---------------------------------------------------------------------------------------------------------------
# The page's fixed texts (one place; the page only places them)

INTRO = ("Train a plain RNN, a GRU and an LSTM **live**, on the same data from the same seed, on a task that needs "
         "memory: remember a token through D steps of noise. Then open the trained models up: watch the GRU's "
         "update gate learn to *hold* through the delay, and the gradient reach back to the token.")
HELP = {
    "tr_task": "Delayed recall: name the token shown D steps ago. Adding: add the two marked numbers of a length-D "
               "sequence. Copy: repeat 10 symbols after a gap of D steps.",
    "tr_lr": "Too large and training diverges: the run stops and keeps the best weights it had.",
    "tr_clip": "Pascanu et al. 2013: if ‖g‖ > c, rescale g to length c.",
    "tr_chrono": "GRU update gate and LSTM forget gate (Tallec & Ollivier 2018): keep-gate bias ~ log U[1, T−1], so "
                 "units start out remembering for up to T steps. Off: PyTorch's default init.",
    "tr_bias": "Added to the GRU update-gate and the LSTM forget-gate bias.",
    "tr_train_btn": "Train the chosen cells with these settings. Everyone in the class who asks for the same "
                    "settings follows one shared run.",
    "tr_stop_btn": "Stop following it; a run nobody follows any more stops and keeps what it learned.",
    "tr_pretrained_btn": "The shipped run, trained with the page's defaults, at once.",
    "tr_nochrono_btn": "The contrast in one click: these very settings with PyTorch's default gate init.",
    "tr_sweep_btn": "Train every chosen delay with the settings at the top, one after the other.",
    "tr_sweep_stop_btn": "Stop following the sweep; the delays already done stay on the chart.",
}
SLIDERS = {   # Settings field -> (label, URL key, format)
    "delay": ("Delay D (steps to remember across)", "tr_delay", None),
    "hidden": ("Hidden size H", "tr_hidden", None),
    "clip": ("Clip gradient norm at (0 = off)", "tr_clip", "%.2f"),
    "steps": ("Training steps", "tr_steps", None),
    "budget": ("Time budget (seconds)", "tr_budget", None),
    "bias": ("Update-gate bias (added, + = keep)", "tr_bias", "%.2f"),
}
READ = {
    "acc": "Lines: accuracy on the last 20 training batches; rings: accuracy on held-out sequences the model never "
           "trained on. The dashed line is guessing.",
    "loss": "Training loss on a log scale (lower is better). The dashed line is the best a model without memory can "
            "do (a fixed guess); only memory gets below it.",
    "grad": "How much of the end gradient (at the query) is left at each step (log scale, exact); 1 at the end. A "
            "line that stays high back to the token means the model can learn from it.",
    "replay": "Top: the keep gate per unit and step. Bottom: how much of what the units held at step 1 is still "
              "there (the running product of the keep gate), averaged over units and for the unit that holds best. "
              "Slide the replay from 0% to 100% to watch the gate learn to hold.",
    "gates": "One row per gate (or state), units down, sequence steps across. Gates run from 0 (dark) to 1 (yellow); "
             "candidates and states from −1 (blue) to +1 (red).",
    "sweep": "**Or compute it for your settings**: the controls at the top, one full training run per delay (this "
             "takes a while; the dotted lines fill in as each delay finishes).",
}
PREDICT = {
    "curves": "Before you press Train: which cell will leave the accuracy's chance line first, and which never? "
              "Which cells will get below the loss's dashed line, and does a loss that falls mean the task is solved?",
    "grad": "Where will the RNN's line be at the token, compared with the GRU's?",
    "delay": "Before you look: at which delay does the plain RNN drop to chance?",
}


def replay_predict(cfg: TT.TrainConfig) -> str:
    return (f"At 0% (untrained, {'chrono init' if cfg.chrono else 'default init'}): is the memory already held? "
            "What changes by 100%?")


def replay_title(label: str, c: CellInside) -> str:
    return f"{label} at training step {c.step}: held-out accuracy {pct(c.accuracy)}"
