"""Training helper: PyTorch's fused nn.RNN / nn.GRU / nn.LSTM + a linear readout on a long-memory task.

One recipe, used by the page, the CLI, the checkpoint and delay-table scripts and the benchmark:

- weights: the recurrent layer is ``gru_core.make_cell(kind, I, H, seed=seed, update_bias=..., chrono=...)``
  converted with ``to_torch()`` (so the chrono / update-gate bias init is the engine's), in float32; the readout is
  U(-1/sqrt(H), 1/sqrt(H)) from numpy (PyTorch's default for nn.Linear), seeded too. The global torch RNG is never
  used, so results do not depend on other sessions or threads.
- data: batch number s is ``task.batch(B, np.random.default_rng([seed, 0, s]))``, the same for every cell; the
  held-out set is ``np.random.default_rng([seed, 1])`` (``EVAL_SIZE`` sequences), never trained on.
- Adam(lr), gradient-norm clipping (``clip``; 0 = none), one thread (``torch.set_num_threads(1)``).
- a run stops after ``steps`` steps or ``time_budget`` seconds, on request (``Trainer.request_stop``) or when the
  loss or gradient stops being finite ("diverged": the weights go back to the last finite snapshot).

Snapshots are plain numpy arrays (``Snapshot.params``: torch state-dict names -> float32 arrays), taken at step 0,
every ``snapshot_every`` steps and at the end; ``analyse`` loads one into the engine (``gru_core.from_torch``)
and records gates and the exact per-step gradient of the task loss on a test sequence.

CLI: ``python -m gru_core train --task recall --delay 100 --cell gru --seed 0 --steps 1000 --json``.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .tasks import ADDING_TOLERANCE, COPY_LENGTH, DELAY_MAX, TASKS, TaskSpec

CELLS = ("rnn", "gru", "lstm")
EVAL_SIZE = 1024              # held-out sequences for the final accuracy
EVAL_SIZE_LIVE = 256          # the first 256 of them for the curve while training
BLOWUP_WINDOW = 20            # a run also counts as diverged when the mean loss of the last 20 steps exceeds
BLOWUP_FACTOR = 10.0          # 10x its starting value (Adam rarely reaches NaN; it blows the logits up instead)
MAX_CONCURRENT_RUNS = 3       # background runs training at the same time in one server process; others wait
MAX_BACKGROUND_SECONDS = 900.0  # a background run (the page) stops after 15 min even if nobody pressed Stop
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_RUNS)
MAX_SNAPSHOTS = 80            # older snapshots are thinned (every other one dropped) beyond this
LIMITS = {                    # (min, max) of every setting the page and the CLI accept
    "hidden_size": (2, 256), "lr": (1e-5, 10.0), "steps": (1, 50_000), "time_budget": (0.5, 3600.0),
    "clip": (0.0, 100.0), "update_bias": (-10.0, 10.0), "batch_size": (1, 1024), "seed": (0, 2**31 - 1),
    "eval_every": (1, 10_000), "snapshot_every": (1, 10_000), "noise": (0.0, 10.0), "n_symbols": (2, 16),
}


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run (the page's defaults). ``time_budget`` (s), if set, also stops the run."""

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
            v = getattr(self, name, None)
            if name == "time_budget" and v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number between {lo:g} and {hi:g}, got {v!r}")
            if not lo <= v <= hi:
                raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {v:g}")
        self.spec  # validates task, delay, n_symbols, noise

    @property
    def spec(self) -> TaskSpec:
        return TaskSpec(self.task, int(self.delay), n_symbols=int(self.n_symbols),
                        noise=float(self.noise) if self.task == "recall" else 0.0)

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
# The model


def _torch():
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    return torch


def build_model(kind: str, config: TrainConfig):
    """nn.Module with ``.rnn`` (fused nn.RNN/GRU/LSTM, float32, engine init) and ``.readout`` (nn.Linear)."""
    import gru_core

    torch = _torch()
    nn = torch.nn
    if kind not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {kind!r}")
    spec, H = config.spec, int(config.hidden_size)
    gate = {} if kind == "rnn" else dict(update_bias=float(config.update_bias), chrono=config.chrono_tmax)
    cell = gru_core.make_cell(kind, spec.input_size, H, seed=int(config.seed), **gate)

    class SeqModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = cell.to_torch().float()
            self.readout = nn.Linear(H, spec.output_size, dtype=torch.float32)
            rng = np.random.default_rng([int(config.seed), 2, CELLS.index(kind)])
            k = 1.0 / math.sqrt(H)
            with torch.no_grad():
                self.readout.weight.copy_(torch.from_numpy(rng.uniform(-k, k, (spec.output_size, H)).astype(np.float32)))
                self.readout.bias.copy_(torch.from_numpy(rng.uniform(-k, k, spec.output_size).astype(np.float32)))

        def forward(self, x):
            """x (T, B, I) -> recall (B, K) logits, adding (B,) value, copy (T, B, 9) logits."""
            out, _ = self.rnn(x)
            if spec.kind == "classify_seq":
                return self.readout(out)
            y = self.readout(out[-1])
            return y[:, 0] if spec.kind == "regress_last" else y

    return SeqModel()


def loss_and_accuracy(spec: TaskSpec, out, y):
    """(loss tensor, accuracy float) for the task's output ``out`` against targets ``y`` (torch tensors)."""
    torch = _torch()
    F = torch.nn.functional
    if spec.kind == "classify_last":
        return F.cross_entropy(out, y), float((out.argmax(-1) == y).float().mean())
    if spec.kind == "regress_last":
        return F.mse_loss(out, y), float(((out - y).abs() < ADDING_TOLERANCE).float().mean())
    loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    L = COPY_LENGTH
    return loss, float((out[-L:].argmax(-1) == y[-L:]).float().mean())


# ----------------------------------------------------------------------------------------------------------------
# One run per cell, one trainer for all selected cells


@dataclass
class Snapshot:
    step: int
    params: dict[str, np.ndarray]     # "rnn.weight_ih_l0", ..., "readout.weight", "readout.bias" -> float32
    loss: float = math.inf            # mean training loss of the last steps before it (inf at step 0)


@dataclass
class History:
    """Per-step training curves (train-batch loss / accuracy / gradient norm before clipping) and held-out points."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    acc: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    eval_acc: list[float] = field(default_factory=list)

    def copy(self) -> "History":
        return History(*(list(v) for v in asdict(self).values()))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=np.int64 if k.endswith("step") else np.float64) for k, v in asdict(self).items()}


class CellRun:
    """Model, optimiser, history and snapshots of one cell kind."""

    def __init__(self, kind: str, config: TrainConfig):
        torch = _torch()
        self.kind, self.config = kind, config
        self.model = build_model(kind, config)
        self.params = list(self.model.parameters())
        self.opt = torch.optim.Adam(self.params, lr=float(config.lr))
        self.history = History()
        self.snapshots: list[Snapshot] = []
        self.status = "running"       # running | done | stopped | diverged
        self._recent: list[float] = []   # the last BLOWUP_WINDOW training losses
        self._start_loss: float | None = None
        self.message = ""
        self.seconds = 0.0            # time spent in this cell's training steps
        self.take_snapshot(0)

    @property
    def steps_done(self) -> int:
        return len(self.history.step)

    def take_snapshot(self, step: int) -> None:
        if self.snapshots and self.snapshots[-1].step == step:
            return
        sd = {k: v.detach().numpy().copy() for k, v in self.model.state_dict().items()}
        recent = sum(self._recent) / len(self._recent) if self._recent else math.inf
        self.snapshots.append(Snapshot(step, sd, recent))
        if len(self.snapshots) > MAX_SNAPSHOTS:   # thin the middle, keep the first and the newest
            self.snapshots = self.snapshots[:1] + self.snapshots[1:-1][1::2] + self.snapshots[-1:]

    def train_step(self, step: int, x, y) -> None:
        """One Adam step on batch (x, y) (torch tensors); ``step`` is the 1-based count after it."""
        torch = _torch()
        t0 = time.perf_counter()
        spec = self.config.spec
        out = self.model(x)
        loss, acc = loss_and_accuracy(spec, out, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        clip = float(self.config.clip)
        gnorm = float(torch.nn.utils.clip_grad_norm_(self.params, clip if clip > 0 else math.inf))
        lval = float(loss.detach())
        if not (math.isfinite(lval) and math.isfinite(gnorm)):
            self._diverged(step, lval, gnorm)
            self.seconds += time.perf_counter() - t0
            return
        self._recent.append(lval)
        if len(self._recent) > BLOWUP_WINDOW:
            self._recent.pop(0)
        if self._start_loss is None:
            self._start_loss = max(lval, self.config.spec.baseline_loss)
        elif len(self._recent) == BLOWUP_WINDOW and sum(self._recent) / BLOWUP_WINDOW > BLOWUP_FACTOR * self._start_loss:
            self._diverged(step, lval, gnorm, blowup=True)
            self.seconds += time.perf_counter() - t0
            return
        self.opt.step()
        h = self.history
        h.step.append(step)
        h.loss.append(lval)
        h.acc.append(acc)
        h.grad_norm.append(gnorm)
        self.seconds += time.perf_counter() - t0

    def _diverged(self, step: int, lval: float, gnorm: float, blowup: bool = False) -> None:
        """Stop this cell and go back to the best weights it had: the last finite snapshot (NaN/inf) or, when the
        loss blew up, the snapshot taken at the lowest recent training loss. Later snapshots are dropped."""
        torch = _torch()
        finite = [i for i, s in enumerate(self.snapshots)
                  if all(np.isfinite(v).all() for v in s.params.values())] or [0]
        if blowup:
            keep = min(finite, key=lambda i: (self.snapshots[i].loss, -i))
        else:
            keep = finite[-1]
        self.snapshots = self.snapshots[:keep + 1]
        last = self.snapshots[-1]
        with torch.no_grad():
            self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in last.params.items()})
        if blowup:
            what = (f"the loss rose above {BLOWUP_FACTOR:g}x its starting value (mean of the last {BLOWUP_WINDOW} "
                    f"steps, at step {step})")
        elif not math.isfinite(lval):
            what = f"the loss became {lval} at step {step}"
        else:
            what = f"the gradient norm became {gnorm} at step {step}"
        self.status = "diverged"
        self.message = (f"Training diverged: {what}. The learning rate {self.config.lr:g} is probably too large: "
                        f"try 10x smaller, or clip gradients. Kept the weights from step {last.step} ("
                        + ("the snapshot with the lowest training loss)." if blowup else "the last finite snapshot).")
                        )

    def evaluate(self, batch) -> tuple[float, float]:
        """(loss, accuracy) on a held-out batch (no gradient)."""
        torch = _torch()
        with torch.no_grad():
            out = self.model(torch.from_numpy(batch.x))
            loss, acc = loss_and_accuracy(self.config.spec, out, torch.from_numpy(batch.y))
        return float(loss), acc


@dataclass
class RunView:
    """A consistent copy of one cell's state for drawing (safe to use while training goes on)."""

    kind: str
    status: str
    message: str
    history: History
    snapshot_steps: list[int]
    seconds: float


def memoised_analysis(memo: dict, kind: str, config: "TrainConfig", snap: Snapshot, seq: int) -> "Analysis":
    """``analyse`` of one snapshot, memoised in ``memo`` (at most 64 entries, oldest dropped first)."""
    key = (kind, snap.step, seq)
    if key not in memo:
        if len(memo) >= 64:
            memo.pop(next(iter(memo)))
        memo[key] = analyse(kind, config, snap.params, snap.step, seq)
    return memo[key]


class Trainer:
    """Trains the selected cells side by side on the same batches: step s of every cell sees batch s.

    Synchronous: ``run()``. In the background (the page): ``start()``, then ``view()`` to poll, ``request_stop()``.
    """

    def __init__(self, config: TrainConfig, cells=("rnn", "gru", "lstm")):
        cells = tuple(dict.fromkeys(cells))
        if not cells or any(c not in CELLS for c in cells):
            raise ValueError(f"cells must be a non-empty selection of {CELLS}, got {cells!r}")
        self.config = config
        self.cells = cells
        self.runs = {k: CellRun(k, config) for k in cells}
        self.step = 0
        self.seconds = 0.0
        self.started_at: float | None = None
        self.stop_reason = ""
        self.error = ""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._eval_live = None
        self._eval_all = None
        self.final: dict[str, dict] = {}
        self.waiting = False
        self._memo: dict = {}
        self._max_seconds = math.inf

    # -- control
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def finished(self) -> bool:
        return bool(self.stop_reason)

    def request_stop(self) -> None:
        self._stop.set()

    def start(self, max_seconds: float = MAX_BACKGROUND_SECONDS) -> None:
        """Train in a background thread (at most ``max_seconds`` of training, so a closed browser tab cannot keep
        a training slot forever)."""
        if self._thread is not None:
            raise RuntimeError("this trainer has already been started")
        self._max_seconds = float(max_seconds)
        self._thread = threading.Thread(target=self._run_safely, name="gru-lab-train", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run_safely(self) -> None:
        try:
            self.waiting = True
            while not _SLOTS.acquire(timeout=0.2):      # at most MAX_CONCURRENT_RUNS train at once per process
                if self._stop.is_set():
                    break
            else:
                self.waiting = False
                try:
                    self.run()
                finally:
                    _SLOTS.release()
                return
            self.waiting = False
            self.run()      # stopped while waiting: finishes at once with what there is (step 0)
        except Exception as e:  # never let a background thread die silently
            with self._lock:
                self.error = f"{type(e).__name__}: {e}"
                self.stop_reason = self.stop_reason or "error"
                for r in self.runs.values():
                    if r.status == "running":
                        r.status, r.message = "stopped", f"stopped by an error: {self.error}"

    # -- the loop
    def active(self) -> list[CellRun]:
        return [r for r in self.runs.values() if r.status == "running"]

    def run(self) -> "Trainer":
        """Train until steps / time budget / stop request / every cell diverged. Returns self."""
        torch = _torch()
        cfg = self.config
        self._eval_all = cfg.eval_batch()
        self._eval_live = _slice_batch(self._eval_all, EVAL_SIZE_LIVE)
        self.started_at = time.perf_counter()
        with self._lock:
            for r in self.runs.values():
                self._eval(r, 0)
        while True:
            elapsed = time.perf_counter() - self.started_at
            reason = ""
            if self._stop.is_set():
                reason = "stopped"
            elif self.step >= cfg.steps:
                reason = "steps"
            elif cfg.time_budget is not None and elapsed >= cfg.time_budget:
                reason = "time budget"
            elif elapsed >= self._max_seconds:
                reason = "time limit"
            elif not self.active():
                reason = "diverged"
            if reason:
                break
            b = cfg.batch(self.step)
            x, y = torch.from_numpy(b.x), torch.from_numpy(b.y)
            self.step += 1
            for r in self.active():
                with self._lock:
                    r.train_step(self.step, x, y)
                    if r.status == "running":
                        if self.step % cfg.snapshot_every == 0:
                            r.take_snapshot(self.step)
                        if self.step % cfg.eval_every == 0:
                            self._eval(r, self.step)
            self.seconds = time.perf_counter() - self.started_at
        with self._lock:
            for r in self.runs.values():
                if r.status == "running":
                    r.status = "stopped" if reason == "stopped" else "done"
                    if reason == "stopped":
                        r.message = f"stopped by request after {r.steps_done} steps"
                    elif reason == "time budget":
                        r.message = f"time budget of {cfg.time_budget:g} s used after {r.steps_done} steps"
                    elif reason == "time limit":
                        r.message = (f"stopped by the page's limit of {self._max_seconds:g} s per run after "
                                     f"{r.steps_done} steps")
                last = r.history.step[-1] if r.history.step else 0
                if r.status != "diverged":
                    r.take_snapshot(last)
                if not r.history.eval_step or r.history.eval_step[-1] != last:
                    self._eval(r, last, live=False)
                loss, acc = r.evaluate(self._eval_all)
                self.final[r.kind] = dict(accuracy=acc, loss=loss, steps=r.steps_done, status=r.status,
                                          message=r.message, seconds=r.seconds)
            self.seconds = time.perf_counter() - self.started_at
            self.stop_reason = reason
        return self

    def _eval(self, r: CellRun, step: int, live: bool = True) -> None:
        loss, acc = r.evaluate(self._eval_live if live else self._eval_all)
        r.history.eval_step.append(step)
        r.history.eval_loss.append(loss)
        r.history.eval_acc.append(acc)

    # -- reading while it runs
    def view(self) -> dict[str, RunView]:
        with self._lock:
            return {k: RunView(k, r.status, r.message, r.history.copy(), [s.step for s in r.snapshots], r.seconds)
                    for k, r in self.runs.items()}

    def snapshot(self, kind: str, index: int = -1) -> Snapshot:
        """A snapshot of one cell (index into its snapshot list; -1 = newest)."""
        with self._lock:
            return self.runs[kind].snapshots[index]

    def analysis(self, kind: str, index: int = -1, seq: int = 0) -> "Analysis":
        """``analyse`` of snapshot ``index`` of ``kind`` on held-out sequence ``seq``, memoised on this run."""
        return memoised_analysis(self._memo, kind, self.config, self.snapshot(kind, index), seq)

    def progress(self) -> float:
        """0..1: steps done over steps asked, or time used over the budget, whichever is further."""
        p = self.step / self.config.steps
        if self.config.time_budget and self.started_at is not None:
            p = max(p, (time.perf_counter() - self.started_at) / self.config.time_budget)
        return 1.0 if self.finished else min(p, 1.0)


def train(config: TrainConfig, cells=("gru",)) -> Trainer:
    """Train synchronously and return the finished trainer (``.final[kind]["accuracy"]`` etc.)."""
    return Trainer(config, cells).run()


class DelaySweep:
    """Accuracy against delay for the selected cells with one config: one ``Trainer`` per delay, run one after the
    other in a background thread (same slot limit as single runs). ``results()`` -> {kind: [accuracy per delay done]}.
    """

    def __init__(self, config: TrainConfig, cells=CELLS, delays=(10, 25, 50, 100, 150, 200)):
        self.config, self.cells = config, tuple(cells)
        self.delays = tuple(int(d) for d in delays)
        for d in self.delays:
            replace(config, delay=d)            # validates every delay before anything runs
        self.done: list[int] = []
        self.accuracy: dict[str, list[float]] = {k: [] for k in self.cells}
        self.current: Trainer | None = None
        self.seconds = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error = ""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def finished(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gru-lab-sweep", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()
        cur = self.current
        if cur is not None:
            cur.request_stop()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        t0 = time.perf_counter()
        try:
            for d in self.delays:
                if self._stop.is_set():
                    break
                tr = Trainer(replace(self.config, delay=d), self.cells)
                self.current = tr
                tr._run_safely()                   # in this thread, holding a slot while it trains
                if tr.stop_reason == "stopped" or tr.error:
                    self.error = tr.error
                    break
                with self._lock:
                    self.done.append(d)
                    for k in self.cells:
                        self.accuracy[k].append(tr.final[k]["accuracy"])
                self.seconds = time.perf_counter() - t0
        except Exception as e:  # pragma: no cover - reported on the page
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.current = None
            self.seconds = time.perf_counter() - t0

    def progress(self) -> float:
        cur = self.current
        part = cur.progress() if cur is not None else 0.0
        return min(1.0, (len(self.done) + part) / max(len(self.delays), 1))

    def results(self) -> tuple[list[int], dict[str, list[float]]]:
        with self._lock:
            return list(self.done), {k: list(v) for k, v in self.accuracy.items()}


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints: plain arrays in one .npz (loaded with allow_pickle=False)

CHECKPOINT_FORMAT = 1


@dataclass
class PretrainedRun:
    """A finished run loaded from a checkpoint; reads like a finished ``Trainer`` (``view``, ``snapshot``)."""

    config: TrainConfig
    cells: tuple[str, ...]
    histories: dict[str, History]
    snapshots: dict[str, list[Snapshot]]
    final: dict[str, dict]
    name: str = ""
    seconds: float = 0.0
    running: bool = False
    finished: bool = True
    stop_reason: str = "steps"
    error: str = ""
    waiting: bool = False
    _memo: dict = field(default_factory=dict, repr=False)

    def view(self) -> dict[str, RunView]:
        return {k: RunView(k, self.final[k]["status"], self.final[k]["message"], self.histories[k].copy(),
                           [s.step for s in self.snapshots[k]], self.final[k]["seconds"]) for k in self.cells}

    def snapshot(self, kind: str, index: int = -1) -> Snapshot:
        return self.snapshots[kind][index]

    def progress(self) -> float:
        return 1.0

    def analysis(self, kind: str, index: int = -1, seq: int = 0) -> "Analysis":
        """``analyse`` of snapshot ``index`` of ``kind`` on held-out sequence ``seq``, memoised on this run."""
        return memoised_analysis(self._memo, kind, self.config, self.snapshot(kind, index), seq)

    def request_stop(self) -> None:
        pass


def save_checkpoint(path, run, snapshot_steps=None, half_precision: bool = True) -> None:
    """Write a finished run (Trainer or PretrainedRun) to ``path`` (.npz, plain arrays only).

    snapshot_steps: which snapshots to keep (nearest available step for each; default all). The last snapshot of
    each cell is stored in float32, earlier ones in float16 when ``half_precision`` (they are only for the replay).
    Histories are stored in float32."""
    arrays: dict[str, np.ndarray] = {}
    view = run.view()
    meta = dict(format=CHECKPOINT_FORMAT, config=asdict(run.config), cells=list(run.cells), final=run.final,
                seconds=float(run.seconds))
    for kind in run.cells:
        snaps = run.snapshots[kind] if isinstance(run, PretrainedRun) else run.runs[kind].snapshots
        if snapshot_steps is not None:
            wanted = {min(snaps, key=lambda s: (abs(s.step - w), -s.step)).step for w in snapshot_steps}
            wanted.add(snaps[-1].step)
            snaps = [s for s in snaps if s.step in wanted]
        for i, snap in enumerate(snaps):
            last = i == len(snaps) - 1
            for name, v in snap.params.items():
                dtype = np.float32 if (last or not half_precision) else np.float16
                arrays[f"{kind}/snap{i}/{name}"] = np.asarray(v).astype(dtype)
        arrays[f"{kind}/snapshot_steps"] = np.array([s.step for s in snaps], dtype=np.int64)
        for key, v in view[kind].history.arrays().items():
            arrays[f"{kind}/history/{key}"] = v.astype(np.int32 if key.endswith("step") else np.float32)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(path, **arrays)


def load_checkpoint(path) -> PretrainedRun:
    """Read a checkpoint written by ``save_checkpoint`` (never unpickles anything)."""
    from pathlib import Path

    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"checkpoint {path}: format {meta.get('format')!r}, expected {CHECKPOINT_FORMAT}")
        cfg = meta["config"]
        config = TrainConfig(**cfg)
        cells = tuple(meta["cells"])
        histories, snapshots = {}, {}
        for kind in cells:
            h = History()
            for key in asdict(h):
                v = z[f"{kind}/history/{key}"]
                getattr(h, key).extend(int(a) for a in v) if key.endswith("step") else \
                    getattr(h, key).extend(float(a) for a in v)
            histories[kind] = h
            steps = z[f"{kind}/snapshot_steps"]
            snaps = []
            for i, step in enumerate(steps):
                prefix = f"{kind}/snap{i}/"
                params = {k[len(prefix):]: z[k].astype(np.float32) for k in z.files if k.startswith(prefix)}
                snaps.append(Snapshot(int(step), params))
            snapshots[kind] = snaps
    return PretrainedRun(config, cells, histories, snapshots, meta["final"], name=Path(path).stem,
                         seconds=float(meta.get("seconds", 0.0)))


def evaluate_params(kind: str, config: TrainConfig, params: dict[str, np.ndarray]) -> tuple[float, float]:
    """(loss, accuracy) of snapshot weights on the full held-out set, as the trainer measures it."""
    torch = _torch()
    model = build_model(kind, config)
    model.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in params.items()})
    b = config.eval_batch()
    with torch.no_grad():
        loss, acc = loss_and_accuracy(config.spec, model(torch.from_numpy(b.x)), torch.from_numpy(b.y))
    return float(loss), acc


# ----------------------------------------------------------------------------------------------------------------
# Analysis of a snapshot in the engine


@dataclass
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
    """The trained recurrent layer and readout (float64 torch modules) from a snapshot's plain arrays."""
    torch = _torch()
    model = build_model(kind, config).double()
    model.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in params.items()})
    return model


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def analyse(kind: str, config: TrainConfig, params: dict[str, np.ndarray], step: int = 0,
            index: int = 0) -> Analysis:
    """Record gates and the exact per-step gradient ||dL/dh_t|| of the task loss for held-out sequence ``index``.

    The snapshot is loaded into the engine with ``gru_core.from_torch``; the loss's direct gradients on h_t come
    from the readout (W: (O, H)): recall/copy W^T (softmax - onehot), adding 2 (y_hat - y) w; copy averages over
    all T steps like the training loss.
    """
    import gru_core

    spec = config.spec
    model = module_from_snapshot(kind, config, params)
    cell = gru_core.from_torch(model.rnn)
    x, b = config.test_sequence(index)
    x = x.astype(np.float64)
    W = np.asarray(params["readout.weight"], dtype=np.float64)
    c = np.asarray(params["readout.bias"], dtype=np.float64)
    with np.errstate(all="ignore"):
        with _torch().no_grad():                                      # forward in torch (float64) for the
            h = model.rnn(_torch().from_numpy(x[:, None, :]))[0][:, 0, :].numpy()   # readout's direct gradients
        T, H = h.shape
        direct = np.zeros((T, 1, H))
        if spec.kind == "classify_last":
            p = _softmax(h[-1] @ W.T + c)
            target = int(b.y[0])
            direct[-1, 0] = W.T @ (p - np.eye(spec.output_size)[target])
            loss, output, correct = -math.log(max(p[target], 1e-300)), p, float(p.argmax() == target)
        elif spec.kind == "regress_last":
            yhat = float(h[-1] @ W[0] + c[0])
            target = float(b.y[0])
            direct[-1, 0] = 2.0 * (yhat - target) * W[0]
            loss, output, correct = (yhat - target) ** 2, np.array([yhat]), float(abs(yhat - target) < ADDING_TOLERANCE)
        else:
            p = _softmax(h @ W.T + c)                                   # (T, O)
            target = b.y[:, 0]
            onehot = np.eye(spec.output_size)[target]
            direct[:, 0] = (p - onehot) @ W / T
            loss = float(-np.mean(np.log(np.maximum(p[np.arange(T), target], 1e-300))))
            output = p[-10:]
            correct = float(np.mean(p[-10:].argmax(-1) == target[-10:]))
        tr = gru_core.record(cell, x, loss=direct)
        grad_norm = tr.grad_norm[:, 0]
    gates = {g: np.asarray(v[:, 0, :]) for g, v in tr.gates.items()}
    return Analysis(kind, int(step), np.asarray(tr.h[:, 0, :]), gates, grad_norm, float(loss), output, correct,
                    int(tr.nonfinite_from[0]))


def keep_share(a: Analysis) -> np.ndarray | None:
    """(T, H) share of the old state kept at each step: GRU z (PyTorch mixing), LSTM forget gate f; RNN None."""
    if a.kind == "gru":
        return a.gates["z"]
    if a.kind == "lstm":
        return a.gates["f"]
    return None


def retention(a: Analysis, over_units: str = "mean") -> np.ndarray | None:
    """(T,) share of what the units held at step 1 still held at step t: prod_{s=2..t} keep_s per unit (1 at
    t = 1), then the mean over units, or (``over_units="max"``) the unit that holds best by the last step.
    GRU: keep = z (h_t = z h_{t-1} + ...); LSTM: keep = f on the cell state. RNN: None."""
    keep = keep_share(a)
    if keep is None:
        return None
    held = np.cumprod(np.vstack([np.ones((1, keep.shape[1])), keep[1:]]), axis=0)
    if over_units == "max":
        return held[:, int(np.argmax(held[-1]))]
    return held.mean(axis=1)


# ----------------------------------------------------------------------------------------------------------------
# CLI


def _parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m gru_core train",
                                description="Train one cell on a long-memory task exactly as the Train page does.")
    p.add_argument("--task", choices=TASKS, default=d.task)
    p.add_argument("--delay", type=int, default=d.delay, help=f"delay D, 1..{DELAY_MAX} (default {d.delay})")
    p.add_argument("--cell", choices=CELLS, default="gru")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--steps", type=int, default=d.steps, help="training steps (default %(default)s)")
    p.add_argument("--time-budget", type=float, default=None, metavar="SEC",
                   help="also stop after SEC seconds of training")
    p.add_argument("--hidden", type=int, default=d.hidden_size, help="hidden size H (default %(default)s)")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate (default %(default)s)")
    p.add_argument("--clip", type=float, default=d.clip, help="gradient-norm clip, 0 = none (default %(default)s)")
    p.add_argument("--no-chrono", dest="chrono", action="store_false",
                   help="PyTorch default init of the update/forget gate instead of chrono init")
    p.add_argument("--update-bias", type=float, default=d.update_bias,
                   help="added to the GRU update-gate / LSTM forget-gate bias, positive = keep (default 0)")
    p.add_argument("--batch", type=int, default=d.batch_size)
    p.add_argument("--symbols", type=int, default=d.n_symbols, help="recall: K symbols (default %(default)s)")
    p.add_argument("--noise", type=float, default=d.noise, help="recall: distractor noise std (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def cli_main(argv: list[str]) -> int:
    p = _parser()
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        cfg = TrainConfig(task=a.task, delay=a.delay, hidden_size=a.hidden, lr=a.lr, steps=a.steps,
                          time_budget=a.time_budget, clip=a.clip, chrono=a.chrono, update_bias=a.update_bias,
                          batch_size=a.batch, seed=a.seed, n_symbols=a.symbols, noise=a.noise)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    _torch()                      # imports (torch takes ~2 s) are not part of the timing
    import gru_core  # noqa: F401
    t0 = time.perf_counter()
    tr = train(cfg, (a.cell,))
    seconds = time.perf_counter() - t0      # building the model, every training step, the held-out checks
    f = tr.final[a.cell]
    spec = cfg.spec
    out = dict(task=cfg.task, delay=cfg.delay, cell=a.cell, seed=cfg.seed, steps=f["steps"],
               accuracy=f["accuracy"], loss=f["loss"], loss_name=spec.loss_name, chance_accuracy=spec.chance_accuracy,
               baseline_loss=spec.baseline_loss, seconds=round(seconds, 3), train_seconds=round(f["seconds"], 3),
               status=f["status"], message=f["message"], stop_reason=tr.stop_reason, eval_size=EVAL_SIZE,
               config=asdict(cfg))
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{a.cell} on {cfg.task} (delay {cfg.delay}): held-out accuracy {f['accuracy']:.3f} "
              f"(chance {spec.chance_accuracy:.3f}), {spec.loss_name} {f['loss']:.4g} "
              f"(baseline {spec.baseline_loss:.4g}), {f['steps']} steps in {seconds:.1f} s [{f['status']}]")
        if f["message"]:
            print(f["message"])
    return 0 if f["status"] != "diverged" else 1
