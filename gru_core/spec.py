"""The one adapter from a cell spec (plain, hashable values) to an engine cell.

    spec = gru_core.CellSpec("gru", hidden_size=32, seed=0, update_bias=2.0)
    cell = spec.make()                                  # == gru_core.make_cell("gru", 1, 32, seed=0, update_bias=2.0)
    rnn = dataclasses.replace(spec, kind="rnn")         # same settings; update_bias does not apply to an RNN

A spec names every keyword of ``gru_core.make_cell``. Options that a kind does not have (an RNN has no keep-gate
bias, only the GRU family has ``mix`` / ``reset``, only the RNN has ``nonlinearity``) are reset to their neutral
value when the spec is made, read from the kind's registry entry (no per-kind branches), so one set of settings
can describe every kind and two specs of the same cell compare (and cache) equal.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .cell import make_cell
from .cells import REGISTRY

NEUTRAL = dict(update_bias=0.0, chrono=None, nonlinearity="tanh", mix=None, reset=None)


def applicable_options(kind: str) -> frozenset[str]:
    """The optional ``make_cell`` keywords that change a cell of ``kind`` (from its registry entry)."""
    spec = REGISTRY.get(kind)
    if spec is None:
        return frozenset(NEUTRAL)            # unknown kind: keep everything; make_cell names the bad kind
    keep = {"update_bias", "chrono"} if spec.keep_gate in spec.bias_blocks else set()
    return frozenset(keep | set(spec.defaults))


@dataclass(frozen=True)
class CellSpec:
    """Every ``gru_core.make_cell`` keyword as a plain value (hashable, so it can key a cache).

    kind: one of ``gru_core.CELL_KINDS``; input_size I, hidden_size H; seed, init, scale as in make_cell;
    update_bias / chrono: keep-gate bias (kinds with a keep gate); nonlinearity: "tanh" | "relu" (RNN);
    mix: "torch" | "wiki", reset: "after" | "before" (GRU family; None = the kind's default)."""

    kind: str
    input_size: int = 1
    hidden_size: int = 32
    seed: int = 0
    init: str = "pytorch"
    scale: float | None = None
    update_bias: float = 0.0
    chrono: int | None = None
    nonlinearity: str = "tanh"
    mix: str | None = None
    reset: str | None = None

    def __post_init__(self) -> None:
        keep = applicable_options(self.kind)
        for name, neutral in NEUTRAL.items():
            if name not in keep:
                object.__setattr__(self, name, neutral)

    def make(self, dtype=np.float64):
        """The engine cell (``gru_core.Cell``); raises make_cell's ValueError for values out of range."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        return make_cell(kw.pop("kind"), kw.pop("input_size"), kw.pop("hidden_size"), dtype=dtype, **kw)
