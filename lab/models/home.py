"""The home page's model: one setting (the GRU's update-gate bias) -> the RNN's and the GRU's gradient over distance.

    from lab.models import home as M
    res = M.compute(M.Settings(bias=0.0))
    res.shares["gru"]          # (T,) ||dL/dh_t|| / ||dL/dh_T||, t = 1..T
    M.headline(res)            # the answer to the page's question, in words chosen from these numbers
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gru_core import CellSpec
from gru_core import analysis as A
from lab.cache import SignalSpec, cached_record
from lab.figures.common import sci
from lab.models.vanishing_text import verdict


@dataclass(frozen=True)
class Settings:
    """The home chart's control (and its fixed sizes)."""
    bias: float = 3.0  # added to the GRU's update gate (positive = keep); 0 = PyTorch default

    STEPS: ClassVar[int] = 100  # T
    HIDDEN: ClassVar[int] = 32  # H
    LIMITS: ClassVar[dict[str, tuple]] = dict(bias=(-2.0, 6.0, 0.5))


@dataclass(frozen=True)
class Result:
    settings: Settings
    shares: dict[str, np.ndarray]  # kind -> (T,) share of the gradient left at step t
    nonfinite_from: dict[str, int]  # kind -> first 0-based step whose h is not finite, -1 if none

    def kept(self, kind: str) -> float:
        """The share left at the first step, T - 1 steps back."""
        return float(self.shares[kind][0])


def compute(s: Settings) -> Result:
    """Both cells on the same noise input (loss on the last step), cached on the plain values."""
    signal = SignalSpec("noise", Settings.STEPS)
    runs = {"rnn": cached_record(CellSpec("rnn", hidden_size=Settings.HIDDEN), signal),
            "gru": cached_record(CellSpec("gru", hidden_size=Settings.HIDDEN, update_bias=float(s.bias)), signal)}
    return Result(s, {k: A.gradient_share(r.grad_norm[:, 0]) for k, r in runs.items()},
                  {k: int(r.nonfinite_from[0]) for k, r in runs.items()})


def question() -> str:
    return "Set the bias to 0 (PyTorch's default). Will the GRU's line stay up or fall like the RNN's?"


def headline(res: Result) -> str:
    """'99 steps back the RNN keeps 1e-29 of its gradient (it has vanished); the GRU ... keeps 0.2 (it survives).'"""
    k = Settings.STEPS - 1
    rnn, gru = res.kept("rnn"), res.kept("gru")
    return (f"{k} steps back the RNN keeps **{sci(rnn)}** of its gradient: it {verdict(rnn)}. The GRU (update-gate "
            f"bias {res.settings.bias:g}) keeps **{sci(gru)}**: its gradient {verdict(gru)}.")
