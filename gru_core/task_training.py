"""The memory tasks' training recipe (delayed recall, adding, copy) on top of ``gru_core.training.fit``.

One recipe, used identically by the Train page, ``python -m gru_core train``, the checkpoint and delay-table
scripts and the benchmark:

- model (``build_model``): the recurrent layer (``recurrent_layer``: the engine's init, incl. chrono / update-gate
  bias, converted to PyTorch, float32) and a linear readout U(-1/sqrt(H), 1/sqrt(H)) drawn from numpy, seeded too.
  The global torch RNG is never used, so results do not depend on other sessions or threads.
- data: batch number s is ``task.batch(B, np.random.default_rng([seed, 0, s]))``, the same for every cell; the
  held-out set is ``np.random.default_rng([seed, 1])`` (``EVAL_SIZE`` sequences), never trained on.
- loss (``task_loss``, written once): cross-entropy at the query (recall), MSE (adding), cross-entropy over every
  step (copy). The engine analysis (``analyse``) takes its direct gradients on h_t from the same function.
- Adam(lr), gradient-norm clipping, one thread; stop, divergence and snapshots as in ``gru_core.training``.

    run = train(TrainConfig(delay=50, steps=500), ("rnn", "gru"))     # synchronous
    run.final["gru"]["accuracy"], run.view()["gru"].history.loss, run.snapshot("gru").params
    a = analyse("gru", run.config, run.snapshot("gru").params)        # gates, exact ||dL/dh_t|| on a test sequence
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from .tasks import ADDING_TOLERANCE, COPY_LENGTH, TASKS, TaskSpec
from .training import (Callback, Fit, FitConfig, ModelRun, ModelView, ShouldStop, Snapshot, load_arrays,
                       load_checkpoint, save_checkpoint, torch_single_thread)

CELLS = ("rnn", "gru", "lstm")   # the default selection
KINDS = CELLS + ("gru_type1", "gru_type2", "gru_type3", "mgu")   # every kind that trains (gru_core.layer)
EVAL_SIZE = 1024              # held-out sequences for the final accuracy
EVAL_SIZE_LIVE = 256          # the first 256 of them for the curve while training
LIMITS = {                    # (min, max) of every setting the page and the CLI accept
    "hidden_size": (2, 256), "lr": (1e-5, 10.0), "steps": (1, 50_000), "time_budget": (0.5, 3600.0),
    "clip": (0.0, 100.0), "update_bias": (-10.0, 10.0), "batch_size": (1, 1024), "seed": (0, 2**31 - 1),
    "eval_every": (1, 10_000), "snapshot_every": (1, 10_000), "noise": (0.0, 10.0), "n_symbols": (2, 16),
}


def _check_number(name: str, v, lo: float, hi: float) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number between {lo:g} and {hi:g}, got {v!r}")
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {v:g}")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run (the page's and the CLI's defaults). Hashable: it keys shared runs."""

    task: str = "recall"
    delay: int = 100
    hidden_size: int = 32
    lr: float = 1e-2
    steps: int = 1000
    time_budget: float | None = None
    clip: float = 1.0
    chrono: bool = True          # chrono init (T_max = sequence length) of the GRU update / LSTM forget gate
    update_bias: float = 0.0     # added to the keep side of that gate (positive = keep memory)
    batch_size: int = 64
    seed: int = 0
    n_symbols: int = 4           # recall: K
    noise: float = 1.0           # recall: std of the Gaussian noise on the distractor steps
    eval_every: int = 50
    snapshot_every: int = 25

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        for name, (lo, hi) in LIMITS.items():
            if not (name == "time_budget" and self.time_budget is None):
                _check_number(name, getattr(self, name), lo, hi)
        self.spec  # validates task, delay, n_symbols, noise

    @property
    def spec(self) -> TaskSpec:
        return TaskSpec(self.task, int(self.delay), n_symbols=int(self.n_symbols),
                        noise=float(self.noise) if self.task == "recall" else 0.0)

    @property
    def fit_config(self) -> FitConfig:
        return FitConfig(steps=int(self.steps), lr=float(self.lr), clip=float(self.clip),
                         time_budget=self.time_budget, eval_every=int(self.eval_every),
                         snapshot_every=int(self.snapshot_every))

    @property
    def chrono_tmax(self) -> int | None:
        """T_max for chrono init: the sequence length (the longest dependency the task can have)."""
        return self.spec.seq_len if self.chrono else None

    def batch(self, step: int):
        """Training batch number ``step`` (the same for every cell)."""
        return self.spec.batch(self.batch_size, np.random.default_rng([self.seed, 0, step]))

    def eval_batch(self, size: int = EVAL_SIZE):
        """The held-out set (the first ``size`` of ``EVAL_SIZE`` sequences; never trained on)."""
        b = self.spec.batch(EVAL_SIZE, np.random.default_rng([self.seed, 1]))
        return b if size == EVAL_SIZE else _slice_batch(b, size)

    def test_sequence(self, index: int = 0):
        """Held-out sequence ``index`` for the gate / gradient pictures: (x (T, I), its batch of one)."""
        one = _slice_batch(self.eval_batch(), index + 1, start=index)
        return one.x[:, 0, :], one


def _slice_batch(b, stop: int, start: int = 0):
    y = b.y[start:stop] if b.y.ndim == 1 else b.y[:, start:stop]
    marks = None if b.marks is None else b.marks[start:stop]
    return replace(b, x=b.x[:, start:stop], y=y, marks=marks)


# ----------------------------------------------------------------------------------------------------------------
# The model and the task loss (written once)


def recurrent_layer(kind: str, config: TrainConfig):
    """The recurrent layer (``gru_core.layer``: any kind, the engine's BPTT as its backward, PyTorch's parameter
    names), float32, with the engine's init (chrono / update-gate bias included where the kind has that gate)."""
    from .layers import from_cell
    from .spec import CellSpec

    spec = CellSpec(kind, config.spec.input_size, int(config.hidden_size), seed=int(config.seed),
                    update_bias=float(config.update_bias), chrono=config.chrono_tmax)
    return from_cell(spec.make())


def build_model(kind: str, config: TrainConfig):
    """nn.Module with ``.rnn`` (the recurrent layer) and ``.readout`` (nn.Linear, seeded numpy init).

    forward(x (T, B, I)) -> recall (B, K) logits, adding (B,) value, copy (T, B, 9) logits."""
    torch = torch_single_thread()
    if kind not in KINDS:
        raise ValueError(f"cell must be one of {KINDS}, got {kind!r}")
    spec, H = config.spec, int(config.hidden_size)
    rng = np.random.default_rng([int(config.seed), 2, KINDS.index(kind)])
    k = 1.0 / math.sqrt(H)
    readout = torch.nn.Linear(H, spec.output_size, dtype=torch.float32)
    load_arrays(readout, {"weight": rng.uniform(-k, k, (spec.output_size, H)).astype(np.float32),
                          "bias": rng.uniform(-k, k, spec.output_size).astype(np.float32)})
    return _seq_model_class()(recurrent_layer(kind, config), readout, spec.kind)


@functools.cache
def _seq_model_class():
    torch = torch_single_thread()

    class SeqModel(torch.nn.Module):
        """A recurrent layer and a readout: ``head`` turns the states (T, B, H) into the task's output."""

        def __init__(self, rnn, readout, task_kind: str):
            super().__init__()
            self.rnn, self.readout, self.task_kind = rnn, readout, task_kind

        def head(self, h):
            if self.task_kind == "classify_seq":
                return self.readout(h)
            y = self.readout(h[-1])
            return y[:, 0] if self.task_kind == "regress_last" else y

        def forward(self, x):
            return self.head(self.rnn(x)[0])

    return SeqModel


def task_loss(spec: TaskSpec, out, y):
    """(loss tensor, accuracy float) of the task's output ``out`` against targets ``y`` (torch tensors).

    recall: cross-entropy, accuracy = right token; adding: MSE, accuracy = |error| < 0.04; copy: cross-entropy
    over every step, accuracy = share of the 10 recalled symbols right."""
    F = torch_single_thread().nn.functional
    if spec.kind == "classify_last":
        return F.cross_entropy(out, y), float((out.argmax(-1) == y).float().mean())
    if spec.kind == "regress_last":
        return F.mse_loss(out, y), float(((out - y).abs() < ADDING_TOLERANCE).float().mean())
    loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    return loss, float((out[-COPY_LENGTH:].argmax(-1) == y[-COPY_LENGTH:]).float().mean())


def _tensors(b):
    torch = torch_single_thread()
    return torch.from_numpy(b.x), torch.from_numpy(b.y)


def batch_source(config: TrainConfig) -> Callable[[int], tuple]:
    """batches(s) -> (x, y) tensors of training batch number s."""
    return lambda s: _tensors(config.batch(s))


def loss_function(config: TrainConfig):
    """loss_fn(model, (x, y)) -> (loss, accuracy) for ``fit``."""
    spec = config.spec
    return lambda model, batch: task_loss(spec, model(batch[0]), batch[1])


def held_out(config: TrainConfig, size: int = EVAL_SIZE):
    """evaluate(model) -> (loss, accuracy) on the first ``size`` held-out sequences."""
    x, y = _tensors(config.eval_batch(size))
    spec = config.spec
    return lambda model: tuple(float(v) for v in task_loss(spec, model(x), y))


# ----------------------------------------------------------------------------------------------------------------
# A run of the selected cells


class TaskRun:
    """The chosen cells trained side by side on one task (a ``gru_core.training.Fit`` inside), or a finished run
    loaded from a checkpoint (``load_run``). Built at once, trained by ``.run()``; ``view()`` is safe to call
    from another thread while it trains."""

    def __init__(self, config: TrainConfig, cells: Sequence[str] = CELLS, *, fit: Fit | None = None,
                 seconds: float = 0.0):
        cells = tuple(dict.fromkeys(cells))
        if not cells or any(c not in KINDS for c in cells):
            raise ValueError(f"cells must be a non-empty selection of {KINDS}, got {cells!r}")
        self.config, self.cells = config, cells
        self.fit = fit or Fit({k: build_model(k, config) for k in cells}, loss_function(config),
                              config.fit_config, evaluate=held_out(config, EVAL_SIZE_LIVE),
                              final_evaluate=held_out(config), blowup_reference=config.spec.baseline_loss)
        self._seconds = seconds

    def run(self, *, callbacks: Sequence[Callback] = (), should_stop: ShouldStop | None = None) -> "TaskRun":
        """Train until steps / time budget / should_stop / every cell diverged. Returns self."""
        self.fit.run(batch_source(self.config), callbacks=callbacks, should_stop=should_stop)
        return self

    @property
    def runs(self) -> dict[str, ModelRun]:
        return self.fit.runs

    @property
    def finished(self) -> bool:
        return self.fit.finished

    @property
    def stop_reason(self) -> str:
        return self.fit.stop_reason

    @property
    def step(self) -> int:
        return self.fit.step

    @property
    def seconds(self) -> float:
        return self._seconds or self.fit.seconds

    @property
    def final(self) -> dict[str, dict]:
        """kind -> dict(accuracy, loss, steps, status, message, seconds) on the full held-out set (when done)."""
        return {k: r.final for k, r in self.runs.items() if r.final}

    def progress(self) -> float:
        return self.fit.progress()

    def view(self) -> dict[str, ModelView]:
        return {k: r.view() for k, r in self.runs.items()}

    def snapshot(self, kind: str, index: int = -1) -> Snapshot:
        """A snapshot of one cell (index into its snapshot list; -1 = newest)."""
        return self.runs[kind].snapshots[index]


def train(config: TrainConfig, cells: Sequence[str] = ("gru",), *, callbacks: Sequence[Callback] = (),
          should_stop: ShouldStop | None = None) -> TaskRun:
    """Train synchronously and return the finished run (``.final[kind]["accuracy"]`` etc.)."""
    return TaskRun(config, cells).run(callbacks=callbacks, should_stop=should_stop)


def sweep_delays(config: TrainConfig, cells: Sequence[str], delays: Sequence[int], *,
                 on_result: Callable[[int, TaskRun], None] | None = None,
                 should_stop: ShouldStop | None = None) -> dict[int, TaskRun]:
    """One ``train`` per delay with otherwise the same config (every delay validated before anything runs).
    ``on_result(delay, run)`` after each finished delay; a ``should_stop`` reason ends the sweep (the
    interrupted delay is not reported)."""
    configs = [replace(config, delay=int(d)) for d in delays]
    done: dict[int, TaskRun] = {}
    for cfg in configs:
        if should_stop is not None and should_stop():
            break
        run = train(cfg, cells, should_stop=should_stop)
        if run.stop_reason == "stopped":
            break
        done[cfg.delay] = run
        if on_result is not None:
            on_result(cfg.delay, run)
    return done


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints (gru_core.training's .npz format, the TrainConfig in its meta)


def save_run(path, run: TaskRun, snapshot_steps: Sequence[int] | None = None, half_precision: bool = True) -> None:
    """Write a finished run to ``path`` (.npz of plain arrays; see ``gru_core.training.save_checkpoint``)."""
    meta = dict(config=asdict(run.config), final=run.final, seconds=float(run.seconds))
    save_checkpoint(path, run.view(), meta, snapshot_steps=snapshot_steps, half_precision=half_precision)


def load_run(path) -> TaskRun:
    """A finished ``TaskRun`` from a checkpoint written by ``save_run`` (never unpickles)."""
    ck = load_checkpoint(path)
    config = TrainConfig(**ck.meta["config"])
    runs = {k: ModelRun.restored(k, ck.histories[k], ck.snapshots[k], ck.meta["final"][k]) for k in ck.names}
    return TaskRun(config, ck.names, fit=Fit.restored(runs, config.fit_config),
                   seconds=float(ck.meta.get("seconds", 0.0)))


def evaluate_params(kind: str, config: TrainConfig, params: dict[str, np.ndarray],
                    size: int = EVAL_SIZE) -> tuple[float, float]:
    """(loss, accuracy) of snapshot weights on the first ``size`` held-out sequences, as the trainer measures it."""
    model = build_model(kind, config)
    load_arrays(model, params)
    with torch_single_thread().no_grad():
        return held_out(config, size)(model)


# ----------------------------------------------------------------------------------------------------------------
# Analysis of a snapshot in the engine


@dataclass(frozen=True)
class Analysis:
    """One model on one test sequence, recorded by the engine (float64). T steps, H hidden units.

    gates: name -> (T, H) (GRU r, z, n; LSTM i, f, g, o, c; RNN none); h (T, H); grad_norm (T,) ||dL/dh_t|| for
    the task's own loss at this snapshot; output: recall (K,) probabilities, adding (1,) value, copy (10, 9)
    probabilities at the recall steps; correct: share of the answer right (0..1).
    """

    kind: str
    step: int
    h: np.ndarray
    gates: dict[str, np.ndarray]
    grad_norm: np.ndarray
    loss: float
    output: np.ndarray
    correct: float
    nonfinite_from: int


def module_from_snapshot(kind: str, config: TrainConfig, params: dict[str, np.ndarray]):
    """The model (float64 torch module) with a snapshot's plain arrays loaded."""
    model = build_model(kind, config).double()
    load_arrays(model, params)
    return model


def _direct_gradients(model, spec: TaskSpec, x: np.ndarray, y: np.ndarray):
    """The task loss's direct gradients dL/dh_t (T, 1, H) through the readout (from ``task_loss``, by autograd),
    the loss, the output as probabilities / value, and the share right."""
    torch = torch_single_thread()
    with torch.no_grad():
        h = model.rnn(torch.from_numpy(x[:, None, :]))[0]
    h = h.detach().requires_grad_(True)
    out = model.head(h)
    loss, correct = task_loss(spec, out, torch.from_numpy(y))
    loss.backward()
    out = out.detach()
    if spec.kind == "regress_last":
        output = out.numpy().reshape(1)
    else:
        p = torch.softmax(out, -1).numpy()
        output = p[0] if spec.kind == "classify_last" else p[-COPY_LENGTH:, 0]
    return h.grad.numpy(), float(loss.detach()), output, float(correct)


def analyse(kind: str, config: TrainConfig, params: dict[str, np.ndarray], step: int = 0,
            index: int = 0) -> Analysis:
    """Record gates and the exact per-step gradient ||dL/dh_t|| of the task loss for held-out sequence ``index``.

    The snapshot is loaded into the engine with ``gru_core.from_torch``; the loss's direct gradients on h_t come
    from ``task_loss`` through the readout (float64 autograd), then the engine's BPTT carries them back."""
    from . import from_torch, record

    model = module_from_snapshot(kind, config, params)
    x, b = config.test_sequence(index)
    x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        direct, loss, output, correct = _direct_gradients(model, config.spec, x, b.y)
        tr = record(from_torch(model.rnn), x, loss=direct)
    gates = {g: np.asarray(v[:, 0, :]) for g, v in tr.gates.items()}
    return Analysis(kind, int(step), np.asarray(tr.h[:, 0, :]), gates, tr.grad_norm[:, 0], loss, output, correct,
                    int(tr.nonfinite_from[0]))


def keep_gate(kind: str) -> tuple[str, int] | None:
    """(gate, sign) of the gate that keeps the old state, from the cell registry: sign +1 keeps with the gate (GRU
    family z, LSTM f), -1 with one minus it (MGU f); None for the RNN."""
    from .cells import REGISTRY

    spec = REGISTRY[kind]
    return None if spec.keep_gate is None else (spec.keep_gate, spec.keep_sign)


def keep_share(a: Analysis) -> np.ndarray | None:
    """(T, H) share of the old state kept at each step (GRU z, LSTM forget gate f, MGU 1 - f); RNN None."""
    gate = keep_gate(a.kind)
    if gate is None:
        return None
    g = a.gates[gate[0]]
    return g if gate[1] > 0 else 1.0 - g


def retention(a: Analysis, over_units: str = "mean") -> np.ndarray | None:
    """(T,) share of what the units held at step 1 still held at step t (``gru_core.analysis.retention`` of the
    keep share: the mean over units, or ``over_units="max"`` the unit that holds best); RNN: None."""
    from .analysis import retention as held

    keep = keep_share(a)
    return None if keep is None else held(keep, over_units)
