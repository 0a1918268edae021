"""The guided lesson (/lesson): its steps, what each computes with the engine, and the words of each answer.

Pattern: a step's one control -> ``Settings(step, value)`` -> cached ``compute(settings)`` (engine runs) -> a frozen
``Result`` (the chart's arrays, the numbers the answer cites, the correct choice, the explanation) -> the figure
builder in lab/figures/lesson.py. Every answer is chosen and worded from the engine's numbers, never written in.

Steps are 1-based (``lesson_step`` in the URL). Gradient shares are ||dL/dh_t|| / ||dL/dh_T|| with the loss on the
last step (T steps, noise input, hidden size ``H``), indexed by time t = 1..T, so entry 0 is T - 1 steps back.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from streamlit.logger import get_logger

import gru_core
from gru_core.task_training import TaskRun, analyse
from gru_core.task_training import TrainConfig as TaskTrainConfig
from lab import background as bg
from lab.cache import engine_cache
from lab.figures.common import sci
from lab.inside_gru import rnn_equivalent, scalar_gru
from lab.theme import CELL_LABELS

_LOG = get_logger(__name__)
H = 32           # hidden size of the gradient steps (as on the home and vanishing pages)
GOAL_T = 200     # the last step's goal: keep GOAL_SHARE of the gradient over GOAL_T - 1 steps
GOAL_SHARE = 0.1
MEMORY_T, MEMORY_H0 = 60, 0.8   # the keep-gate step: a one-unit GRU holding 0.8 reads 60 noise steps
# The class's training run: delayed recall with 50 noise steps, RNN and GRU of 16 units, 300 steps (within 15 s
# here; benchmarks/bench_classroom.py measures it). Chrono init and the rest are the Train page's defaults.
TRAIN = TaskTrainConfig(task="recall", delay=50, hidden_size=16, steps=300, eval_every=50, snapshot_every=50)
TRAIN_CELLS = ("rnn", "gru")
LEARNED = 0.9   # held-out accuracy that counts as "learned the task"


@dataclass(frozen=True)
class Knob:
    """The one control a step shows: a slider (``lo``..``hi`` by ``step``) or, with ``toggle``, an on/off switch.
    Its URL parameter is ``lesson_<name>``."""

    name: str
    label: str
    default: float
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    help: str = ""
    toggle: bool = False

    @property
    def key(self) -> str:
        return f"lesson_{self.name}"


@dataclass(frozen=True)
class Step:
    """One screen of the lesson: what it says, asks and lets the student change. ``page``: the full page that
    explores it (file stem)."""

    slug: str
    title: str
    page: str
    text: str
    question: str
    choices: dict[str, str]
    how_to_read: str
    knob: Knob | None = None
    also: tuple[str, ...] = ()   # other pages this step introduces (their "Lesson, step N" link points here)
    goal: bool = False       # the last step: the student sets the knob to reach a goal the engine checks
    training: bool = False   # the step follows the class's shared training run


@dataclass(frozen=True)
class Settings:
    step: int                # 1-based
    value: float | None = None


@dataclass(frozen=True)
class Result:
    """What a step's chart shows and its answer. lines: label -> (colour kind, (T,) gradient share or h_t);
    numbers: the values the explanation cites; correct: the right choice's key; words: the explanation
    (markdown); goal_met: for the goal step, whether the current setting reaches the goal."""

    chart: str        # "shares" (log y, k steps back) | "states" (h_t over t) | "accuracy" | "gates" (z_t over t)
    lines: dict[str, tuple[str, np.ndarray]]
    correct: str
    words: str
    numbers: dict[str, float] = field(default_factory=dict)
    goal_met: bool | None = None
    goal_line: float | None = None
    x: dict[str, np.ndarray] | None = None     # label -> x values of that line (training steps), else 1..n


def _trace(kind: str, T: int, **kw):
    """The engine's trace of a seeded cell (input size 1, hidden size H) on T steps of noise, loss on h_T."""
    cell = gru_core.make_cell(kind, 1, H, seed=0, **kw)
    with np.errstate(all="ignore"):
        return gru_core.record(cell, gru_core.signal("noise", T, 1, seed=0), loss="last")


def _share(kind: str, T: int, **kw) -> np.ndarray:
    """(T,) share of the end gradient left at each step t (loss on h_T), for a seeded cell on noise input."""
    g = _trace(kind, T, **kw).grad_norm[:, 0]
    with np.errstate(all="ignore"):
        return g / g[-1]


def per_step_factor(share_k: float, k: int) -> float:
    """The average factor the gradient is multiplied by per step (geometric mean) when ``share_k`` is left after
    ``k`` steps."""
    return float(share_k) ** (1.0 / k) if share_k > 0 and k > 0 else float("nan")


def nearest_choice(value: float, candidates: dict[str, float]) -> str:
    """The key of the candidate nearest to ``value`` in orders of magnitude (log10)."""
    lv = math.log10(max(value, 1e-300))
    return min(candidates, key=lambda k: abs(lv - math.log10(max(candidates[k], 1e-300))))


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%" if v >= 0.01 else sci(v)


# ----------------------------------------------------------------------------------------------- step computations

def rnn_forgets(T: int) -> Result:
    """Step 1: an RNN's share of the gradient over T steps; the answer compares T = 50 with T = 100."""
    s50, s100 = _share("rnn", 50)[0], _share("rnn", 100)[0]
    correct = nearest_choice(s100, {"half": s50 / 2, "same": s50, "square": s50 ** 2})
    f = per_step_factor(s100, 99)
    words = (f"At T = 50 the RNN keeps **{sci(s50)}** of its gradient 49 steps back; at T = 100 it keeps "
             f"**{sci(s100)}** 99 steps back: about the **square** of {sci(s50)} ({sci(s50 ** 2)}). "
             f"Each step multiplies the gradient by about the same factor, here **{f:.2f}** on average, so twice "
             "the distance multiplies it by that factor twice as often: exponential decay.")
    if correct != "square":
        words = (f"At T = 50 the RNN keeps {sci(s50)} 49 steps back; at T = 100 it keeps {sci(s100)} 99 steps "
                 f"back (average factor per step {f:.2f}).")
    return Result("shares", {"RNN": ("rnn", _share("rnn", T))}, correct, words, dict(s50=s50, s100=s100, factor=f))


def bigger_weights(sigma: float) -> Result:
    """Step 2: scaling the RNN's recurrent weights to a largest singular value sigma (T = 100); the answer is
    at sigma = 1.5."""
    at = _share("rnn", 100, scale=1.5)[0]
    now = _share("rnn", 100, scale=float(sigma))
    correct = "explodes" if at > 10 else ("near1" if at > 0.1 else "vanishes")
    verdict = {"vanishes": "it still **vanishes**", "near1": "it stays **near 1**",
               "explodes": "it **explodes**"}[correct]
    words = (f"At σ_max = 1.5 the RNN keeps **{sci(at)}** of its gradient 99 steps back: {verdict}. σ_max bounds "
             "the growth per step from above, but tanh' < 1 and the directions the state takes shrink it more: "
             "σ_max > 1 is needed for exploding, not enough for it. At the σ_max you set "
             f"({sigma:g}) it keeps {sci(now[0])}.")
    return Result("shares", {f"RNN, σ_max = {sigma:g}": ("rnn", now)}, correct, words, dict(at=at, now=now[0]))


def gru_default(_: float | None = None) -> Result:
    """Step 3: a GRU at PyTorch's default init beside the RNN (T = 100)."""
    rnn, gru = _share("rnn", 100), _share("gru", 100)
    correct = "yes" if gru[0] > 0.01 else "no"
    how = "more" if correct == "yes" else "far less"
    words = (f"At PyTorch's default init the GRU keeps **{sci(gru[0])}** of its gradient 99 steps back, {how} than "
             f"1% (the RNN: {sci(rnn[0])}). Its update gate z starts near 0.5, so each step keeps only about half of "
             "the old state: the gates alone do not save the gradient, their values do.")
    return Result("shares", {"RNN": ("rnn", rnn), "GRU, default init": ("gru", gru)}, correct, words,
                  dict(gru=gru[0], rnn=rnn[0]))


def update_gate(bias: float) -> Result:
    """Step 4: the GRU's update-gate bias (T = 100); the answer compares bias 0 with bias 3."""
    s0 = _share("gru", 100)[0]
    tr3 = _trace("gru", 100, update_bias=3.0)
    s3, z3 = tr3.grad_norm[0, 0] / tr3.grad_norm[-1, 0], float(np.mean(tr3.gates["z"]))
    now = _share("gru", 100, update_bias=float(bias))
    ratio = s3 / s0 if s0 > 0 else math.inf
    correct = "x2" if ratio < 10 else ("x1000" if ratio < 1e6 else "million")
    words = (f"99 steps back the GRU keeps **{sci(s0)}** at bias 0 and **{sci(s3)}** at bias 3: "
             f"**{sci(ratio)} times** more. At bias 3 the update gate z averages **{z3:.2f}**, so each step keeps "
             "most of the old state and the gradient flows back along the direct path z·h_{t−1}. At your bias "
             f"({bias:g}) it keeps {sci(now[0])}.")
    return Result("shares", {"RNN": ("rnn", _share("rnn", 100)), f"GRU, bias {bias:g}": ("gru", now)}, correct,
                  words, dict(s0=s0, s3=s3, ratio=ratio, z3=z3))


def _memory_run(z_clamp: float | None) -> np.ndarray:
    """(T,) h_t of the one-unit GRU starting at h_0 = MEMORY_H0 on noise, with z held at ``z_clamp`` (or free)."""
    cell = scalar_gru(W_z=0.0, U_z=0.0, b_z=-1.0, W_r=0.0, U_r=0.0, b_r=0.0, W_n=1.5, U_n=0.5, b_n=0.0)
    x = gru_core.signal("noise", MEMORY_T, 1, seed=0)
    override = None if z_clamp is None else {"z": np.full((MEMORY_T, 1, 1), float(z_clamp))}
    tr = gru_core.record(cell, x, h0=np.array([[MEMORY_H0]]), override=override)
    return np.asarray(tr.h[:, 0, 0])


def keep_gate(z: float) -> Result:
    """Step 5: a one-unit GRU that holds h_0 = 0.8 reads noise with its update gate held at z."""
    held, free, now = _memory_run(1.0), _memory_run(None), _memory_run(float(z))
    drift = float(np.max(np.abs(held - MEMORY_H0)))
    correct = "stays" if drift < 1e-9 else ("decays" if abs(held[-1]) < abs(MEMORY_H0) / 2 else "follows")
    words = (f"With z = 1 every step computes h_t = 1·h_(t−1) + 0·n_t: after {MEMORY_T} noisy steps h differs from "
             f"{MEMORY_H0} by **{drift:.1e}**, it **stays exactly** where it was. With the gate free, h ends at "
             f"{free[-1]:+.2f}; at your z = {z:g} it ends at {now[-1]:+.2f}. z is the share of the old state kept.")
    return Result("states", {f"z held at {z:g}": ("gru", now), "z free": ("rnn", free)}, correct, words,
                  dict(drift=drift, free_end=float(free[-1]), now_end=float(now[-1])))


def make_rnn(clamped: float | None) -> Result:
    """Step 6: a GRU (H = 8) with z clamped to 0 and r to 1 against the tanh RNN made of its n-weights."""
    T, hid = 60, 8
    cell = gru_core.make_cell("gru", 1, hid, seed=0)
    x = gru_core.signal("noise", T, 1, seed=0)
    ov = {"z": np.zeros((T, 1, hid)), "r": np.ones((T, 1, hid))}
    with np.errstate(all="ignore"):
        g = gru_core.record(cell, x, override=ov)
        r = gru_core.record(rnn_equivalent(cell), x)
        free = gru_core.record(cell, x)
    gap = float(np.max(np.abs(g.h - r.h)))
    correct = "rnn" if gap < 1e-12 else "weaker"
    sh = {name: tr.grad_norm[:, 0] / tr.grad_norm[-1, 0] for name, tr in (("g", g), ("r", r), ("f", free))}
    words = (f"With z = 0 and r = 1 the GRU computes h_t = n_t = tanh(W_in x_t + b_in + W_hn h_(t−1) + b_hn): a tanh "
             f"RNN. Over {T} steps its states differ from that RNN's by **{gap:.1e}** (rounding): it **is** that "
             f"RNN. {T - 1} steps back both keep the same share of the gradient ({sci(sh['g'][0])} and "
             f"{sci(sh['r'][0])}); the GRU with its gates free keeps {sci(sh['f'][0])}.")
    lines = {"GRU, free gates": ("gru", sh["f"])}
    if clamped:
        lines |= {"GRU, z = 0 and r = 1": ("lstm", sh["g"]), "tanh RNN, same weights": ("rnn", sh["r"])}
    return Result("shares", lines, correct, words, dict(gap=gap))


def goal_bias(bias: float) -> Result:
    """Last step: the GRU's update-gate bias that keeps GOAL_SHARE of the gradient over GOAL_T - 1 steps. The
    answer scans the control's own grid for the smallest bias that reaches the goal."""
    knob = STEPS[-1].knob
    grid = np.round(np.arange(knob.lo, knob.hi + knob.step / 2, knob.step), 6)
    kept = {float(b): _share("gru", GOAL_T, update_bias=float(b))[0] for b in grid}
    enough = [b for b, v in kept.items() if v >= GOAL_SHARE]
    first = min(enough) if enough else math.inf
    correct = "b1" if first <= 1.5 else ("b25" if first <= 3.0 else "b4")
    now = _share("gru", GOAL_T, update_bias=float(bias))
    words = (f"The smallest bias on the slider that keeps {_pct(GOAL_SHARE)} of the gradient over {GOAL_T - 1} steps "
             f"is **{first:g}** (it keeps {_pct(kept.get(first, 0.0))}; bias {first - knob.step:g} keeps "
             f"{_pct(kept.get(first - knob.step, 0.0))}). Over {GOAL_T - 1} steps each step must keep about "
             f"{GOAL_SHARE ** (1 / (GOAL_T - 1)):.4f} of the gradient on average, so z must sit very close to 1.")
    met = bool(now[0] >= GOAL_SHARE)
    return Result("shares", {f"GRU, bias {bias:g}": ("gru", now)}, correct, words,
                  dict(first=first, now=float(now[0])), goal_met=met, goal_line=GOAL_SHARE)


# ----------------------------------------------------------------------------------------------- the steps

STEPS: tuple[Step, ...] = (
    Step("rnn_forgets", "An RNN forgets", "vanishing",
         "To learn from something that happened k steps ago, a network needs the gradient of its loss to reach back "
         "k steps. The chart shows how much of it an RNN has left at each distance (log scale).",
         "At T = 50 the RNN keeps a tiny share 49 steps back. At T = 100, how much will it keep 99 steps back?",
         {"half": "About half as much", "same": "About the same", "square": "About the square of it: far less"},
         "Each line is the share of the gradient left k steps before the loss; a straight falling line on this log "
         "axis is exponential decay.",
         Knob("len", "Sequence length T", 50, 20, 200, 10, help="How many steps the RNN reads before the loss.")),
    Step("bigger_weights", "Bigger weights do not simply help", "vanishing",
         "Each step multiplies the gradient by the step's Jacobian. Its size is capped by the largest singular value "
         "σ_max of the recurrent weights, so larger weights should let more gradient through.",
         "Scale the RNN's recurrent weights to σ_max = 1.5. What happens to the gradient 99 steps back?",
         {"explodes": "It explodes (grows above 1)", "near1": "It stays near 1", "vanishes": "It still vanishes"},
         "The line is the RNN's share of the gradient k steps back for the σ_max you set (log scale).",
         Knob("sigma", "Largest singular value σ_max of the RNN's weights", 1.0, 0.5, 3.0, 0.1)),
    Step("gru_default", "A GRU at default init forgets too", "vanishing",
         "A GRU mixes its old state h_(t−1) with a new candidate n_t: h_t = z·h_(t−1) + (1 − z)·n_t. The update "
         "gate z decides how much of the old state (and of the gradient) passes each step.",
         "Straight out of PyTorch (default init), does the GRU keep more than 1% of its gradient 99 steps back?",
         {"yes": "Yes, gates keep the gradient", "no": "No, it vanishes too"},
         "Both lines are the share of the gradient left k steps back (log scale), same length and noise input.",
         also=("compare",)),
    Step("update_gate", "The update gate opens a direct path", "home",
         "A positive bias on the update gate pushes z towards 1: keep the old state. Then h_t ≈ h_(t−1) and the "
         "gradient passes back almost unchanged.",
         "Raise the update-gate bias from 0 to 3. How much more gradient reaches 99 steps back?",
         {"x2": "About twice as much", "x1000": "About a thousand times", "million": "More than a million times"},
         "The GRU's share of the gradient k steps back at the bias you set, beside the RNN (log scale).",
         Knob("bias", "GRU update-gate bias", 0.0, -2.0, 6.0, 0.5, help="Positive keeps more of the old state.")),
    Step("keep_gate", "z = 1 keeps a memory exactly", "gate_explorer",
         f"A one-unit GRU starts holding h = {MEMORY_H0} and then reads {MEMORY_T} steps of noise. You hold its update "
         "gate at a value of your choice; the dashed line is the same GRU with its gate free.",
         "Hold the update gate at z = 1. What does h do while the noise comes in?",
         {"stays": f"It stays exactly at {MEMORY_H0}", "decays": "It slowly decays towards 0",
          "follows": "It follows the noise"},
         "Each line is the hidden state h_t at step t; the dashed line is the run with the gate free.",
         Knob("z", "Update gate z held at", 0.5, 0.0, 1.0, 0.05), also=("step_through",)),
    Step("make_rnn", "z = 0 and r = 1 make it an RNN", "gate_explorer",
         "The reset gate r decides how much of the old state enters the candidate n_t. Hold z = 0 (take only the "
         "candidate) and r = 1 (let all of the old state into it).",
         "With z = 0 and r = 1, what is the GRU?",
         {"rnn": "Exactly a plain tanh RNN", "weaker": "A GRU with less memory, but no RNN",
          "zero": "A cell that outputs zeros"},
         "Shares of the gradient k steps back (log scale): the GRU with its gates free and, when switched on, the "
         "clamped GRU and the tanh RNN built from its weights (they coincide).",
         Knob("clamp", "Hold z = 0 and r = 1", 0.0, toggle=True)),
    Step("train", "Training: which cell learns to remember?", "train",
         f"Now both cells learn. Each sequence shows one of {TRAIN.n_symbols} tokens, then {TRAIN.delay} steps of noise, "
         f"then a query: name the token. An RNN and a GRU ({TRAIN.hidden_size} units each, the GRU's update gate "
         "chrono-initialised to keep) train on the same batches; the whole class shares one run.",
         f"After {TRAIN.steps} training steps, which cell names the token on at least {_pct(LEARNED)} of held-out "
         "sequences?",
         {"both": "Both", "gru": "Only the GRU", "rnn": "Only the RNN", "neither": "Neither"},
         "Each line is the share of 256 held-out sequences answered right as training goes on; the dotted line is "
         f"chance ({_pct(1 / TRAIN.n_symbols)}).", also=("forecast", "text", "translate"), training=True),
    Step("learned", "What the trained GRU learned", "train",
         "The GRU you trained reads a held-out sequence: the token at step 1, noise, the query at the last step. "
         "The chart shows its update gate z_t (the share of the old state kept) at each step, read by the engine.",
         "During the noise steps, what does the trained GRU's best-keeping unit do with its update gate?",
         {"keep": "z stays near 1: keep", "half": "z hovers near 0.5", "overwrite": "z drops near 0: overwrite"},
         "z_t at each step t for the unit that keeps its step-1 content best, and the average over all units; "
         "1 = keep the old state, 0 = replace it.", training=True),
    Step("goal", "Your turn: keep the gradient alive", "vanishing",
         f"Goal: make the GRU keep at least {_pct(GOAL_SHARE)} of its gradient over {GOAL_T - 1} steps (T = {GOAL_T}). "
         "The engine checks your setting.",
         "Before you try: which update-gate bias will you need?",
         {"b1": "About 1", "b25": "About 2.5", "b4": "4 or more"},
         f"The GRU's share of the gradient k steps back (log scale); the dotted line is the goal, {_pct(GOAL_SHARE)}.",
         Knob("goal_bias", "GRU update-gate bias", 0.0, -2.0, 8.0, 0.5), goal=True),
)

_COMPUTE = {"rnn_forgets": rnn_forgets, "bigger_weights": bigger_weights, "gru_default": gru_default,
            "update_gate": update_gate, "keep_gate": keep_gate, "make_rnn": make_rnn, "goal": goal_bias}


def step_of(number: int) -> Step:
    """The step with this 1-based number (clamped to the lesson)."""
    return STEPS[min(max(int(number), 1), len(STEPS)) - 1]


@engine_cache(max_entries=128)
def compute(settings: Settings) -> Result:
    """The engine's numbers for one step at one setting (cached: every student at the same setting shares it).
    Training steps are computed from the class's run instead (``trained`` / ``learned``)."""
    step = step_of(settings.step)
    value = settings.value if settings.value is not None else (step.knob.default if step.knob else None)
    return _COMPUTE[step.slug](value)


def step_for_page(page: str) -> int | None:
    """The 1-based number of the first lesson step that introduces ``page`` (a file stem), or None."""
    return next((i for i, s in enumerate(STEPS, start=1) if s.page == page or page in s.also), None)


# ----------------------------------------------------------------------------------------------- the class's training run



@dataclass(frozen=True)
class TrainView:
    """The lesson's run so far: per cell the held-out accuracy curve (steps, accuracy 0..1), status, final
    held-out accuracy (1024 sequences, when done) and the newest weights (for the engine's look inside)."""

    step: dict[str, np.ndarray]
    accuracy: dict[str, np.ndarray]
    status: dict[str, str]
    final: dict[str, float]
    params: dict[str, dict[str, np.ndarray]]
    seconds: float

    @property
    def done(self) -> bool:
        return len(self.final) == len(self.status) and all(s != "running" for s in self.status.values())

    def nbytes(self) -> int:
        return sum(a.nbytes for p in self.params.values() for a in p.values())


class LessonJob:
    """The lesson's training (lab.background job): an RNN and a GRU on delayed recall, same batches and seed. The
    engine's ``TaskRun`` trains in a child process (``bg.ProcessJob``: off the server's GIL; the child imports only
    torch and gru_core); this side turns its newest views into a ``TrainView``."""

    def __init__(self, train: TaskTrainConfig | None = None) -> None:
        self.task = bg.ProcessJob(partial(TaskRun, train or TRAIN, TRAIN_CELLS))

    def run(self, should_stop) -> None:
        self.task.run(should_stop)

    def progress(self) -> float:
        return self.task.progress()

    def view(self) -> TrainView | None:
        views = self.task.view()
        if views is None:                       # the child has not reported yet
            return None
        return TrainView({k: np.asarray(v.history.eval_step) for k, v in views.items()},
                         {k: np.asarray(v.history.eval_acc) for k, v in views.items()},
                         {k: v.status for k, v in views.items()},
                         {k: float(v.final["accuracy"]) for k, v in views.items() if v.final},
                         {k: v.snapshots[-1].params for k, v in views.items() if v.snapshots},
                         self.task.seconds)


RUN_KEY = ("lesson", TRAIN, TRAIN_CELLS)


def _new_run() -> LessonJob:
    _LOG.info("lesson: a new training run (%s)", ", ".join(TRAIN_CELLS))   # benchmarks count these
    return LessonJob(TRAIN)


def prepare_training() -> None:
    """A spare child process with torch and the engine imported, waiting for the class's Train press (once per
    server; lab.background.prewarm)."""
    bg.prewarm(("torch", "gru_core.task_training"))


def start_training(session: str):
    """The class's shared run (lab.background): one per server for everyone who presses Train; a finished one is
    returned at once. It trains in a child process (``LessonJob``), off the server's GIL."""
    return bg.RUNS.start(RUN_KEY, _new_run, session)


def trained(view: TrainView | None) -> Result:
    """Step "train": held-out accuracy curves; the answer from the final accuracies."""
    lines = {} if view is None else {CELL_LABELS[k]: (k, view.accuracy[k]) for k in TRAIN_CELLS}
    x = {} if view is None else {CELL_LABELS[k]: view.step[k] for k in TRAIN_CELLS}
    if view is None or not view.done:
        return Result("accuracy", lines, "", "", x=x)
    ok = {k: view.final[k] >= LEARNED for k in TRAIN_CELLS}
    correct = {(True, True): "both", (False, True): "gru", (True, False): "rnn"}.get((ok["rnn"], ok["gru"]), "neither")
    words = (f"On 1,024 held-out sequences the GRU names the token **{_pct(view.final['gru'])}** of the time and the RNN "
             f"**{_pct(view.final['rnn'])}** (chance: {_pct(1 / TRAIN.n_symbols)}), after {TRAIN.steps} training steps "
             f"on the same batches. To learn, the gradient of the answer must reach the token {TRAIN.delay + 1} steps "
             "back: the GRU's update gate (chrono-initialised to keep) lets it through, the RNN's gradient dies.")
    return Result("accuracy", lines, correct, words, dict(rnn=view.final["rnn"], gru=view.final["gru"]), x=x)


@engine_cache(max_entries=8)
def _inside(step_key: tuple, _params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(T,) mean update gate z over units and (T,) the z of the unit that keeps its step-1 content best, for the
    trained GRU on held-out sequence 0 (engine trace). ``step_key`` identifies the weights (cache key)."""
    a = analyse("gru", TRAIN, _params)
    z = a.gates["z"]
    held = np.cumprod(np.vstack([np.ones((1, z.shape[1])), z[1:]]), axis=0)
    return z.mean(axis=1), z[:, int(np.argmax(held[-1]))]


def learned(view: TrainView | None) -> Result:
    """Step "learned": the trained GRU's update gate through the delay, from the engine."""
    if view is None or not view.done or "gru" not in view.params:
        return Result("gates", {}, "", "")
    mean_z, best_z = _inside((RUN_KEY, view.seconds), view.params["gru"])
    delay = best_z[1:-1]                                    # steps 2..T-1: the noise between token and query
    kept = float(np.prod(delay))
    low = float(delay.min())
    correct = "keep" if low >= 0.9 else ("half" if low >= 0.3 else "overwrite")
    words = (f"Through the {TRAIN.delay} noise steps the trained GRU's best-keeping unit holds z between "
             f"**{low:.3f}** and {float(delay.max()):.3f}: it keeps **{_pct(kept)}** of what it read at the token "
             f"until the query (z multiplied over the delay). The average unit's z is {float(mean_z[1:-1].mean()):.2f}: "
             "a few units keep the memory, the others are free to follow the input.")
    return Result("gates", {"best-keeping unit": ("gru", best_z), "average over units": ("lstm", mean_z)},
                  correct, words, dict(low=low, kept=kept))
