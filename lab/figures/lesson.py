"""Figures of the lesson's steps (pure: a ``lab.models.lesson.Result`` in, a ``go.Figure`` out).

Two kinds of chart, both drawn from the result's own arrays: the share of the gradient left k steps back (log y,
as on the home page), with the goal as a dashed line on the last step; and hidden states h_t over time t.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import base_figure, finish_log_axis, log_limits, log_line, steps_back
from lab.theme import CELL_COLORS, LINE_WIDTH

SECOND_DASH = "dash"   # the second line of a step (a comparison) is dashed so the two read apart in greyscale
GOAL_COLOR = "#555555"


def shares_figure(lines: dict[str, tuple[str, np.ndarray]], *, goal: float | None = None) -> go.Figure:
    """Share of the gradient left against steps back k (log y). lines: label -> (cell kind for the colour,
    (T,) shares ordered by t = 1..T); ``goal``: a share drawn as a dashed horizontal line."""
    arrays = [np.asarray(y, dtype=np.float64) for _, y in lines.values()]
    floor, ceil = log_limits(*arrays, *([np.array([goal])] if goal else []))
    traces = []
    for i, (label, (kind, y)) in enumerate(lines.items()):
        traces += log_line(steps_back(len(y)), np.asarray(y, dtype=np.float64), name=label, color=CELL_COLORS[kind],
                           dash="solid" if i == 0 else SECOND_DASH, floor=floor, ceil=ceil, hover_x="k")
    if goal is not None:
        T = max(len(a) for a in arrays)
        traces.append(dict(type="scatter", x=[0, T - 1], y=[goal, goal], mode="lines", name=f"goal: {goal:g}",
                           line=dict(color=GOAL_COLOR, dash="dot", width=LINE_WIDTH * 0.7),
                           meta={"role": "goal"}, hovertemplate=f"goal {goal:g}<extra></extra>"))
    fig = base_figure(None, "steps back from the loss (k)", "share of the gradient left", log_y=True, height=460,
                      data=traces)
    finish_log_axis(fig, floor, ceil)
    return fig


def states_figure(lines: dict[str, tuple[str, np.ndarray]]) -> go.Figure:
    """Hidden state h_t against step t (one unit). lines: label -> (cell kind for the colour, (T,) h_t)."""
    traces = []
    for i, (label, (kind, h)) in enumerate(lines.items()):
        h = np.asarray(h, dtype=np.float64)
        traces.append(dict(type="scatter", x=np.arange(1, len(h) + 1), y=h, mode="lines", name=label,
                           line=dict(color=CELL_COLORS[kind], width=LINE_WIDTH, dash="solid" if i == 0 else SECOND_DASH),
                           hovertemplate=f"{label}<br>t = %{{x}}<br>h = %{{y:.4f}}<extra></extra>"))
    fig = base_figure(None, "step t", "hidden state h<sub>t</sub>", height=460, data=traces)
    fig.layout.yaxis.range = [-1.05, 1.05]
    return fig


def lesson_figure(result) -> go.Figure:
    """The chart of one step's result (``result.chart``: "shares" or "states")."""
    if result.chart == "states":
        return states_figure(result.lines)
    return shares_figure(result.lines, goal=result.goal_line)
