"""Home page figure: how much of the gradient is left k steps back, RNN vs GRU (pure: arrays in, figure out)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import base_figure, finish_log_axis, log_limits, log_line, steps_back
from lab.theme import CELL_COLORS, CELL_DASH, CELL_LABELS


def gradient_share(grad_norm: np.ndarray) -> np.ndarray:
    """(T,) ||dL/dh_t|| -> (T,) ||dL/dh_t|| / ||dL/dh_T||: the share of the gradient left at step t.

    The last entry is 1. With a zero or non-finite ||dL/dh_T|| the ratio is not defined; the raw norms are
    returned unchanged so nothing is hidden."""
    g = np.asarray(grad_norm, dtype=np.float64)
    last = g[-1]
    if not np.isfinite(last) or last == 0:
        return g
    with np.errstate(over="ignore", invalid="ignore"):
        return g / last


def gradient_over_distance(shares: Mapping[str, np.ndarray], *, title: str | None = None) -> go.Figure:
    """One line per cell kind: share of the gradient left against steps back from the loss (log y).

    shares: kind -> (T,) array ordered by time t = 1..T (as ``gradient_share`` returns it); plotted against
    k = T - t, so k = 0 is the step where the loss is taken."""
    floor, ceil = log_limits(*shares.values())
    traces = []
    for kind, y in shares.items():
        y = np.asarray(y, dtype=np.float64)
        traces += log_line(steps_back(len(y)), y, name=CELL_LABELS.get(kind, kind), color=CELL_COLORS[kind],
                           dash=CELL_DASH.get(kind, "solid"), floor=floor, ceil=ceil, hover_x="k")
    fig = base_figure(title, "steps back from the loss (k)", "share of the gradient left", log_y=True, height=420,
                      data=traces)
    finish_log_axis(fig, floor, ceil)
    return fig
