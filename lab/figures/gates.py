"""Figures for the gate-explorer page (pure builders: arrays in, ``go.Figure`` out, no Streamlit).

Time axes are 1-based steps t = 1..T (h_t is the state after reading x_t); units are numbered 1..H.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures.common import style_figure
from lab.theme import (CHART_HEIGHT, GATE_COLORS, LEGEND_ROW, MARGIN_COLORBAR, MARGIN_TITLE, OKABE_ITO, OKABE_ITO_ORDER,
                       SEQUENTIAL_SCALE)

BASE_COLOR = "#999999"   # the un-intervened run, drawn dashed grey under the intervened one


def _steps(T: int) -> np.ndarray:
    return np.arange(1, T + 1)


def gate_heatmaps(r: np.ndarray, z: np.ndarray, *, height: int = CHART_HEIGHT + 80) -> go.Figure:
    """Heatmaps of r_t and z_t over time (x) and unit (y). r, z: (T, H), values in [0, 1], one colour scale."""
    r = np.asarray(r, dtype=float)
    z = np.asarray(z, dtype=float)
    T, H = r.shape
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("reset gate r<sub>t</sub>", "update gate z<sub>t</sub> (share of h<sub>t−1</sub> kept)"))
    units = np.arange(1, H + 1)
    for row, (name, g) in enumerate((("r", r), ("z", z)), start=1):
        fig.add_trace(go.Heatmap(
            z=g.T.astype(np.float32), x=_steps(T), y=units, zmin=0.0, zmax=1.0, colorscale=SEQUENTIAL_SCALE,
            name=name, showscale=row == 1, colorbar=dict(title=dict(text="gate"), len=0.9, thickness=16),
            hovertemplate=f"{name}" + "<sub>t</sub> = %{z:.3f}<br>t = %{x}, unit %{y}<extra></extra>",
        ), row=row, col=1)
        fig.update_yaxes(title_text="unit", row=row, col=1, tickmode="array" if H <= 16 else "auto",
                         tickvals=units if H <= 16 else None, autorange="reversed")
    fig.update_xaxes(title_text="step t", row=2, col=1)
    fig.update_layout(height=height)
    return style_figure(fig, t=50, r=MARGIN_COLORBAR)


def state_lines(h: np.ndarray, h_base: np.ndarray | None = None, *, title: str = "hidden state h<sub>t</sub>",
                height: int = CHART_HEIGHT) -> go.Figure:
    """One line per unit of h (T, H); with ``h_base`` (T, H) the un-intervened run is drawn dashed under it."""
    h = np.asarray(h, dtype=float)
    T, H = h.shape
    fig = go.Figure()
    x = _steps(T)
    if h_base is not None:
        hb = np.asarray(h_base, dtype=float)
        for j in range(H):
            fig.add_trace(go.Scatter(x=x, y=hb[:, j], mode="lines", name="without intervention",
                                     legendgroup="base", showlegend=j == 0,
                                     line=dict(color=BASE_COLOR, dash="dash", width=2.5)))
    for j in range(H):
        fig.add_trace(go.Scatter(x=x, y=h[:, j], mode="lines", name=f"unit {j + 1}",
                                 line=dict(color=OKABE_ITO_ORDER[j % len(OKABE_ITO_ORDER)])))
    fig.update_layout(title=title, height=height, xaxis_title="step t", yaxis_title="h<sub>t</sub>",
                      yaxis_range=[-1.05, 1.05], legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return style_figure(fig, t=MARGIN_TITLE - 40, b=84 + 5 * LEGEND_ROW)


def saturation_chart(shares: dict[str, tuple[float, float, float]], eps: float = 0.05, *,
                     height: int = 340) -> go.Figure:
    """Stacked horizontal bars: per gate, the share of its values near 0 (< eps), in between, near 1 (> 1-eps).
    shares: gate name -> (near 0, between, near 1), each in [0, 1]."""
    names = list(shares)
    parts = (("near 0 (< %g)" % eps, 0, OKABE_ITO["blue"]), ("in between", 1, "#BBBBBB"),
             ("near 1 (> %g)" % (1 - eps), 2, OKABE_ITO["orange"]))
    fig = go.Figure()
    for label, k, color in parts:
        vals = np.array([100.0 * shares[g][k] for g in names])
        fig.add_trace(go.Bar(y=[f"{g}<sub>t</sub>" for g in names], x=vals, orientation="h", name=label,
                             marker_color=color, text=[f"{v:.0f}%" for v in vals], textposition="inside",
                             insidetextanchor="middle", hovertemplate="%{y}: %{x:.1f}%<extra>" + label + "</extra>"))
    fig.update_layout(barmode="stack", height=height,
                      xaxis=dict(range=[0, 101], tickvals=[0, 25, 50, 75, 100], title="share of gate values (%)"),
                      yaxis=dict(autorange="reversed"),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="normal"))
    return style_figure(fig, t=64 + 2 * LEGEND_ROW, l=70)


def intervention_effect(diff: np.ndarray, force_step: int | None = None, *, height: int = 340) -> go.Figure:
    """||h_t(intervened) - h_t(original)||_2 per step, diff (T,); a marker line at the forced step if any."""
    diff = np.asarray(diff, dtype=float)
    fig = go.Figure(go.Scatter(x=_steps(diff.shape[0]), y=diff, mode="lines", name="difference",
                               line=dict(color=OKABE_ITO["vermillion"]),
                               hovertemplate="t = %{x}: %{y:.3g}<extra></extra>"))
    if force_step is not None:
        fig.add_vline(x=force_step, line=dict(color=BASE_COLOR, dash="dot", width=2),
                      annotation_text=f"forced at t = {force_step}", annotation_position="top right")
    fig.update_layout(title="effect of the intervention: ‖h<sub>t</sub> − h<sub>t</sub><sup>original</sup>‖",
                      height=height, xaxis_title="step t", yaxis_title="distance", yaxis_rangemode="tozero")
    return style_figure(fig, t=MARGIN_TITLE - 40)


def scalar_lines(x: np.ndarray, r: np.ndarray, z: np.ndarray, n: np.ndarray, h: np.ndarray,
                 h_base: np.ndarray | None = None, *, height: int = CHART_HEIGHT + 60) -> go.Figure:
    """The scalar GRU over time: input x_t on top; r_t, z_t, n_t and h_t below. All arrays (T,)."""
    T = len(h)
    t = _steps(T)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.25, 0.75], vertical_spacing=0.08)
    fig.add_trace(go.Scatter(x=t, y=np.asarray(x, float), mode="lines+markers" if T <= 60 else "lines",
                             name="input x<sub>t</sub>", line=dict(color=BASE_COLOR)), row=1, col=1)
    if h_base is not None:
        fig.add_trace(go.Scatter(x=t, y=np.asarray(h_base, float), mode="lines", name="h<sub>t</sub> without intervention",
                                 line=dict(color=BASE_COLOR, dash="dash", width=2.5)), row=2, col=1)
    for name, v, dash in (("r", r, "dot"), ("z", z, "dash"), ("n", n, "dashdot"), ("h", h, "solid")):
        fig.add_trace(go.Scatter(x=t, y=np.asarray(v, float), mode="lines", name=f"{name}<sub>t</sub>",
                                 line=dict(color=GATE_COLORS[name], dash=dash,
                                           width=4.5 if name == "h" else 3)), row=2, col=1)
    fig.update_yaxes(title_text="x<sub>t</sub>", row=1, col=1)
    fig.update_yaxes(title_text="value", range=[-1.05, 1.05], row=2, col=1)
    fig.update_xaxes(title_text="step t", row=2, col=1)
    fig.update_layout(height=height, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return style_figure(fig)


def cobweb_figure(h_grid: np.ndarray, f_grid: np.ndarray, fixed: Sequence, cob_x: np.ndarray, cob_y: np.ndarray,
                  *, x_const: float, height: int = CHART_HEIGHT + 120) -> go.Figure:
    """The map h_t -> h_{t+1} of a scalar GRU under constant input, the diagonal, its fixed points (filled =
    stable, |f'| < 1; open = unstable) and the cobweb path of one trajectory.

    h_grid, f_grid: (N,) the map; fixed: FixedPoint-like objects with .h, .slope, .stable; cob_x, cob_y: the path."""
    fig = go.Figure()
    lo, hi = float(np.min(h_grid)), float(np.max(h_grid))
    pad = 0.04 * (hi - lo)
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="h<sub>t+1</sub> = h<sub>t</sub>",
                             line=dict(color=BASE_COLOR, dash="dash", width=2)))
    fig.add_trace(go.Scatter(x=h_grid, y=f_grid, mode="lines", name="map f(h) = next state",
                             line=dict(color=GATE_COLORS["h"], width=4)))
    fig.add_trace(go.Scatter(x=cob_x, y=cob_y, mode="lines", name="cobweb of the trajectory",
                             line=dict(color=OKABE_ITO["vermillion"], width=2)))
    if len(cob_x):
        fig.add_trace(go.Scatter(x=[cob_x[0]], y=[cob_y[0]], mode="markers", name="start h<sub>0</sub>",
                                 marker=dict(color=OKABE_ITO["vermillion"], size=13, symbol="diamond")))
    st_ = [p for p in fixed if p.stable]
    un_ = [p for p in fixed if not p.stable]
    for pts, name, symbol in ((st_, "stable fixed point (memory)", "circle"),
                              (un_, "unstable fixed point", "circle-open")):
        if pts:
            fig.add_trace(go.Scatter(
                x=[p.h for p in pts], y=[p.h for p in pts], mode="markers", name=name,
                marker=dict(color=OKABE_ITO["bluish_green"], size=17, symbol=symbol, line=dict(width=3,
                            color=OKABE_ITO["bluish_green"])),
                cliponaxis=False,
                customdata=np.array([[p.slope] for p in pts]),
                hovertemplate="h* = %{x:.4f}<br>f'(h*) = %{customdata[0]:.3f}<extra></extra>"))
    fig.update_layout(title=f"map h<sub>t</sub> → h<sub>t+1</sub> at constant input x = {x_const:g}",
                      height=height,
                      xaxis=dict(title="h<sub>t</sub>", range=[lo - pad, hi + pad], constrain="domain"),
                      yaxis=dict(title="h<sub>t+1</sub>", range=[lo - pad, hi + pad], scaleanchor="x", scaleratio=1,
                                 constrain="domain"),
                      legend=dict(orientation="h", yanchor="top", y=-0.14, x=0))
    return style_figure(fig, t=MARGIN_TITLE - 40, b=84 + 110)
