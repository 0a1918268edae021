"""Training as a plain, synchronous library: any model, any batch source, any loss. No threads, no Streamlit.

One loop for every model in the lab (the memory tasks of the Train page, forecasting windows, a character LM, a
seq2seq model)::

    from gru_core.training import FitConfig, fit

    def batches(s):                       # batch number s (0-based), deterministic: same s -> same batch
        return x_s, y_s                   # anything the loss function takes
    def loss_fn(model, batch):            # (scalar loss tensor, accuracy or any higher-is-better score / nan)
        x, y = batch
        out = model(x)
        return F.mse_loss(out, y), float("nan")
    def evaluate(model):                  # optional held-out check, called under torch.no_grad()
        return loss_fn(model, held_out)[0].item(), float("nan")

    f = fit({"gru": gru_model, "lstm": lstm_model}, batches, loss_fn, FitConfig(steps=500, lr=3e-3),
            evaluate=evaluate, callbacks=[print_progress], should_stop=lambda: None)
    f.runs["gru"].history.loss, f.runs["gru"].snapshots[-1].params, f.runs["gru"].final["loss"]

Several models passed together train side by side: step s of every model sees batch s (so training them together
or one at a time gives the same weights). Per model: Adam(lr), gradient-norm clipping (``clip``; 0 = none), a
``History`` of every step, ``Snapshot`` copies of the weights (plain float32 numpy arrays) at step 0, every
``snapshot_every`` steps and at the end.

A run stops after ``steps`` steps, after ``time_budget`` seconds, when ``should_stop()`` returns a reason (the app's
Stop button, its time limit), or when every model has diverged. Divergence: the loss or the gradient norm is not
finite, or the mean loss of the last ``blowup_window`` steps exceeds ``blowup_factor`` times its starting value
(Adam rarely reaches NaN; it blows the logits up instead). A diverged model stops and goes back to its best
weights: the last finite snapshot (NaN/inf) or the snapshot with the lowest training loss (blow-up).

Reading while it trains (from another thread): ``ModelRun.view()`` is a consistent copy without a lock: the loop
appends to the history's lists in a fixed order (the step last) and replaces the snapshot list rather than
editing it, and ``History.copy`` cuts every list to the length of its step list.

Checkpoints: ``save_checkpoint`` / ``load_checkpoint`` write and read one ``.npz`` of plain arrays (histories,
snapshots) plus a JSON ``meta`` string; loading never unpickles (``allow_pickle=False``).
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

Batches = Callable[[int], Any]                           # step s (0-based) -> a batch for loss_fn
LossFn = Callable[[Any, Any], tuple[Any, float]]         # (model, batch) -> (loss tensor, score)
Evaluate = Callable[[Any], tuple[float, float]]          # model -> held-out (loss, score), run under no_grad
Callback = Callable[["Fit"], None]                       # called after every step
ShouldStop = Callable[[], "str | None"]                  # a reason (e.g. "stopped by request") stops the run
CHECKPOINT_FORMAT = 1


def torch_single_thread():
    """``torch`` with one intra-op thread (every training in the lab runs so; results are then bit-reproducible)."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    return torch


@dataclass(frozen=True)
class FitConfig:
    """The loop's settings. ``time_budget`` (s), if set, also stops the run; ``clip`` 0 = no clipping."""

    steps: int = 1000
    lr: float = 1e-2
    clip: float = 1.0
    time_budget: float | None = None
    eval_every: int = 50
    snapshot_every: int = 25
    max_snapshots: int = 80          # beyond this, older snapshots are thinned (every other one dropped)
    blowup_window: int = 20
    blowup_factor: float = 10.0


@dataclass
class Snapshot:
    """The weights of one model at one step: state-dict names -> float32 arrays. ``loss``: mean training loss of
    the last steps before it (inf at step 0)."""

    step: int
    params: dict[str, np.ndarray]
    loss: float = math.inf


@dataclass
class History:
    """Per-step training curves (training-batch loss / score / gradient norm before clipping) and held-out points."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    acc: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    eval_acc: list[float] = field(default_factory=list)

    def copy(self) -> "History":
        """A consistent copy, safe while the loop appends (every list cut to its step list's length)."""
        n, m = len(self.step), len(self.eval_step)
        return History(self.step[:n], self.loss[:n], self.acc[:n], self.grad_norm[:n],
                       self.eval_step[:m], self.eval_loss[:m], self.eval_acc[:m])

    def arrays(self) -> dict[str, np.ndarray]:
        """name -> array (int64 steps, float64 values)."""
        return {f.name: np.asarray(getattr(self, f.name), dtype=np.int64 if f.name.endswith("step") else np.float64)
                for f in fields(self)}   # not dataclasses.asdict: it deep-copies every float (~70 ms per call)

    def append_step(self, step: int, loss: float, acc: float, grad_norm: float) -> None:
        self.loss.append(loss)
        self.acc.append(acc)
        self.grad_norm.append(grad_norm)
        self.step.append(step)           # last: readers cut the other lists to this length

    def append_eval(self, step: int, loss: float, acc: float) -> None:
        self.eval_loss.append(loss)
        self.eval_acc.append(acc)
        self.eval_step.append(step)


@dataclass(frozen=True)
class ModelView:
    """A consistent copy of one model's training state for drawing (safe while training goes on)."""

    name: str
    status: str                      # running | done | stopped | diverged
    message: str
    history: History
    snapshots: tuple[Snapshot, ...]
    seconds: float
    final: dict

    @property
    def snapshot_steps(self) -> list[int]:
        return [s.step for s in self.snapshots]


def state_arrays(model) -> dict[str, np.ndarray]:
    """A model's state dict as plain numpy arrays (copies)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def load_arrays(model, params: Mapping[str, np.ndarray]) -> None:
    """Load plain arrays (e.g. ``Snapshot.params``) into ``model``, in the model's own dtype."""
    torch = torch_single_thread()
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        model.load_state_dict({k: torch.as_tensor(np.asarray(v)).to(dtype) for k, v in params.items()})


def _diverged(lval: float, gnorm: float, recent: list[float], start: float | None, cfg: FitConfig) -> str:
    """'' if the step is fine, else what went wrong ('nan-loss', 'nan-grad' or 'blowup')."""
    if not math.isfinite(lval):
        return "nan-loss"
    if not math.isfinite(gnorm):
        return "nan-grad"
    if start is not None and len(recent) == cfg.blowup_window and \
            sum(recent) / cfg.blowup_window > cfg.blowup_factor * start:
        return "blowup"
    return ""


class ModelRun:
    """One model's training state: model, Adam optimiser, history, snapshots, status, message, final numbers."""

    def __init__(self, name: str, model, config: FitConfig, blowup_reference: float = 0.0):
        torch = torch_single_thread()
        self.name, self.model, self.config = name, model, config
        self.params = list(model.parameters()) if model is not None else []
        self.opt = torch.optim.Adam(self.params, lr=float(config.lr)) if model is not None else None
        self.history = History()
        self.snapshots: list[Snapshot] = []
        self.status, self.message, self.seconds = "running", "", 0.0
        self.final: dict = {}
        self._recent: list[float] = []
        self._start_loss: float | None = None
        self._reference = float(blowup_reference)
        if model is not None:
            self.take_snapshot(0)

    @classmethod
    def restored(cls, name: str, history: History, snapshots: list[Snapshot], final: dict) -> "ModelRun":
        """A finished run rebuilt from a checkpoint (no model, no optimiser)."""
        run = cls(name, None, FitConfig())
        run.history, run.snapshots, run.final = history, list(snapshots), dict(final)
        run.status, run.message = final.get("status", "done"), final.get("message", "")
        run.seconds = float(final.get("seconds", 0.0))
        return run

    @property
    def steps_done(self) -> int:
        return len(self.history.step)

    def view(self) -> ModelView:
        return ModelView(self.name, self.status, self.message, self.history.copy(), tuple(self.snapshots),
                         self.seconds, dict(self.final))

    def take_snapshot(self, step: int) -> None:
        """Copy the weights (once per step); beyond ``max_snapshots`` the middle ones are thinned."""
        snaps = self.snapshots
        if snaps and snaps[-1].step == step:
            return
        recent = sum(self._recent) / len(self._recent) if self._recent else math.inf
        snaps = snaps + [Snapshot(step, state_arrays(self.model), recent)]
        if len(snaps) > self.config.max_snapshots:
            snaps = snaps[:1] + snaps[1:-1][1::2] + snaps[-1:]
        self.snapshots = snaps            # replaced, never edited: readers always see a whole list

    def train_step(self, step: int, batch, loss_fn: LossFn) -> None:
        """One Adam step on ``batch``; ``step`` is the 1-based count after it. Diverging stops this model."""
        torch = torch_single_thread()
        t0 = time.perf_counter()
        loss, acc = loss_fn(self.model, batch)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        clip = float(self.config.clip)
        gnorm = float(torch.nn.utils.clip_grad_norm_(self.params, clip if clip > 0 else math.inf))
        lval = float(loss.detach())
        self._recent = (self._recent + [lval])[-self.config.blowup_window:]
        what = _diverged(lval, gnorm, self._recent, self._start_loss, self.config)
        if what:
            self._restore_best(step, what, lval, gnorm)
        else:
            if self._start_loss is None:
                self._start_loss = max(lval, self._reference)
            self.opt.step()
            self.history.append_step(step, lval, float(acc), gnorm)
        self.seconds += time.perf_counter() - t0

    def _restore_best(self, step: int, what: str, lval: float, gnorm: float) -> None:
        """Stop and go back to the best weights: the last finite snapshot (NaN/inf) or, when the loss blew up,
        the snapshot with the lowest recent training loss. Later snapshots are dropped."""
        finite = [i for i, s in enumerate(self.snapshots)
                  if all(np.isfinite(v).all() for v in s.params.values())] or [0]
        keep = min(finite, key=lambda i: (self.snapshots[i].loss, -i)) if what == "blowup" else finite[-1]
        self.snapshots = self.snapshots[:keep + 1]
        last = self.snapshots[-1]
        load_arrays(self.model, last.params)
        cfg = self.config
        cause = {"blowup": f"the loss rose above {cfg.blowup_factor:g}x its starting value (mean of the last "
                           f"{cfg.blowup_window} steps, at step {step})",
                 "nan-loss": f"the loss became {lval} at step {step}",
                 "nan-grad": f"the gradient norm became {gnorm} at step {step}"}[what]
        kept = "the snapshot with the lowest training loss" if what == "blowup" else "the last finite snapshot"
        self.message = (f"Training diverged: {cause}. The learning rate {cfg.lr:g} is probably too large: try 10x "
                        f"smaller, or clip gradients. Kept the weights from step {last.step} ({kept}).")
        self.status = "diverged"

    def evaluate(self, evaluate: Evaluate) -> tuple[float, float]:
        """(loss, score) of ``evaluate(model)`` without gradients."""
        torch = torch_single_thread()
        with torch.no_grad():
            loss, acc = evaluate(self.model)
        return float(loss), float(acc)


class Fit:
    """Several models trained side by side on the same batches (``fit`` builds one and runs it).

    Build it first when another thread should watch from step 0 (``Fit(...)``, then ``.run(...)``)."""

    def __init__(self, models: Mapping[str, Any] | Any, loss_fn: LossFn, config: FitConfig = FitConfig(), *,
                 evaluate: Evaluate | None = None, final_evaluate: Evaluate | None = None,
                 blowup_reference: float = 0.0):
        if not isinstance(models, Mapping):
            models = {"model": models}
        if not models:
            raise ValueError("models: need at least one model")
        self.config, self.loss_fn = config, loss_fn
        self.evaluate, self.final_evaluate = evaluate, final_evaluate or evaluate
        self.runs = {name: ModelRun(name, m, config, blowup_reference) for name, m in models.items()}
        self.step, self.seconds, self.stop_reason = 0, 0.0, ""

    @classmethod
    def restored(cls, runs: Mapping[str, ModelRun], config: FitConfig, stop_reason: str = "steps") -> "Fit":
        """A finished fit from restored runs (``ModelRun.restored``), e.g. a checkpoint's."""
        f = cls.__new__(cls)
        f.config, f.loss_fn, f.evaluate, f.final_evaluate = config, None, None, None
        f.runs, f.seconds, f.stop_reason = dict(runs), 0.0, stop_reason
        f.step = max((r.steps_done for r in f.runs.values()), default=0)
        return f

    @property
    def finished(self) -> bool:
        return bool(self.stop_reason)

    def active(self) -> list[ModelRun]:
        return [r for r in self.runs.values() if r.status == "running"]

    def progress(self) -> float:
        """0..1: steps done over steps asked, or time used over the budget, whichever is further."""
        if self.finished:
            return 1.0
        p = self.step / self.config.steps
        if self.config.time_budget:
            p = max(p, self.seconds / self.config.time_budget)
        return min(p, 1.0)

    def _reason(self, should_stop: ShouldStop | None) -> str:
        """'' to go on, else why the run ends (a should_stop reason counts as 'stopped: <reason>')."""
        asked = should_stop() if should_stop is not None else None
        if asked:
            return f"stopped: {asked}" if isinstance(asked, str) else "stopped: stopped by request"
        if self.step >= self.config.steps:
            return "steps"
        if self.config.time_budget is not None and self.seconds >= self.config.time_budget:
            return "time budget"
        return "" if self.active() else "diverged"

    def run(self, batches: Batches, *, callbacks: Sequence[Callback] = (),
            should_stop: ShouldStop | None = None) -> "Fit":
        """Train until a stop reason; returns self (every model's ``final`` filled in)."""
        t0 = time.perf_counter()
        for r in self.runs.values():
            self._eval(r, 0, self.evaluate)
        while not (reason := self._reason(should_stop)):
            batch = batches(self.step)
            self.step += 1
            for r in self.active():
                self._one_step(r, batch)
            self.seconds = time.perf_counter() - t0
            for cb in callbacks:
                cb(self)
        for r in self.runs.values():
            self._finish(r, reason)
        self.seconds = time.perf_counter() - t0
        self.stop_reason = reason.split(":")[0]
        return self

    def _one_step(self, r: ModelRun, batch) -> None:
        r.train_step(self.step, batch, self.loss_fn)
        if r.status == "running":
            if self.step % self.config.snapshot_every == 0:
                r.take_snapshot(self.step)
            if self.step % self.config.eval_every == 0:
                self._eval(r, self.step, self.evaluate)

    def _eval(self, r: ModelRun, step: int, evaluate: Evaluate | None) -> None:
        if evaluate is not None:
            r.history.append_eval(step, *r.evaluate(evaluate))

    def _finish(self, r: ModelRun, reason: str) -> None:
        """Status, message, last snapshot, last held-out point and the final numbers of one model."""
        n = r.steps_done
        if r.status == "running":
            r.status = "stopped" if reason.startswith("stopped") else "done"
            if reason.startswith("stopped"):
                r.message = f"{reason.split(': ', 1)[1]} after {n} steps"
            elif reason == "time budget":
                r.message = f"time budget of {self.config.time_budget:g} s used after {n} steps"
        last = r.history.step[-1] if r.history.step else 0
        if r.status != "diverged":
            r.take_snapshot(last)
        if self.final_evaluate is None:
            loss, acc = (r.history.loss[-1], r.history.acc[-1]) if n else (math.nan, math.nan)
        else:
            loss, acc = r.evaluate(self.final_evaluate)
            if not r.history.eval_step or r.history.eval_step[-1] != last:
                r.history.append_eval(last, loss, acc)
        r.final = dict(accuracy=acc, loss=loss, steps=n, status=r.status, message=r.message, seconds=r.seconds)


def fit(models: Mapping[str, Any] | Any, batches: Batches, loss_fn: LossFn, config: FitConfig = FitConfig(), *,
        evaluate: Evaluate | None = None, final_evaluate: Evaluate | None = None,
        callbacks: Sequence[Callback] = (), should_stop: ShouldStop | None = None,
        blowup_reference: float = 0.0) -> Fit:
    """Train ``models`` (one ``nn.Module`` or name -> module, side by side) synchronously; returns the finished
    ``Fit`` (``.runs[name].history / .snapshots / .final``, ``.stop_reason``: steps | time budget | stopped |
    diverged).

    batches(s) -> batch number s; loss_fn(model, batch) -> (loss tensor, score); evaluate(model) -> held-out
    (loss, score) every ``eval_every`` steps; final_evaluate (default ``evaluate``) for ``final`` at the end;
    callbacks(fit) after every step; should_stop() -> a reason to stop (None to go on); blowup_reference: the
    divergence test compares the recent loss with max(first loss, this) (e.g. a memoryless baseline's loss)."""
    f = Fit(models, loss_fn, config, evaluate=evaluate, final_evaluate=final_evaluate,
            blowup_reference=blowup_reference)
    return f.run(batches, callbacks=callbacks, should_stop=should_stop)


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints: plain arrays in one .npz (loaded with allow_pickle=False)


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` returns: the caller's ``meta`` (JSON), and per model its history and snapshots."""

    meta: dict
    names: tuple[str, ...]
    histories: dict[str, History]
    snapshots: dict[str, list[Snapshot]]


def _pick(snaps: Sequence[Snapshot], wanted_steps: Sequence[int] | None) -> list[Snapshot]:
    """The snapshot nearest each wanted step (and always the last one); all of them if ``wanted_steps`` is None."""
    if wanted_steps is None:
        return list(snaps)
    wanted = {min(snaps, key=lambda s: (abs(s.step - w), -s.step)).step for w in wanted_steps}
    wanted.add(snaps[-1].step)
    return [s for s in snaps if s.step in wanted]


def save_checkpoint(path, views: Mapping[str, ModelView], meta: dict, *, snapshot_steps: Sequence[int] | None = None,
                    half_precision: bool = True) -> None:
    """Write models' histories and snapshots and a JSON-able ``meta`` to ``path`` (.npz of plain arrays).

    snapshot_steps: which snapshots to keep (the nearest for each; the last always). The last snapshot of each
    model is stored in float32, earlier ones in float16 when ``half_precision`` (enough for a replay)."""
    arrays: dict[str, np.ndarray] = {}
    for name, v in views.items():
        snaps = _pick(v.snapshots, snapshot_steps)
        for i, snap in enumerate(snaps):
            dtype = np.float16 if half_precision and i < len(snaps) - 1 else np.float32
            for key, a in snap.params.items():
                arrays[f"{name}/snap{i}/{key}"] = np.asarray(a).astype(dtype)
        arrays[f"{name}/snapshot_steps"] = np.array([s.step for s in snaps], dtype=np.int64)
        for key, a in v.history.arrays().items():
            arrays[f"{name}/history/{key}"] = a.astype(np.int32 if key.endswith("step") else np.float32)
    arrays["meta"] = np.array(json.dumps({"format": CHECKPOINT_FORMAT, "cells": list(views), **meta}))
    np.savez_compressed(path, **arrays)


def _read_history(z, name: str) -> History:
    h = History()
    for key in asdict(h):
        cast = int if key.endswith("step") else float
        getattr(h, key).extend(cast(a) for a in z[f"{name}/history/{key}"])
    return h


def _read_snapshots(z, name: str) -> list[Snapshot]:
    snaps = []
    for i, step in enumerate(z[f"{name}/snapshot_steps"]):
        prefix = f"{name}/snap{i}/"
        snaps.append(Snapshot(int(step), {k[len(prefix):]: z[k].astype(np.float32) for k in z.files
                                          if k.startswith(prefix)}))
    return snaps


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by ``save_checkpoint`` (never unpickles anything). Snapshots come back float32."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"checkpoint {path}: format {meta.get('format')!r}, expected {CHECKPOINT_FORMAT}")
        names = tuple(meta["cells"])
        return Checkpoint(meta, names, {n: _read_history(z, n) for n in names},
                          {n: _read_snapshots(z, n) for n in names})
