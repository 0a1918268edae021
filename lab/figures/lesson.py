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


def over_time(lines: dict[str, tuple[str, np.ndarray]], *, x: dict[str, np.ndarray] | None = None, x_title: str,
              y_title: str, y_range: tuple[float, float], guide: tuple[float, str] | None = None) -> go.Figure:
    """Lines over time. lines: label -> (cell kind for the colour, (n,) values); x: label -> (n,) x values (default
    1..n); guide: (y, text) drawn as a dotted horizontal line (e.g. chance)."""
    traces = []
    for i, (label, (kind, y)) in enumerate(lines.items()):
        y = np.asarray(y, dtype=np.float64)
        xs = np.asarray(x[label]) if x else np.arange(1, len(y) + 1)
        traces.append(dict(type="scatter", x=xs, y=y, mode="lines", name=label,
                           line=dict(color=CELL_COLORS[kind], width=LINE_WIDTH, dash="solid" if i == 0 else SECOND_DASH),
                           hovertemplate=f"{label}<br>%{{x}}: %{{y:.3f}}<extra></extra>"))
    if guide is not None:
        traces.append(dict(type="scatter", x=[0, max((len(y) for _, y in lines.values()), default=1)], y=[guide[0]] * 2,
                           mode="lines", name=guide[1], line=dict(color=GOAL_COLOR, dash="dot", width=LINE_WIDTH * 0.7),
                           meta={"role": "guide"}, hovertemplate=f"{guide[1]}<extra></extra>"))
        if x:
            traces[-1]["x"] = [0, max(float(np.max(v)) if len(v) else 1.0 for v in x.values())]
    fig = base_figure(None, x_title, y_title, height=460, data=traces)
    fig.layout.yaxis.range = list(y_range)
    return fig


def lesson_figure(result, *, chance: float | None = None) -> go.Figure:
    """The chart of one step's result, by ``result.chart``: "shares", "states", "accuracy" or "gates"."""
    if result.chart == "states":
        return states_figure(result.lines)
    if result.chart == "accuracy":
        return over_time(result.lines, x=result.x, x_title="training step", y_title="held-out accuracy", y_range=(0, 1.02),
                         guide=None if chance is None else (chance, f"chance {chance:.0%}"))
    if result.chart == "gates":
        return over_time(result.lines, x_title="step t", y_title="update gate z<sub>t</sub>", y_range=(0, 1.02))
    return shares_figure(result.lines, goal=result.goal_line)
