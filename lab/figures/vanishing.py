"""The vanishing-gradient page's figures: a result from ``lab.models.vanishing`` in, a ``go.Figure`` out.

Builders only draw (no engine calls, no gradient maths, nothing stored for the page to read back): the numbers come
from ``lab.models.vanishing`` (which calls ``gru_core.analysis``), the words from ``lab.models.vanishing_text``.

    gradient_norm_figure(res)      ||dL/dh_t|| per cell against steps back k, the RNN's ceiling; GRU gate panel below
    unit_heatmap_figure(res)       |dL/dh_t| per unit, one panel per cell
    phase_figure(phases, sigma)    ||dh_T/dh_t|| over (sigma_max, k), RNN and GRU
    clipping_figure(clip)          an RNN's per-step parameter-gradient contributions, raw and clipped

Exact zeros (underflow) sit on the bottom edge, inf/NaN (overflow) on the top edge (lab.figures.common). Labels
use Unicode and Plotly's <sub>/<sup> (Plotly in Streamlit does not typeset TeX).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import (base_figure, finish_log_axis, log_axis, log_heatmap, log_limits, log_line,
                                panel_axes, panel_figure, sci, steps_back)
from lab.models.vanishing import CellCurves, Clipping, PhaseData, Result
from lab.theme import (CELL_COLORS, CELL_LABELS, CHART_HEIGHT, DIVERGING_SCALE, GATE_COLORS, LEGEND_ROW,
                       LEGEND_SIZE, LINE_WIDTH, MARGIN, MARGIN_COLORBAR, TICK_SIZE)

PHASE_DECADES = 16  # phase colours saturate at 1e-16 and 1e16 (float64 keeps about 16 digits)
PHASE_BAR_PX = 96  # the phase chart's colour bar under its panels: bar, ticks and title
HEATMAP_TEXT_CELLS = 60_000  # above this many heatmap cells per figure, hover text (true values) is left out
BOUND_HEADROOM = 2  # decades the RNN's ceiling may widen the axis above the data (it is not data)
SHARE_COLOR = "#CC79A7"  # Okabe-Ito reddish purple: not a cell colour, so the share is not read as a cell
K_TITLE = "steps back from the loss, k = T − t"
GRAD_TITLE = "‖∂L/∂h<sub>t</sub>‖ (log scale)"
DIRECT_ONLY = "GRU through diag(z) alone"


def _message_note(text: str, y: float = 0.86) -> dict:
    """A clear message written on the chart (e.g. overflow), as an annotation dict."""
    return dict(text=text, xref="paper", yref="paper", x=0.5, y=y, xanchor="center", yanchor="top", showarrow=False,
                font=dict(size=TICK_SIZE), bgcolor="rgba(213,94,0,0.15)", bordercolor="#D55E00", borderwidth=1.5,
                borderpad=6, name="message")


def _message(fig: go.Figure, text: str) -> None:
    fig.add_annotation(_message_note(text))


def _decades(axis, floor: float, ceil: float) -> None:
    """One tick per decade on a short log axis (Plotly would add 2 and 5 in between and crowd the labels); ``axis``:
    a layout axis or its dict."""
    if math.log10(ceil / floor) <= 8:
        axis.update(dtick=1)


def _limits(res: Result) -> tuple[float, float]:
    """Log-axis floor and ceiling: every curve drawn, plus up to BOUND_HEADROOM decades of the RNN's ceiling."""
    gru = res.get("gru")
    floor, ceil = log_limits(*(c.grad_norm for c in res.curves.values()),
                             *([gru.direct_only] if gru is not None else []), lowest=1e-323)
    rnn = res.get("rnn")
    if rnn is not None:
        b = rnn.bound[np.isfinite(rnn.bound) & (rnn.bound > 0)]
        if b.size:
            ceil = max(ceil, 10.0 ** min(math.ceil(math.log10(b.max()) + 0.5), math.log10(ceil) + BOUND_HEADROOM, 300))
    return floor, ceil


def _bound_trace(rnn: CellCurves, floor: float, ceil: float) -> dict:
    """The RNN's ceiling (Pascanu bound): where it leaves the axis it is simply not drawn (it is not data)."""
    b = np.where(np.isfinite(rnn.bound) & (rnn.bound <= ceil), np.maximum(rnn.bound, floor), np.nan)
    return dict(type="scatter", x=steps_back(rnn.steps), y=b, customdata=rnn.bound, mode="lines",
                name=f"RNN ceiling, σ<sub>max</sub><sup>k</sup> (σ<sub>max</sub> = {rnn.sigma_max:.2f})",
                line=dict(color=CELL_COLORS["rnn"], width=2, dash="dot"), meta={"role": "bound", "name": "RNN bound"},
                hovertemplate="ceiling (Pascanu bound)<br>k = %{x}<br>%{customdata:.3g}<extra></extra>")


def _cell_name(c: CellCurves) -> str:
    """Legend text of a cell's line: its name and its measured average per-step factor."""
    return CELL_LABELS[c.kind] + (f" (×{c.rho:.2f} per step)" if math.isfinite(c.rho) else "")


def _gradient_traces(res: Result, floor: float, ceil: float) -> list[dict]:
    traces = []
    for kind, c in res.curves.items():
        line = log_line(steps_back(c.steps), c.grad_norm, name=CELL_LABELS[kind], color=CELL_COLORS[kind],
                        floor=floor, ceil=ceil, hover_x="k")
        line[0]["name"] = _cell_name(c)   # meta name stays the cell's label
        traces += line
    rnn, gru = res.get("rnn"), res.get("gru")
    if rnn is not None:
        traces.append(_bound_trace(rnn, floor, ceil))
    if gru is not None:
        direct = log_line(steps_back(gru.steps), gru.direct_only, name=DIRECT_ONLY, color=GATE_COLORS["z"],
                          dash="dash", width=2.5, floor=floor, ceil=ceil, hover_x="k")
        direct[0].update(legend="legend2", name="dashed, above: GRU via diag(z) only")
        traces += direct
    return traces


def _gate_traces(gru: CellCurves) -> list[dict]:
    """The GRU's update gate (10-90% band over units, mean) and the direct path's share, on panel 2 (legend 2)."""
    zc, k = GATE_COLORS["z"], steps_back(gru.steps)
    line = dict(type="scatter", mode="lines", legend="legend2", **panel_axes(2))
    return [
        dict(line, x=k, y=gru.z_hi, line=dict(width=0, color=zc), showlegend=False, hoverinfo="skip",
             legendgroup="z", meta={"role": "z_hi"}),
        dict(line, x=k, y=gru.z_lo, line=dict(width=0, color=zc), fill="tonexty", fillcolor="rgba(230,159,0,0.30)",
             showlegend=False, legendgroup="z", name="z: 10–90% of units", meta={"role": "z_lo"}, hoverinfo="skip"),
        dict(line, x=k, y=gru.z_mean, line=dict(color=zc, width=LINE_WIDTH), name="update gate z (band: 10–90% of units)",
             legendgroup="z", meta={"role": "z_mean"}, hovertemplate="k = %{x}<br>mean z = %{y:.3f}<extra></extra>"),
        dict(line, x=k, y=gru.share, line=dict(color=SHARE_COLOR, width=LINE_WIDTH, dash="dashdot"),
             name="direct path's share of the step Jacobian", meta={"role": "share"},
             hovertemplate="k = %{x}<br>direct-path share = %{y:.3f}<extra></extra>"),
    ]


def _gate_range(gru: CellCurves) -> list[float]:
    """The lower panel's y-range: [0, 1] unless every value sits high (a gate held open), then zoom to the data."""
    with np.errstate(all="ignore"):
        lo = float(np.nanmin(np.concatenate([gru.z_lo, gru.share])))
    if not math.isfinite(lo) or lo < 0.5:
        return [0.0, 1.02]
    return [max(0.0, math.floor(lo * 20) / 20 - 0.05), 1.005]


def _two_panels(gru: CellCurves, traces: list[dict], layout: dict) -> go.Figure:
    height, top, bottom = CHART_HEIGHT + 320, 64 + 2 * LEGEND_ROW, 84 + 3 * LEGEND_ROW
    below_x_title = -72 / (height - top - bottom)   # paper units: 72 px under the plot area, past the axis title
    title = dict(text="GRU: gate z, direct share", x=0, xref="paper", xanchor="left", y=0.4 * 0.87, yref="paper",
                 yanchor="bottom", showarrow=False, font=dict(size=TICK_SIZE), name="panel_title")
    layout = dict(layout, annotations=[title, *layout["annotations"]],
                  yaxis2=dict(type="linear", range=_gate_range(gru)),
                  legend2=dict(orientation="h", x=0, xanchor="left", y=below_x_title, yanchor="top",
                               font=dict(size=LEGEND_SIZE)))
    return panel_figure(2, along="rows", spacing=0.13, sizes=[0.6, 0.4], height=height,
                        data=traces + _gate_traces(gru), margin=dict(t=top, b=bottom), layout=layout,
                        axis_titles={"yaxis": GRAD_TITLE, "yaxis2": "z, share", "xaxis2": K_TITLE})


def gradient_norm_figure(res: Result, message: str | None = None) -> go.Figure:
    """Chart 1 (with the GRU's gate panel below it when a GRU is among the cells).

    Top: ||dL/dh_t|| against steps back k, one solid line per cell (log y), each legend entry with its measured
    per-step factor; dotted: the RNN's ceiling sigma_max^k (Pascanu bound); dashed: the GRU's gradient through
    diag(z_t) alone. Bottom (GRU): its update gate z_t (mean, 10-90% band) and the direct path's share of the step
    Jacobian, on the same k. Two legends of at most four entries: the cells and the ceiling above the chart, the
    GRU's explanation (gate, share, dashed line) below it. ``message``: a sentence written on the chart.
    Built as one layout dict (no updates afterwards)."""
    floor, ceil = _limits(res)
    traces = _gradient_traces(res, floor, ceil)
    gru = res.get("gru")
    yaxis, shapes, notes = log_axis(floor, ceil, traces)
    yaxis.update(exponentformat="power")
    _decades(yaxis, floor, ceil)
    if message:
        notes.append(_message_note(message, y=0.98 if gru is not None else 0.86))
    layout = dict(yaxis=yaxis, shapes=shapes, annotations=notes)
    if gru is None:
        return base_figure(None, K_TITLE, GRAD_TITLE, log_y=True, legend_rows=2, data=traces, layout=layout)
    return _two_panels(gru, traces, layout)


def unit_heatmap_figure(res: Result, message: str | None = None) -> go.Figure:
    """Chart 2: |dL/dh_t| per unit (y) and steps back (x), one panel per cell, one shared log colour scale."""
    kinds = list(res.curves)
    n = len(kinds)
    fig = panel_figure(n, titles=[CELL_LABELS[k] for k in kinds], legend=False, spacing=0.04,
                       margin=dict(r=MARGIN_COLORBAR + 30))
    floor, ceil = log_limits(*(c.grad_abs for c in res.curves.values()), pad_decades=0.0, min_span_decades=1.0)
    traces = []
    for j, kind in enumerate(kinds, start=1):
        c = res.curves[kind]
        T, H = c.grad_abs.shape
        hm = log_heatmap(c.grad_abs.T[:, ::-1], x=steps_back(T)[::-1], y=np.arange(1, H + 1),
                         colorbar_title="log<sub>10</sub> |∂L/∂h|", floor=floor, ceil=ceil, name=CELL_LABELS[kind],
                         hover_x="k", hover_y="unit")
        hm.update(showscale=(j == n), meta={**hm.meta, "kind": kind}, **panel_axes(j))
        if n * T * H > HEATMAP_TEXT_CELLS:  # big maps: hover shows log10 only, and the chart stays ~1 MB, not ~7 MB
            hm.update(z=np.asarray(hm.z, dtype=np.float32), text=None, customdata=None,
                      hovertemplate="k = %{x}<br>unit = %{y}<br>log10 |∂L/∂h| = %{z:.2f}<extra></extra>")
        traces.append(hm)
        fig.layout["xaxis" if j == 1 else f"xaxis{j}"].title.text = "steps back k"
    fig.add_traces(traces)
    fig.layout.yaxis.title.text = "hidden unit"
    if message:
        _message(fig, message)
    return fig


def _edge(p: PhaseData, kk: np.ndarray, z: np.ndarray, j: int) -> go.Contour | None:
    """The black level-1 contour (the edge between vanishing and exploding), if the map crosses it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lz = np.log10(np.where(np.isfinite(z) & (z > 0), z, np.nan))[1:]  # k = 0 is the identity: skip
    if not np.nanmin(lz, initial=np.inf) < 0 < np.nanmax(lz, initial=-np.inf):
        return None
    return go.Contour(z=lz, x=p.sigmas, y=kk[1:], contours=dict(start=0, end=0, size=1, coloring="none"),
                      line=dict(width=3, color="black"), showscale=False, hoverinfo="skip", name="‖∂h<sub>T</sub>/∂h<sub>t</sub>‖ = 1",
                      meta={"role": "edge", "kind": p.kind}, **panel_axes(j))


def phase_figure(phases: Mapping[str, PhaseData], current_sigma: Mapping[str, float] | None = None,
                 decades: float = PHASE_DECADES) -> go.Figure:
    """Chart 4: log10 ||dh_T/dh_t|| over (sigma_max of W_hh, steps back), one panel per kind, one diverging colour
    scale centred on 0 (= norm 1, the edge), with the level-0 contour; dashed: the page's sigma_max."""
    kinds = list(phases)
    current = current_sigma or {}
    titles = [CELL_LABELS[k] + (f"<br><sup>dashed: σ<sub>max</sub> = {current[k]:.2f}</sup>" if k in current else "")
              for k in kinds]
    # the colour bar lies under the panels, not beside them: beside them it took 210 px, and on a 390 px phone
    # left each panel about 15 px wide
    fig = panel_figure(len(kinds), titles=titles, legend=False, height=CHART_HEIGHT + 20 + PHASE_BAR_PX,
                       margin=dict(b=MARGIN["b"] + PHASE_BAR_PX), spacing=0.08)
    traces, shapes = [], []
    for j, kind in enumerate(kinds, start=1):
        p = phases[kind]
        kk, z = steps_back(p.steps)[::-1], p.jacobian_norm[::-1]  # rows: k = 0 .. T'-1, columns: sigma
        hm = log_heatmap(z, x=p.sigmas, y=kk, colorbar_title="log<sub>10</sub> ‖∂h<sub>T</sub>/∂h<sub>t</sub>‖",
                         floor=10.0 ** -decades, ceil=10.0 ** decades, colorscale=DIVERGING_SCALE,
                         name=CELL_LABELS[kind], hover_x="σ<sub>max</sub>", hover_y="k")
        hm.update(showscale=(j == len(kinds)), zmid=0.0, meta={**hm.meta, "kind": kind}, **panel_axes(j))
        hm.colorbar.update(orientation="h", x=0.5, xanchor="center", y=0.01, yanchor="bottom", yref="container",
                           len=1.0, thickness=16, title_side="bottom")
        traces += [t for t in (hm, _edge(p, kk, z, j)) if t is not None]
        ax = panel_axes(j)
        if kind in current:
            shapes.append(dict(type="line", x0=current[kind], x1=current[kind], y0=0, y1=1, xref=ax["xaxis"],
                               yref=f"{ax['yaxis']} domain", line=dict(color="#333333", width=2.5, dash="dash")))
        fig.layout["xaxis" if j == 1 else f"xaxis{j}"].update(title_text="σ<sub>max</sub>(W<sub>hh</sub>)",
                                                             range=[p.sigmas[0], p.sigmas[-1]])
    fig.add_traces(traces)
    fig.layout.shapes = shapes
    fig.layout.yaxis.title.text = "steps back k"
    return fig


def _level(fig: go.Figure, y: float, text: str, color: str, dash: str, role: str) -> None:
    """A horizontal line at y with a legend entry (the legend carries the text, so labels never overlap)."""
    if math.isfinite(y) and y > 0:
        fig.add_hline(y=y, line=dict(color=color, width=2, dash=dash))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=color, width=2, dash=dash),
                                 name=text, meta={"role": role, "value": y}))


def clipping_figure(clip: Clipping, message: str | None = None) -> go.Figure:
    """Chart 5: each step's contribution to the RNN's parameter gradient, raw and after norm clipping (log y), and
    the total gradient norm before and after. Clipping multiplies the WHOLE gradient by one factor, so every
    contribution moves down by the same amount on the log axis."""
    k = steps_back(len(clip.per_step))
    floor, ceil = log_limits(clip.per_step, clip.clipped,
                             np.array([clip.total_norm, clip.total_after, clip.threshold or np.nan]))
    traces = log_line(k, clip.per_step, name="step t's share of ∂L/∂θ, raw", color=CELL_COLORS["rnn"],
                      floor=floor, ceil=ceil, hover_x="k")
    if clip.threshold is not None:
        traces += log_line(k, clip.clipped, name="after clipping", color=CELL_COLORS["gru"], dash="dash",
                           floor=floor, ceil=ceil, hover_x="k")
    fig = base_figure(None, K_TITLE, "gradient norm (log scale)", log_y=True, legend_rows=2, data=traces)
    finish_log_axis(fig, floor, ceil)
    _decades(fig.layout.yaxis, floor, ceil)
    _level(fig, clip.total_norm, f"total ‖g‖ = {sci(clip.total_norm)}", CELL_COLORS["rnn"], "dot", "total_raw")
    if clip.active:
        _level(fig, clip.total_after, f"clipped ‖g‖ = c = {sci(clip.total_after)}", CELL_COLORS["gru"], "dashdot",
               "total_clipped")
    elif clip.threshold is not None:
        _level(fig, clip.threshold, f"threshold c = {sci(clip.threshold)} (not reached)", "#888888", "dashdot",
               "threshold")
    if message:
        _message(fig, message)
    return fig
