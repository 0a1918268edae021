"""The GRU family side by side (the /compare page): settings, compute and results, one section at a time.

Parameters and multiply-adds come from the registry's block layout (gru_core.parameter_count / multiply_adds) and
are checked against the real modules; the equations table is read from the registry; the gradient curves are the
engine's exact BPTT; step times and accuracies are measured in lab.background jobs (SpeedJob, CompareJob).
"""
from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

import gru_core
import gru_core.layers
from gru_core import task_training as TT
from gru_core.analysis import gradient_share
from gru_core import training as TR
from gru_core.cells import REGISTRY
from gru_core.tasks import TASK_TITLES  # noqa: F401  (the page's task menu names them)
from lab.cache import SignalSpec, cached_record, engine_cache

KINDS = ("rnn", "gru", "lstm", "gru_type1", "gru_type2", "gru_type3", "mgu")
LABELS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM", "gru_type1": "GRU type 1", "gru_type2": "GRU type 2",
          "gru_type3": "GRU type 3", "mgu": "MGU", "nn.RNN": "nn.RNN", "nn.GRU": "nn.GRU", "nn.LSTM": "nn.LSTM"}
TORCH_MODULES = {"nn.RNN": ("rnn", torch.nn.RNN), "nn.GRU": ("gru", torch.nn.GRU), "nn.LSTM": ("lstm", torch.nn.LSTM)}
TABLE = Path(__file__).resolve().parents[2] / "checkpoints" / "compare_table.json"
GATES = {"gru": ("r", "z"), "mgu": ("f",), "lstm": ("i", "f", "o"), "rnn": ()}
GATE_NAMES = {"r": "reset", "z": "update", "f": "forget", "i": "input", "o": "output"}
MATCH_TOLERANCE = 0.10           # a kind whose closest size misses the budget by more than this is flagged


@dataclass(frozen=True)
class Settings:
    """Every control of the page, with its default; LIMITS are (min, max) of the numeric ones."""

    input_size: int = 1
    hidden: int = 64
    length: int = 100
    bias: float = 0.0
    chrono: bool = False
    seed: int = 0
    budget: int = 20_000
    task: str = "recall"
    delay: int = 20
    steps: int = 300
    train_chrono: bool = True
    LIMITS = {"input_size": (1, 64), "hidden": (1, 256), "length": (10, 300), "bias": (-4.0, 6.0),
              "seed": (0, 2**31 - 1), "budget": (2_000, 50_000), "delay": (1, 100), "steps": (20, 2000)}
    TASKS = ("recall", "adding", "copy")


# ----------------------------------------------------------------------------------------------------------------
# 1. Parameters


@dataclass(frozen=True)
class ParamRow:
    kind: str
    blocks: tuple[int, int, int]     # row blocks of weight_ih, weight_hh and of each bias vector
    count: int                       # from the formula
    counted: int                     # sum(p.numel()) of the real module(s)
    torch_counted: int | None        # PyTorch's own module (RNN, GRU, LSTM), None for the variants


def blocks(kind: str) -> tuple[int, int, int]:
    spec = REGISTRY[kind]
    return len(spec.ih_blocks), len(spec.hh_blocks), len(spec.bias_blocks)


def formula_tex(kind: str) -> str:
    """The count G_ih H I + G_hh H^2 + 2 G_b H of one kind, in LaTeX (e.g. GRU: 3(HI + H^2 + 2H))."""
    g_ih, g_hh, g_b = blocks(kind)
    if g_ih == g_hh == g_b:
        return rf"{g_ih if g_ih > 1 else ''}{'(' if g_ih > 1 else ''}HI + H^2 + 2H{')' if g_ih > 1 else ''}"
    term = lambda g, t: f"{g if g > 1 else ''}{t}"  # noqa: E731
    return f"{term(g_ih, 'HI')} + {term(g_hh, 'H^2')} + {term(2 * g_b, 'H')}"


@engine_cache(max_entries=16)
def parameters(input_size: int, hidden: int, kinds: tuple[str, ...] = KINDS) -> tuple[ParamRow, ...]:
    """Every kind's parameter count at (I, H): from the formula and counted from the real torch modules."""
    rows = []
    for kind in kinds:
        counted = sum(p.numel() for p in gru_core.layer(kind, input_size, hidden, seed=0).parameters())
        mod = {m[0]: m[1] for m in TORCH_MODULES.values()}.get(kind)
        ref = sum(p.numel() for p in mod(input_size, hidden).parameters()) if mod else None
        rows.append(ParamRow(kind, blocks(kind), gru_core.parameter_count(kind, input_size, hidden), counted, ref))
    return tuple(rows)


def ratio_words(rows: tuple[ParamRow, ...], input_size: int, hidden: int) -> str:
    """'A GRU has 3/4 of an LSTM's parameters ...' with the numbers (when GRU and LSTM are both shown)."""
    c = {r.kind: r.count for r in rows}
    if "gru" not in c or "lstm" not in c:
        return ""
    rnn = f"an RNN {c['rnn']:,}, " if "rnn" in c else ""
    return (f"A GRU has 3/4 of an LSTM's parameters (three weight blocks to the LSTM's four): at I = {input_size}, "
            f"H = {hidden}, {rnn}a GRU {c['gru']:,}, an LSTM {c['lstm']:,} ({c['gru'] / c['lstm']:.0%}).")


# ----------------------------------------------------------------------------------------------------------------
# 2. Cost per step


def multiply_adds(input_size: int, hidden: int, kinds: tuple[str, ...] = KINDS) -> dict[str, int]:
    """Multiply-adds of one forward step for one sequence, per kind (the two matrix-vector products)."""
    return {k: gru_core.multiply_adds(k, input_size, hidden) for k in kinds}


def _fwd_bwd(module, x):
    def run():
        out, _ = module(x)
        out[-1].sum().backward()
    return run


class StepTimer:
    """Forward + backward (loss on the last output) of PyTorch's fused modules and the lab's layers, float32,
    x (steps, batch, I). One `round()` times every module once, in turn, so load from elsewhere hits all alike.
    `clock`: time.perf_counter (wall time) or time.thread_time (this thread's CPU time: on a shared machine it leaves
    out the time the thread waited for a core)."""

    def __init__(self, input_size: int, hidden: int, steps: int = 104, batch: int = 64, kinds=KINDS, seed: int = 0,
                 clock=time.perf_counter):
        self.clock = clock
        x = torch.randn(steps, batch, input_size, generator=torch.Generator().manual_seed(seed))
        self.runs = {name: _fwd_bwd(cls(input_size, hidden), x) for name, (_, cls) in TORCH_MODULES.items()}
        self.runs.update({k: _fwd_bwd(gru_core.layer(k, input_size, hidden, seed=seed), x) for k in kinds})
        self.times: dict[str, list[float]] = {name: [] for name in self.runs}
        for run in self.runs.values():                 # warm-up (numba's kernels load from their disk cache)
            run()

    def round(self) -> None:
        for name, run in self.runs.items():
            t = self.clock()
            run()
            self.times[name].append((self.clock() - t) * 1000)

    def medians(self) -> dict[str, float]:
        return {name: statistics.median(ts) for name, ts in self.times.items() if ts}


def step_times(input_size: int, hidden: int, steps: int = 104, batch: int = 64, repeats: int = 15,
               kinds=KINDS, seed: int = 0, clock=time.perf_counter) -> dict[str, float]:
    """Median milliseconds of one forward + backward pass of every module (see StepTimer)."""
    timer = StepTimer(input_size, hidden, steps, batch, kinds, seed, clock)
    for _ in range(repeats):
        timer.round()
    return timer.medians()


SPEED_STEPS, SPEED_BATCH, SPEED_ROUNDS = 100, 32, 7


@dataclass(frozen=True)
class SpeedView:
    ms: dict[str, float]             # module -> median ms so far
    rounds: int
    expected: dict[str, float]       # module -> ms if time followed multiply-adds (scaled to the lab's GRU layer)


class SpeedJob:
    """A lab.background job: SPEED_ROUNDS rounds of StepTimer at (I, H)."""

    def __init__(self, input_size: int, hidden: int):
        self.size = (input_size, hidden)
        self.timer: StepTimer | None = None
        self.done = 0

    def run(self, should_stop) -> None:
        torch.set_num_threads(1)
        self.timer = StepTimer(*self.size, steps=SPEED_STEPS, batch=SPEED_BATCH)
        for _ in range(SPEED_ROUNDS):
            if should_stop():
                return
            self.timer.round()
            self.done += 1

    def view(self) -> SpeedView:
        ms = self.timer.medians() if self.timer is not None and self.done else {}
        return SpeedView(ms, self.done, expected_times(ms, *self.size))

    def progress(self) -> float:
        return self.done / SPEED_ROUNDS


def expected_times(ms: dict[str, float], input_size: int, hidden: int) -> dict[str, float]:
    """The time each module would take if time were proportional to multiply-adds, scaled to the lab's GRU."""
    if "gru" not in ms:
        return {}
    kind = {name: TORCH_MODULES[name][0] if name in TORCH_MODULES else name for name in ms}
    mads = {name: gru_core.multiply_adds(k, input_size, hidden) for name, k in kind.items()}
    return {name: ms["gru"] * mads[name] / mads["gru"] for name in ms}


def speed_words(view: SpeedView) -> str:
    ms = view.ms
    if not {"gru", "lstm", "nn.GRU", "nn.LSTM"} <= set(ms):
        return ""
    return (f"Measured just now, one training step (forward and backward, {SPEED_STEPS} steps, batch {SPEED_BATCH}) "
            f"took {ms['gru']:.1f} ms with the lab's GRU and {ms['lstm']:.1f} ms with its LSTM "
            f"({ms['gru'] / ms['lstm']:.2f} of it; the arithmetic says 0.75). PyTorch's own nn.GRU took "
            f"{ms['nn.GRU']:.1f} ms and nn.LSTM {ms['nn.LSTM']:.1f} ms: its fused GRU is "
            f"{'slower' if ms['nn.GRU'] > ms['nn.LSTM'] else 'faster'} than its LSTM here, whatever the arithmetic "
            f"says; how a loop is written matters as much as how many multiplications it does.")


# ----------------------------------------------------------------------------------------------------------------
# 3. The equations side by side (read from the registry)


@dataclass(frozen=True)
class GateRow:
    kind: str
    gate: str
    equation: str                    # LaTeX
    sees: tuple[bool, bool, bool]    # x_t, h_{t-1}, bias


def _gate_tex(gate: str, sees: tuple[bool, bool, bool]) -> str:
    terms = [t for t, on in zip((f"W_{{x{gate}}} x_t", f"W_{{h{gate}}} h_{{t-1}}", f"b_{gate}"), sees) if on]
    return rf"{gate}_t = \sigma({' + '.join(terms) or '0'})"


def gate_rows(kinds: tuple[str, ...] = KINDS) -> tuple[GateRow, ...]:
    rows = []
    for kind in kinds:
        spec = REGISTRY[kind]
        for g in GATES[gru_core.layers.family(kind)]:
            sees = (g in spec.ih_blocks, g in spec.hh_blocks, g in spec.bias_blocks)
            rows.append(GateRow(kind, g, _gate_tex(g, sees), sees))
    return tuple(rows)


def state_tex(kind: str) -> str:
    """The lines of the kind's equations after its gates (candidate, cell state, mix), LaTeX."""
    lines = [ln.strip() for ln in REGISTRY[kind].equations.replace(r"\\", "\n").splitlines() if ln.strip()]
    gates = GATES[gru_core.layers.family(kind)]
    return r" \quad ".join(ln for ln in lines if not any(ln.startswith(f"{g}_t") for g in gates))


def direct_path_tex(kind: str) -> str:
    """The direct (weight-free) part of the step Jacobian, LaTeX."""
    spec = REGISTRY[kind]
    if kind == "lstm":
        return r"\partial c_t / \partial c_{t-1} = \mathrm{diag}(f_t)"
    if spec.keep_gate is None:
        return r"\text{none: } \mathrm{diag}(1 - h_t^2)\, W_{hh} \text{ only}"
    k = spec.keep_gate
    return rf"\mathrm{{diag}}({k}_t)" if spec.keep_sign > 0 else rf"\mathrm{{diag}}(1 - {k}_t)"


# ----------------------------------------------------------------------------------------------------------------
# 4. Gradient flow at init


@dataclass(frozen=True)
class FlowResult:
    k: np.ndarray                          # steps back 0..T-1
    share: dict[str, np.ndarray]           # kind -> ||dL/dh_{T-k}|| / ||dL/dh_T||
    no_bias: tuple[str, ...]               # kinds the update-gate bias / chrono does not reach


def flow(kinds: tuple[str, ...], hidden: int, length: int, bias: float, chrono: bool, seed: int) -> FlowResult:
    """Exact ||dL/dh_t|| (engine BPTT, float64, loss on the last step, a noise input) as a share of the last one."""
    sig = SignalSpec("noise", length, seed=seed)
    share, no_bias = {}, []
    for kind in kinds:
        spec = gru_core.CellSpec(kind, 1, hidden, seed=seed, update_bias=bias, chrono=length if chrono else None)
        if (bias or chrono) and spec.update_bias == 0.0 and spec.chrono is None:
            no_bias.append(kind)
        share[kind] = gradient_share(cached_record(spec, sig).grad_norm[:, 0])[::-1]
    return FlowResult(np.arange(length), share, tuple(no_bias))


def no_bias_words(res: FlowResult) -> str:
    if not res.no_bias:
        return ""
    return (" The keep-gate bias and chrono init do not reach " + ", ".join(LABELS[k] for k in res.no_bias)
            + ": " + ("they have" if len(res.no_bias) > 1 else "it has") + " no gate bias to set.")


def flow_words(res: FlowResult, k: int = 50) -> str:
    k = min(k, len(res.k) - 1)
    kept = {kind: s[k] for kind, s in res.share.items()}
    best, worst = max(kept, key=lambda q: np.nan_to_num(kept[q], nan=-1)), min(kept, key=lambda q: np.nan_to_num(kept[q], nan=2))
    return (f"{k} steps back, {LABELS[best]} keeps {kept[best]:.1e} of the gradient at the last step and "
            f"{LABELS[worst]} {kept[worst]:.1e}.")


# ----------------------------------------------------------------------------------------------------------------
# 5. Accuracy at a matched parameter budget


@dataclass(frozen=True)
class Match:
    kind: str
    hidden: int
    count: int
    off: float                       # (count - budget) / budget


def matched_sizes(budget: int, input_size: int, kinds: tuple[str, ...] = KINDS) -> tuple[Match, ...]:
    """For each kind the hidden size (2..256) whose parameter count (layer + readout not included) is closest to
    the budget."""
    lo, hi = TT.LIMITS["hidden_size"]
    out = []
    for kind in kinds:
        counts = {H: gru_core.parameter_count(kind, input_size, H) for H in range(lo, hi + 1)}
        H = min(counts, key=lambda h: abs(counts[h] - budget))
        out.append(Match(kind, H, counts[H], (counts[H] - budget) / budget))
    return tuple(out)


def budget_problems(matches: tuple[Match, ...]) -> str:
    """'' if every kind got within MATCH_TOLERANCE of the budget, else a sentence naming those that did not."""
    bad = [m for m in matches if abs(m.off) > MATCH_TOLERANCE]
    if not bad:
        return ""
    return ("No hidden size from 2 to 256 brings " + ", ".join(f"{LABELS[m.kind]} (closest: {m.count:,} at "
            f"H = {m.hidden})" for m in bad) + f" within {MATCH_TOLERANCE:.0%} of this budget; compare them with care.")


def train_config(s: Settings, hidden: int = 32) -> TT.TrainConfig:
    return TT.TrainConfig(task=s.task, delay=s.delay, hidden_size=hidden, steps=s.steps, seed=s.seed,
                          chrono=s.train_chrono)


def run_key(s: Settings, kinds: tuple[str, ...]) -> tuple:
    """Everything that decides the accuracy run's result (it keys the shared background run)."""
    return ("compare", s.task, s.delay, s.steps, s.seed, s.train_chrono, s.budget, kinds)


class CompareJob:
    """Every kind, at its matched hidden size, trained side by side on the same batches (gru_core.training)."""

    def __init__(self, s: Settings, kinds: tuple[str, ...]):
        base = train_config(s)
        self.matches = matched_sizes(s.budget, base.spec.input_size, kinds)
        models = {m.kind: TT.build_model(m.kind, replace(base, hidden_size=m.hidden)) for m in self.matches}
        self.base = base
        self.fit = TR.Fit(models, TT.loss_function(base), base.fit_config,
                          evaluate=TT.held_out(base, TT.EVAL_SIZE_LIVE), final_evaluate=TT.held_out(base),
                          blowup_reference=base.spec.baseline_loss)

    def run(self, should_stop) -> None:
        self.fit.run(TT.batch_source(self.base), should_stop=should_stop)

    def view(self) -> dict[str, TR.ModelView]:
        return {k: r.view() for k, r in self.fit.runs.items()}

    def progress(self) -> float:
        return self.fit.progress()


@dataclass(frozen=True)
class AccuracyResult:
    kinds: tuple[str, ...]
    accuracy: dict[str, float]           # held-out accuracy (final set when done, else the live curve's last point)
    loss: dict[str, float]
    curves: dict[str, dict[str, np.ndarray]]   # kind -> step, eval_acc, eval_loss
    status: dict[str, str]
    messages: dict[str, str]
    chance: float


def accuracy_result(views: dict[str, TR.ModelView], chance: float) -> AccuracyResult:
    acc, loss, curves, status, msgs = {}, {}, {}, {}, {}
    for k, v in views.items():
        h = v.history
        curves[k] = dict(step=np.asarray(h.eval_step, float), acc=np.asarray(h.eval_acc, float),
                         loss=np.asarray(h.eval_loss, float))
        fin = v.final or {}
        acc[k] = float(fin.get("accuracy", curves[k]["acc"][-1] if h.eval_acc else np.nan))
        loss[k] = float(fin.get("loss", curves[k]["loss"][-1] if h.eval_loss else np.nan))
        status[k], msgs[k] = v.status, v.message
    return AccuracyResult(tuple(views), acc, loss, curves, status, msgs, chance)


def progress_words(run) -> str:
    if run.state == "queued":
        return f"Waiting for a free training slot (position {run.queue_position})..."
    return f"Training all seven side by side: {run.progress():.0%} ({run.seconds:.0f} s)"


def accuracy_words(res: AccuracyResult) -> str:
    """Who won, by how much, and where a variant lost (below chance + 10 points or 10 points behind the GRU)."""
    acc = {k: a for k, a in res.accuracy.items() if np.isfinite(a)}
    if not acc:
        return ""
    best = max(acc, key=acc.get)
    text = f"Best held-out accuracy: {LABELS[best]} {acc[best]:.1%} (chance {res.chance:.0%})."
    near = [k for k, a in acc.items() if a < res.chance + 0.10]
    if near:
        text += " Near chance: " + ", ".join(f"{LABELS[k]} {acc[k]:.1%}" for k in near) + "."
    if "gru" in acc:
        behind = [k for k, a in acc.items() if k != "gru" and a < acc["gru"] - 0.10 and k not in near]
        if behind:
            text += " Clearly behind the GRU: " + ", ".join(f"{LABELS[k]} {acc[k]:.1%}" for k in behind) + "."
    return text


def start_warm_up() -> None:
    """Compile / load the layers' kernels once per server process, in a thread, so no page waits for them."""
    global _WARMING
    if _WARMING is None:
        _WARMING = threading.Thread(target=gru_core.layers.warm_up, name="layers-warm-up", daemon=True)
        _WARMING.start()


_WARMING: threading.Thread | None = None


def load_table(path: Path = TABLE) -> dict | None:
    """The shipped table of scripts/make_compare_table.py (JSON), or None when it is absent."""
    if not path.exists():
        return None
    return json.loads(path.read_text())


# ----------------------------------------------------------------------------------------------------------------
# Tables in words (markdown; inline LaTeX between $...$)


def params_markdown(rows: tuple[ParamRow, ...]) -> str:
    head = "| cell | blocks (W_x, W_h, each bias) | formula | parameters | counted in the module |\n|---|---|---|---|---|\n"
    return head + "\n".join(
        f"| {LABELS[r.kind]} | {r.blocks[0]}, {r.blocks[1]}, {r.blocks[2]} | ${formula_tex(r.kind)}$ | {r.count:,} | "
        f"{r.counted:,}" + (f" (PyTorch's nn.{r.kind.upper()}: {r.torch_counted:,})" if r.torch_counted else "") + " |"
        for r in rows)


def cost_markdown(mads: dict[str, int]) -> str:
    gru = mads.get("gru")
    head = "| cell | multiply-adds per step | relative to the GRU |\n|---|---|---|\n"
    return head + "\n".join(f"| {LABELS[k]} | {m:,} | {m / gru:.2f} |" if gru else f"| {LABELS[k]} | {m:,} | |"
                            for k, m in mads.items())


def gates_markdown(rows: tuple[GateRow, ...]) -> str:
    mark = lambda on: "**yes**" if on else "no"  # noqa: E731
    head = "| cell | gate | sees $x_t$ | sees $h_{t-1}$ | bias | equation |\n|---|---|---|---|---|---|\n"
    return head + "\n".join(f"| {LABELS[r.kind]} | {r.gate} ({GATE_NAMES[r.gate]}) | {mark(r.sees[0])} | "
                            f"{mark(r.sees[1])} | {mark(r.sees[2])} | ${r.equation}$ |" for r in rows)


def state_markdown(kinds: tuple[str, ...]) -> str:
    head = ("| cell | direct path of $\\partial h_t / \\partial h_{t-1}$ | candidate and new state |\n"
            "|---|---|---|\n")
    return head + "\n".join(f"| {LABELS[k]} | ${direct_path_tex(k)}$ | ${state_tex(k)}$ |" for k in kinds)


def sizes_markdown(matches: tuple[Match, ...]) -> str:
    head = "| cell | hidden size H | parameters | off the budget |\n|---|---|---|---|\n"
    return head + "\n".join(f"| {LABELS[m.kind]} | {m.hidden} | {m.count:,} | {m.off:+.1%} |" for m in matches)


def table_chance(table: dict) -> float:
    return train_config(Settings(task=table["settings"]["task"])).spec.chance_accuracy


def table_caption(table: dict) -> str:
    st_ = table["settings"]
    return (f"Shipped table: held-out accuracy ({table['settings']['task']}) at a budget of {table['budget']:,} "
            f"parameters, each point the mean over seeds {', '.join(map(str, table['seeds']))} (bars: worst and best "
            f"seed), {st_['steps']} training steps, Adam lr {st_['lr']:g}, clip {st_['clip']:g}, batch "
            f"{st_['batch_size']}, chrono init {'on' if st_['chrono'] else 'off'}; hidden sizes "
            + ", ".join(f"{LABELS[k]} {v['hidden']}" for k, v in table["sizes"].items()) + ".")


def table_words(table: dict) -> str:
    """Where each variant stands at the longest delay of the shipped table, as measured."""
    i = len(table["delays"]) - 1
    mean = {k: c["mean"][i] for k, c in table["cells"].items()}
    order = sorted(mean, key=mean.get, reverse=True)
    return (f"At delay {table['delays'][i]}: " + ", ".join(f"{LABELS[k]} {mean[k]:.0%}" for k in order) + ". "
            + loss_reasons(mean))


def loss_reasons(mean: dict[str, float]) -> str:
    """Why the variants that lose lose (only for those more than 10 points behind the best, as measured)."""
    best = max(mean.values())
    why = {"gru_type3": "its gates are only biases, the same at every step: it cannot decide from the input or its "
                        "state when to keep and when to write",
           "gru_type2": "its gates have no bias, so they cannot start out keeping the state (no chrono init)",
           "gru_type1": "its gates cannot see the input, only the state",
           "rnn": "it has no gate: the gradient through many steps vanishes",
           "mgu": "one gate must both reset and keep", "lstm": "", "gru": ""}
    lost = [k for k in mean if mean[k] < best - 0.10 and why.get(k)]
    return " ".join(f"{LABELS[k]} loses here (a likely reason: {why[k]})." for k in lost)
