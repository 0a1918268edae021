"""The one caching helper: engine calls cached on plain values, with bounded caches.

Usage guide (for page authors)
------------------------------
Common case, one or more cells on one input signal::

    from gru_core import CellSpec
    from lab.cache import SignalSpec, cached_record, cached_record_batch, engine_cache

    cell = CellSpec("gru", hidden_size=32, seed=0, init="pytorch", scale=None, update_bias=2.0)
    sig = SignalSpec("impulse", steps=100)
    r = cached_record(cell, sig, loss="last", jacobian=True)     # RecordResult (numpy arrays, see below)
    r.grad_norm[:, 0]        # (T,) ||dL/dh_t||_2, t = 1..T
    r.jacobian_norm[:, 0]    # (T,) ||dh_T/dh_t||_2 (only when jacobian=True)
    r.gates["z"]             # (T, B, H)
    r.nonfinite_from[0]      # -1 if all finite, else the first step (0-based) whose h is not finite

    # one batched engine call over many settings of the same kind and size (e.g. a sweep of sigma):
    rs = cached_record_batch(tuple(CellSpec("rnn", hidden_size=32, init="orthogonal", scale=s) for s in sigmas), sig)
    rs.jacobian_norm         # (T, B) with B = len(sigmas)

Anything else (a training run, a custom sweep) gets its own function with the shared decorator::

    @engine_cache(max_entries=16)
    def cached_sweep(kind: str, hidden_size: int, sigmas: tuple[float, ...], steps: int) -> np.ndarray: ...

Rules: arguments must be plain hashable values (str, int, float, None, tuples of those, or the frozen specs here);
never a torch.Tensor or a Cell. Return numpy arrays / dataclasses of arrays, never torch modules. Returned
values are copies (st.cache_data pickles), so a page may modify them freely. Caches are bounded (``max_entries``,
``ttl``) because one server process serves every student.

The functions also work outside a Streamlit server (tests, scripts): st.cache_data then still caches in-process.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from typing import Any, TypeVar

import numpy as np
import streamlit as st

import gru_core

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_MAX_ENTRIES = 64
DEFAULT_TTL_S = 3600


def engine_cache(max_entries: int = DEFAULT_MAX_ENTRIES, ttl: float | None = DEFAULT_TTL_S,
                 show_spinner: bool | str = False) -> Callable[[F], F]:
    """``st.cache_data`` with the lab's bounds. Use as ``@engine_cache(max_entries=...)``."""
    return st.cache_data(max_entries=max_entries, ttl=ttl, show_spinner=show_spinner)


CellSpec = gru_core.CellSpec
"""Alias of ``gru_core.CellSpec`` (the one spec -> cell adapter), kept so ``from lab.cache import CellSpec`` works."""


@dataclass(frozen=True)
class SignalSpec:
    """Arguments of ``gru_core.signal`` (input size comes from the cell)."""
    name: str = "impulse"
    steps: int = 100
    seed: int = 0
    at: int = 0
    amplitude: float = 1.0
    period: float = 20.0

    def make(self, input_size: int) -> np.ndarray:
        return gru_core.signal(self.name, int(self.steps), int(input_size), seed=int(self.seed), at=int(self.at),
                               amplitude=float(self.amplitude), period=float(self.period))


@dataclass
class RecordResult:
    """Plain-array copy of a ``gru_core.Trace`` (T steps, B batch, H hidden)."""
    cells: tuple[CellSpec, ...]
    signal: SignalSpec
    loss_kind: str
    x: np.ndarray  # (T, I)
    h: np.ndarray  # (T, B, H)
    h0: np.ndarray  # (B, H)
    gates: dict[str, np.ndarray]  # name -> (T, B, H)
    grad_h: np.ndarray  # (T, B, H) total dL/dh_t
    grad_norm: np.ndarray  # (T, B) ||dL/dh_t||_2
    loss: np.ndarray  # (B,)
    nonfinite_from: np.ndarray  # (B,) int, -1 if finite
    jacobian_norm: np.ndarray | None = None  # (T, B) ||dh_T/dh_t||_2 if requested
    step_jacobians: np.ndarray | None = None  # (T, B, S, S) if requested
    jacobian_split: dict[str, np.ndarray] | None = None  # GRU only, if requested
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.h.shape[0]

    @property
    def finite(self) -> bool:
        return bool(np.all(self.nonfinite_from < 0))


def _run(cells: tuple[CellSpec, ...], signal: SignalSpec, loss: str, jacobian: bool, step_jacobians: bool,
         split: bool) -> RecordResult:
    made = [c.make() for c in cells]
    cell = made[0] if len(made) == 1 else gru_core.stack_cells(made)
    x = signal.make(cells[0].input_size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        tr = gru_core.record(cell, x, loss=loss)
        res = RecordResult(
            cells=cells, signal=signal, loss_kind=loss, x=np.asarray(x), h=np.asarray(tr.h), h0=np.asarray(tr.h0),
            gates={k: np.asarray(v) for k, v in tr.gates.items()}, grad_h=np.asarray(tr.grad_h),
            grad_norm=np.asarray(tr.grad_norm), loss=np.asarray(tr.loss),
            nonfinite_from=np.asarray(tr.nonfinite_from),
        )
        if jacobian:
            res.jacobian_norm = np.asarray(tr.jacobian_norm)
        if step_jacobians:
            res.step_jacobians = np.asarray(tr.step_jacobians)
        if split and cells[0].kind.startswith("gru"):
            res.jacobian_split = {k: np.asarray(v) for k, v in tr.jacobian_split.items()}
    return res


@engine_cache(max_entries=DEFAULT_MAX_ENTRIES)
def _record_cached(cells: tuple[tuple, ...], signal: tuple, loss: str, jacobian: bool, step_jacobians: bool,
                   split: bool) -> RecordResult:
    return _run(tuple(CellSpec(*c) for c in cells), SignalSpec(*signal), loss, jacobian, step_jacobians, split)


def cached_record(cell: CellSpec, signal: SignalSpec, loss: str = "last", *, jacobian: bool = False,
                  step_jacobians: bool = False, split: bool = False) -> RecordResult:
    """``gru_core.record`` of one cell on one signal, cached on the plain values (B = 1).

    jacobian: also ||dh_T/dh_t|| (T, 1); step_jacobians: (T, 1, S, S); split: GRU direct/weights parts.
    Raises the engine's ValueError for invalid settings (pages should validate through lab.controls first)."""
    return _record_cached((astuple(cell),), astuple(signal), loss, jacobian, step_jacobians, split)


def cached_record_batch(cells: tuple[CellSpec, ...], signal: SignalSpec, loss: str = "last", *,
                        jacobian: bool = False, step_jacobians: bool = False, split: bool = False) -> RecordResult:
    """One batched engine call over B cells of the same kind and sizes (``gru_core.stack_cells``).

    Returns arrays with B = len(cells) on axis 1. Use for sweeps (e.g. the phase diagram)."""
    if not cells:
        raise ValueError("cells: got an empty tuple; need at least one CellSpec")
    return _record_cached(tuple(astuple(c) for c in cells), astuple(signal), loss, jacobian, step_jacobians, split)


def clear() -> None:
    """Drop every cached engine result (tests)."""
    _record_cached.clear()
