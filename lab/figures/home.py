"""Home page figure: how much of the gradient is left k steps back, RNN vs GRU (draws only: arrays in, figure out)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import base_figure, finish_log_axis, log_limits, log_line, steps_back
from lab.theme import CELL_COLORS, CELL_DASH, CELL_LABELS


def gradient_over_distance(shares: Mapping[str, np.ndarray], *, title: str | None = None) -> go.Figure:
    """One line per cell kind: share of the gradient left against steps back from the loss (log y).

    shares: kind -> (T,) array ordered by time t = 1..T (``gru_core.analysis.gradient_share``); plotted against
    k = T - t, so k = 0 is the step where the loss is taken. No title by default: the page's heading names the
    chart (a Plotly title is cut off on a phone)."""
    floor, ceil = log_limits(*shares.values())
    traces = []
    for kind, y in shares.items():
        traces += log_line(steps_back(len(y)), np.asarray(y, dtype=np.float64), name=CELL_LABELS.get(kind, kind),
                           color=CELL_COLORS[kind], dash=CELL_DASH.get(kind, "solid"), floor=floor, ceil=ceil,
                           hover_x="k")
    fig = base_figure(title, "steps back from the loss (k)", "share of the gradient left", log_y=True, height=420,
                      data=traces)
    finish_log_axis(fig, floor, ceil)
    return fig
