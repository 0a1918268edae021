"""Figures for the gate-explorer page (pure builders: arrays in, ``go.Figure`` out, no Streamlit, no maths).

Time axes are 1-based steps t = 1..T (h_t is the state after reading x_t); units are numbered 1..H. Every legend
sits in one row above its plot (never under an axis title); figures are built unvalidated in one call
(``lab.figures.stepper.figure``) and validated in the tests.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import bottom_legend, slim_colorbar
from lab.figures.stepper import _line, _rows, axis, figure
from lab.theme import (AXIS_TEXT_COLOR, CHART_HEIGHT, FONT_SIZE, GATE_COLORS, LEGEND_ROW,
                       MARGIN_COLORBAR_SLIM, MARGIN_LEFT_SHORT, OKABE_ITO, OKABE_ITO_ORDER, SEQUENTIAL_SCALE)

BASE_COLOR = "#555555"   # the run without intervention: the line that matters, drawn widest and on top
TOP_LEGEND = dict(orientation="h", yanchor="bottom", y=1.02, x=0)


def _steps(T: int) -> np.ndarray:
    return np.arange(1, T + 1)


def _title(text: str) -> dict:
    return dict(text=text, font=dict(size=FONT_SIZE, color=AXIS_TEXT_COLOR))


def gate_heatmaps(r: np.ndarray, z: np.ndarray, *, height: int = CHART_HEIGHT + 80) -> go.Figure:
    """Heatmaps of r_t and z_t over time (x) and unit (y). r, z: (T, H), values in [0, 1], one colour scale.
    Panel titles start at the chart's left edge (over the unit axis), so they fit a phone's width."""
    r, z = np.asarray(r, dtype=float), np.asarray(z, dtype=float)
    T, H = r.shape
    units = np.arange(1, H + 1)
    data = [dict(type="heatmap", z=g.T.astype(np.float32), x=_steps(T), y=units, zmin=0.0, zmax=1.0,
                 colorscale=SEQUENTIAL_SCALE, name=name, showscale=row == 1, xaxis="x" if row == 1 else "x2",
                 yaxis="y" if row == 1 else "y2", colorbar=slim_colorbar("gate", len=0.9),
                 hovertemplate=f"{name}" + "<sub>t</sub> = %{z:.3f}<br>t = %{x}, unit %{y}<extra></extra>")
            for row, (name, g) in enumerate((("r", r), ("z", z)), start=1)]
    layout = _rows(0.5, gap=0.16)
    ticks = dict(tickmode="array", tickvals=units) if H <= 16 else {}
    for k in ("yaxis", "yaxis2"):
        layout[k].update(title=_title("unit"), autorange="reversed", **ticks)
    titles = [dict(text=text, x=0, y=y, xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                   xshift=8 - MARGIN_LEFT_SHORT, showarrow=False, font=dict(size=FONT_SIZE))
              for text, y in (("reset gate r<sub>t</sub>", 1.0),
                              ("update gate z<sub>t</sub> (share of h<sub>t−1</sub> kept)", 0.42))]
    return figure(data, height=height, margin=dict(t=40, l=MARGIN_LEFT_SHORT, r=MARGIN_COLORBAR_SLIM, b=70),
                  annotations=titles, **layout)


def state_lines(h: np.ndarray, h_base: np.ndarray | None = None, *, height: int = CHART_HEIGHT) -> go.Figure:
    """One line per unit of h (T, H) (hover names the unit; no legend row per unit); with ``h_base`` (T, H) the
    run without the intervention is drawn first, wide and grey, so the coloured lines show what moved."""
    h = np.asarray(h, dtype=float)
    T, H = h.shape
    x = _steps(T)
    data = []
    if h_base is not None:
        hb = np.asarray(h_base, dtype=float)
        data += [_line(x, hb[:, j], "without intervention", BASE_COLOR, width=6, legendgroup="base",
                       showlegend=j == 0, opacity=0.55) for j in range(H)]
    data += [_line(x, h[:, j], f"unit {j + 1}", OKABE_ITO_ORDER[j % len(OKABE_ITO_ORDER)], width=2.5,
                   showlegend=False) for j in range(H)]
    return figure(data, height=height, margin=dict(t=24 + LEGEND_ROW, b=70), legend=TOP_LEGEND,
                  xaxis=axis("step t"), yaxis=axis("h<sub>t</sub>", range=[-1.05, 1.05]))


def saturation_chart(shares: dict[str, tuple[float, float, float]], eps: float = 0.05, *,
                     height: int = 300) -> go.Figure:
    """Stacked horizontal bars: per gate, the share of its values near 0 (< eps), in between, near 1 (> 1-eps).
    shares: gate name -> (near 0, between, near 1), each in [0, 1]."""
    names = list(shares)
    parts = (("near 0 (< %g)" % eps, 0, OKABE_ITO["blue"]), ("in between", 1, "#BBBBBB"),
             ("near 1 (> %g)" % (1 - eps), 2, OKABE_ITO["orange"]))
    data = []
    for label, k, color in parts:
        vals = np.array([100.0 * shares[g][k] for g in names])
        data.append(dict(type="bar", y=[f"{g}<sub>t</sub>" for g in names], x=vals, orientation="h", name=label,
                         marker_color=color, text=[f"{v:.0f}%" for v in vals], textposition="inside",
                         insidetextanchor="middle", hovertemplate="%{y}: %{x:.1f}%<extra>" + label + "</extra>"))
    return figure(data, height=height, margin=dict(t=20 + 2 * LEGEND_ROW, l=70, b=70), barmode="stack",
                  legend=dict(TOP_LEGEND, traceorder="normal"), yaxis=axis(None, autorange="reversed"),
                  xaxis=axis("share of gate values (%)", range=[0, 101], tickvals=[0, 25, 50, 75, 100]))


def intervention_effect(diff: np.ndarray, force_step: int | None = None, *, height: int = 300) -> go.Figure:
    """‖h_t(intervened) − h_t(original)‖₂ per step, diff (T,); a marker line at the forced step if any."""
    diff = np.asarray(diff, dtype=float)
    data = [_line(_steps(diff.shape[0]), diff, "difference", OKABE_ITO["vermillion"], showlegend=False,
                  hovertemplate="t = %{x}: %{y:.3g}<extra></extra>")]
    shapes, notes = [], []
    if force_step is not None:
        shapes.append(dict(type="line", x0=force_step, x1=force_step, y0=0, y1=1, xref="x", yref="paper",
                           line=dict(color=BASE_COLOR, dash="dot", width=2)))
        notes.append(dict(x=force_step, y=1, xref="x", yref="paper", xanchor="left", yanchor="bottom",
                          text=f" forced at t = {force_step}", showarrow=False, font=dict(size=FONT_SIZE - 2)))
    return figure(data, height=height, margin=dict(t=36, b=70), shapes=shapes, annotations=notes,
                  xaxis=axis("step t"), yaxis=axis("distance", rangemode="tozero"))


def scalar_lines(x: np.ndarray, r: np.ndarray, z: np.ndarray, n: np.ndarray, h: np.ndarray,
                 h_base: np.ndarray | None = None, *, height: int = CHART_HEIGHT + 60) -> go.Figure:
    """The scalar GRU over time: input x_t on top; r_t, z_t, n_t and h_t below. All arrays (T,).

    With ``h_base`` (the run without the intervention) that line is drawn widest, solid and on top, so the gates
    near 1 can never hide it; the gates are then drawn thinner. At most four legend entries per legend: r, z, n, h
    above the chart; the input is named by its axis title; the run without intervention in a legend under the
    chart, where the bottom margin leaves it room."""
    t = _steps(len(h))
    thin = h_base is not None
    data = [_line(t, x, "input x<sub>t</sub>", "#777777", mode="lines+markers" if len(t) <= 60 else "lines",
                  marker=dict(size=6), showlegend=False)]
    data += [_line(t, v, f"{g}<sub>t</sub>", GATE_COLORS[g], axes=2, dash=dash, width=2 if thin else 3)
             for g, v, dash in (("r", r, "dot"), ("z", z, "dash"), ("n", n, "dashdot"))]
    data.append(_line(t, h, "h<sub>t</sub>", GATE_COLORS["h"], axes=2, width=4.5))
    if thin:
        data.append(_line(t, h_base, "h<sub>t</sub> without intervention", BASE_COLOR, axes=2, width=6.5,
                          opacity=0.8, legend="legend2"))
    layout = _rows(0.25)
    layout["yaxis"]["title"] = _title("input x<sub>t</sub>")
    layout["yaxis2"].update(range=[-1.05, 1.05], title=_title("value"))
    return figure(data, height=height + LEGEND_ROW, margin=dict(t=20 + LEGEND_ROW, b=70 + LEGEND_ROW),
                  legend=TOP_LEGEND, legend2=bottom_legend(), **layout)


def cobweb_figure(h_grid: np.ndarray, f_grid: np.ndarray, fixed: Sequence, cob_x: np.ndarray, cob_y: np.ndarray,
                  *, x_const: float, height: int = CHART_HEIGHT + 120) -> go.Figure:
    """The map h_t -> h_{t+1} of a scalar GRU under constant input, the diagonal, its fixed points (filled =
    stable, |f'| < 1; open = unstable) and the cobweb path of one trajectory.

    h_grid, f_grid: (N,) the map; fixed: FixedPoint-like objects with .h, .slope, .stable; cob_x, cob_y: the path.
    x_const is named in the x axis title (the legend sits above the square plot). At most four legend entries: the
    map, the cobweb with its start, the stable and the unstable fixed points; the dashed diagonal h_{t+1} = h_t
    is named in its hover and in the reading note."""
    lo, hi = float(np.min(h_grid)), float(np.max(h_grid))
    pad = 0.04 * (hi - lo)
    data = [_line([lo, hi], [lo, hi], "h<sub>t+1</sub> = h<sub>t</sub>", "#999999", dash="dash", width=2,
                  showlegend=False),
            _line(h_grid, f_grid, "map f(h) = next state", GATE_COLORS["h"], width=4),
            _line(cob_x, cob_y, "cobweb of the trajectory", OKABE_ITO["vermillion"], width=2, legendgroup="cobweb")]
    if len(cob_x):
        data.append(dict(type="scatter", x=[cob_x[0]], y=[cob_y[0]], mode="markers", name="start h<sub>0</sub>",
                         legendgroup="cobweb", showlegend=False,
                         marker=dict(color=OKABE_ITO["vermillion"], size=13, symbol="diamond")))
    for stable, name, symbol in ((True, "stable fixed point (memory)", "circle"),
                                 (False, "unstable fixed point", "circle-open")):
        pts = [p for p in fixed if p.stable == stable]
        if pts:
            data.append(dict(type="scatter", x=[p.h for p in pts], y=[p.h for p in pts], mode="markers", name=name,
                             marker=dict(color=OKABE_ITO["bluish_green"], size=17, symbol=symbol,
                                         line=dict(width=3, color=OKABE_ITO["bluish_green"])), cliponaxis=False,
                             customdata=np.array([[p.slope] for p in pts]),
                             hovertemplate="h* = %{x:.4f}<br>f'(h*) = %{customdata[0]:.3f}<extra></extra>"))
    rng = [lo - pad, hi + pad]
    return figure(data, height=height, margin=dict(t=20 + 3 * LEGEND_ROW, b=70), legend=TOP_LEGEND,
                  xaxis=axis(f"h<sub>t</sub>   (input held at x = {x_const:g})", range=rng, constrain="domain"),
                  yaxis=axis("h<sub>t+1</sub>", range=rng, scaleanchor="x", scaleratio=1, constrain="domain"))
