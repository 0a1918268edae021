"""Figures for the Train page (pure builders: numbers in, ``go.Figure`` out; no maths, no Streamlit).

Training curves use the 1-based training step on x; sequence pictures use the 1-based sequence step t = 1..T
(h_t is the state after reading x_t). Cell colours come from lab.theme so RNN/GRU/LSTM look the same everywhere.
Guide lines (chance, the memoryless baseline) are legend entries, so their label can never be covered by a line
or float away from it. At most four legend entries per legend: the cells above the chart; the guide line and what
a marker or line style means (rings: held-out; dotted: your settings) in a second legend under it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from lab.figures.common import (base_figure, bottom_legend, finish_log_axis, log_limits, log_line, panel_axes,
                                panel_figure, slim_colorbar, vline)
from lab.theme import (CELL_COLORS, CELL_LABELS, CHART_HEIGHT, LEGEND_ROW, MARGIN, MARGIN_COLORBAR_SLIM,
                       MARGIN_LEFT_SHORT, MARGIN_TITLE, MARKER_SIZE, SEQUENTIAL_SCALE, TITLE_SIZE)

GUIDE_COLOR = "#888888"
KEEP_TITLES = {"gru": "GRU update gate z<sub>t</sub> (share of h<sub>t−1</sub> kept)",
               "lstm": "LSTM forget gate f<sub>t</sub> (share of c<sub>t−1</sub> kept)",
               "mgu": "MGU 1 − f<sub>t</sub> (share of h<sub>t−1</sub> kept)",
               **{f"gru_type{i}": f"GRU type {i} update gate z<sub>t</sub> (share of h<sub>t−1</sub> kept)"
                  for i in (1, 2, 3)}}
RING = dict(size=MARKER_SIZE + 2, symbol="circle-open", line=dict(width=3))


def _label(kind: str) -> str:
    return CELL_LABELS.get(kind, kind)


def _guide(x_range: Sequence[float], y: float, text: str, role: str = "guide") -> dict:
    """A dashed horizontal guide line as an entry of the legend under the chart (the legend names it)."""
    return dict(type="scatter", x=list(x_range), y=[y, y], mode="lines", name=text, hoverinfo="skip",
                legend="legend2", line=dict(dash="dash", width=2, color=GUIDE_COLOR), meta={"role": role, "kind": ""})


def _key(name: str, **style) -> dict:
    """A legend-only entry (no data) of the legend under the chart, saying what a marker or line style means."""
    return dict(type="scatter", x=[None], y=[None], name=name, legend="legend2", meta={"role": "legend", "kind": ""},
                **style)


def _legend_below(height: int, **layout) -> dict:
    """Layout entries that leave room for the second legend (guide line, marker key) under the x-axis title: one
    row, two on a phone (``base_figure(..., layout=...)``); ``layout``: more entries."""
    return dict(legend2=bottom_legend(), margin=dict(b=MARGIN["b"] + 2 * LEGEND_ROW), height=height + LEGEND_ROW,
                **layout)


def training_curves(curves: Mapping[str, Mapping[str, np.ndarray]], metric: str, *, total_steps: int,
                    baseline: float, baseline_label: str, y_title: str, height: int = CHART_HEIGHT) -> go.Figure:
    """Loss (log y) or accuracy (%) against training step, one colour per cell.

    curves: kind -> {"step", "train" (the smoothed training curve, already in the axis unit), "eval_step",
    "eval" (held-out points)}; ``baseline``: chance (accuracy, %) or the memoryless loss, a dashed legend entry.
    The loss axis covers every value and the baseline (at least two decades)."""
    if metric not in ("loss", "accuracy"):
        raise ValueError(f"metric must be 'loss' or 'accuracy', got {metric!r}")
    is_loss = metric == "loss"
    x_end = max(int(total_steps), 1) * 1.02
    traces = [_guide((0, x_end), baseline, baseline_label)]
    for kind, c in curves.items():
        color, name = CELL_COLORS.get(kind, GUIDE_COLOR), _label(kind)
        traces.append(dict(type="scatter", x=c["step"], y=c["train"], mode="lines", name=name, legendgroup=kind,
                           line=dict(color=color), meta={"role": "train", "kind": kind},
                           hovertemplate=f"{name}<br>step %{{x}}<br>recent batches: %{{y:.3g}}<extra></extra>"))
        traces.append(dict(type="scatter", x=c["eval_step"], y=c["eval"], mode="markers", name=f"{name} (held-out)",
                           legendgroup=kind, showlegend=False, marker=dict(color=color, **RING),
                           meta={"role": "eval", "kind": kind},
                           hovertemplate=f"{name} held-out<br>step %{{x}}<br>%{{y:.3g}}<extra></extra>"))
    if curves:   # one legend entry for the rings of every cell
        traces.append(_key("held-out", mode="markers", marker=dict(color=GUIDE_COLOR, **RING)))
    if is_loss:
        values = [np.asarray(c[n], dtype=np.float64) for c in curves.values() for n in ("train", "eval")]
        floor, ceil = log_limits(*values, np.array([baseline]), pad_decades=0.3, min_span_decades=2.0)
        y_axis = dict(range=[float(np.log10(floor)), float(np.log10(ceil))], dtick=1)
    else:
        y_axis = dict(range=[0, 103], ticksuffix="%")
    return base_figure(None, "training step", y_title, log_y=is_loss, height=height, data=traces,
                       layout=_legend_below(height, xaxis=dict(range=[0, x_end]), yaxis=y_axis))


def _keep_heatmap(keep: np.ndarray, kind: str, *, colorbar: dict | None) -> dict:
    T, H = keep.shape
    return dict(type="heatmap", z=keep.T.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(1, H + 1),
                zmin=0.0, zmax=1.0, colorscale=SEQUENTIAL_SCALE, showscale=colorbar is not None,
                colorbar=colorbar or {}, meta={"role": "keep", "kind": kind}, name=kind,
                hovertemplate="t = %{x}, unit %{y}<br>kept %{z:.3f}<extra>" + _label(kind) + "</extra>")


def _heat_rows(heatmaps: list[dict], titles: list[str], *, height: int, spacing: float, margin: dict,
               sizes: list[float] | None = None, data: Sequence[dict] = ()) -> go.Figure:
    """Panels stacked on one sequence-step axis (one per title, panel 1 on top), built as one layout dict: the
    heatmaps on the first panels, units down their y-axes; ``data``: traces of further panels (``panel_axes``)."""
    n = len(titles)
    fig = panel_figure(n, along="rows", titles=titles, height=height, spacing=spacing, sizes=sizes, legend=False,
                       margin=margin, data=[dict(h, **panel_axes(i)) for i, h in enumerate(heatmaps, start=1)]
                       + list(data))
    for i in range(1, len(heatmaps) + 1):
        fig.layout[f"yaxis{'' if i == 1 else i}"].update(title_text="unit", autorange="reversed")
    fig.layout[f"xaxis{'' if n == 1 else n}"].title.text = "sequence step t"
    return fig


def keep_heatmaps(keeps: Mapping[str, np.ndarray], *, marks: Sequence[tuple[int, str]] = (),
                  height: int = CHART_HEIGHT + 60) -> go.Figure:
    """One heatmap per gated cell of its keep share (T, H) over sequence step (x) and unit (y), colour 0..1.

    marks: (step t, label) pairs drawn as dotted vertical lines (the reading guide names them)."""
    kinds = [k for k in keeps if keeps[k] is not None]
    if not kinds:
        raise ValueError("keeps: need at least one gated cell (GRU or LSTM)")
    bar = slim_colorbar("kept", len=0.42, y=1.0, yanchor="top")
    heat = [_keep_heatmap(np.asarray(keeps[k]), k, colorbar=bar if i == 0 else None) for i, k in enumerate(kinds)]
    fig = _heat_rows(heat, [KEEP_TITLES.get(k, k) for k in kinds], height=max(height, 300 * len(kinds)),
                     spacing=0.14, margin=dict(t=60, l=MARGIN_LEFT_SHORT, r=MARGIN_COLORBAR_SLIM))
    fig.layout.shapes = [vline(t, axis="" if i == 1 else str(i), color="#FFFFFF")
                         for i in range(1, len(kinds) + 1) for t, _ in marks]
    return fig


def gradient_shares(shares: Mapping[str, np.ndarray], *, marks: Sequence[tuple[int, str]] = (),
                    height: int = CHART_HEIGHT) -> go.Figure:
    """The share of the end gradient left at each step, ||dL/dh_t|| / ||dL/dh_T||, one line per cell, on an
    honest log axis (exact zeros at the floor, overflow at the ceiling). marks: labelled dotted lines."""
    floor, ceil = log_limits(*shares.values(), np.array([1.0]))
    traces = []
    for kind, g in shares.items():
        traces += log_line(np.arange(1, len(g) + 1), np.asarray(g, dtype=np.float64), name=_label(kind),
                           color=CELL_COLORS.get(kind, GUIDE_COLOR), floor=floor, ceil=ceil, hover_x="t")
    T = max((len(g) for g in shares.values()), default=1)
    notes = [dict(x=t, xref="x", y=0.5, yref="y domain", text=label, showarrow=False, textangle=-90,   # along the
                  xanchor="left" if t <= T / 2 else "right", font=dict(color=GUIDE_COLOR))           # line, away
             for t, label in marks]                                                   # from the ends the curves meet
    fig = base_figure(None, "sequence step t", "share of the end gradient", log_y=True, height=height, data=traces,
                      layout=dict(shapes=[vline(t, color=GUIDE_COLOR) for t, _ in marks], annotations=notes))
    finish_log_axis(fig, floor, ceil)
    return fig


def replay_figure(keep: np.ndarray, held_mean: np.ndarray, kind: str, *, title: str,
                  held_best: np.ndarray | None = None, marks: Sequence[tuple[int, str]] = (),
                  height: int = CHART_HEIGHT + 120) -> go.Figure:
    """Replay of one snapshot: keep-share heatmap (T, H) on top; below, the share of the step-1 memory still
    held at each step (``held_mean`` (T,), mean over units, solid; ``held_best`` (T,), the unit that holds best,
    dashed), named in the legend below the chart. A title "who: what" is set on two lines (it fits a phone)."""
    keep = np.asarray(keep)
    t = np.arange(1, keep.shape[0] + 1)
    color = CELL_COLORS.get(kind, GUIDE_COLOR)
    lines = [dict(type="scatter", x=t, y=held_mean, mode="lines", name="mean over units", line=dict(color=color),
                  meta={"role": "retention", "kind": kind}, **panel_axes(2),
                  hovertemplate="t = %{x}<br>held %{y:.3g} (mean)<extra></extra>")]
    if held_best is not None:
        lines.append(dict(type="scatter", x=t, y=held_best, mode="lines", name="best unit", **panel_axes(2),
                          line=dict(color=color, dash="dash"), meta={"role": "best", "kind": kind},
                          hovertemplate="t = %{x}<br>held %{y:.3g} (best unit)<extra></extra>"))
    heat = _keep_heatmap(keep, kind, colorbar=slim_colorbar("kept", len=0.55, y=0.75))
    fig = _heat_rows([heat],
                     [KEEP_TITLES.get(kind, kind), "memory of step 1 still held"], height=height, spacing=0.1,
                     sizes=[0.62, 0.38], data=lines, margin=dict(t=MARGIN_TITLE + LEGEND_ROW, l=MARGIN_LEFT_SHORT,
                                                                  r=MARGIN_COLORBAR_SLIM, b=88 + 2 * LEGEND_ROW))
    fig.layout.yaxis2.update(title_text="held", range=[0, 1.05], autorange=False)
    fig.layout.update(title=dict(text=title.replace(": ", ":<br>", 1), font=dict(size=TITLE_SIZE)),
                      showlegend=True, legend=bottom_legend(), shapes=[vline(x, axis="2", color=GUIDE_COLOR)
                                                                        for x, _ in marks])
    return fig


def accuracy_vs_delay(delays: Sequence[int], accuracy: Mapping[str, np.ndarray], *, chance: float,
                      spread: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
                      mine: tuple[Sequence[int], Mapping[str, Sequence[float]]] | None = None,
                      height: int = CHART_HEIGHT) -> go.Figure:
    """Held-out accuracy (%) against delay D, one line per cell (all values in %). ``spread``: kind -> (low,
    high) over seeds, drawn as error bars; ``mine``: (delays, kind -> accuracies) of an on-demand sweep, dotted
    with open markers (one legend entry "your settings" for all); chance dashed, named in the legend."""
    d = np.asarray(delays)
    x_all = list(d) + (list(mine[0]) if mine else [])
    traces = [_guide((min(x_all, default=0), max(x_all, default=1)), chance, f"chance {chance:.0f}%")]
    for kind, acc in accuracy.items():
        acc = np.asarray(acc, dtype=np.float64)
        err = None
        if spread and kind in spread:
            lo, hi = (np.asarray(v, dtype=np.float64) for v in spread[kind])
            err = dict(type="data", symmetric=False, array=hi - acc, arrayminus=acc - lo, thickness=2, width=6)
        traces.append(dict(type="scatter", x=d, y=acc, mode="lines+markers", name=_label(kind),
                           line=dict(color=CELL_COLORS.get(kind, GUIDE_COLOR)), error_y=err,
                           meta={"role": "delay", "kind": kind},
                           hovertemplate=_label(kind) + "<br>D = %{x}<br>%{y:.1f}%<extra></extra>"))
    mine_marker = dict(symbol="diamond-open", size=MARKER_SIZE + 3, line=dict(width=3))
    for kind, acc in (mine[1].items() if mine else ()):
        name = _label(kind) + " (your settings)"
        traces.append(dict(type="scatter", x=np.asarray(mine[0][:len(acc)]), y=np.asarray(acc, dtype=np.float64),
                           mode="lines+markers", name=name, line=dict(color=CELL_COLORS.get(kind, GUIDE_COLOR),
                                                                        dash="dot"),
                           marker=mine_marker, meta={"role": "mine", "kind": kind}, showlegend=False,
                           hovertemplate=name + "<br>D = %{x}<br>%{y:.1f}%<extra></extra>"))
    if mine and mine[1]:
        traces.append(_key("your settings", mode="lines+markers", marker=dict(mine_marker, color=GUIDE_COLOR),
                           line=dict(color=GUIDE_COLOR, dash="dot")))
    return base_figure(None, "delay D (steps from token to query)", "held-out accuracy", height=height, data=traces,
                       layout=_legend_below(height, yaxis=dict(range=[0, 103], ticksuffix="%")))


GATE_TITLES = {"r": "reset gate r", "z": "update gate z (share of h kept)", "n": "candidate n",
               "i": "input gate i", "f": "forget gate f (share of c kept)", "g": "candidate g", "o": "output gate o",
               "c": "cell state c", "h": "hidden state h"}
SIGNED = ("n", "g", "c", "h")


def gate_grid(gates: Mapping[str, np.ndarray], *, limits: Mapping[str, float] | None = None,
              height_per_row: int = 230) -> go.Figure:
    """Heatmaps of every gate (each (T, H)) of one model, one row per gate, sequence step on x, unit on y.

    Gates in [0, 1] (sigmoid) share a 0..1 scale; tanh quantities (n, g, c, h) a diverging -lim..lim one
    (``limits[name]``, default 1; the LSTM cell state c can exceed 1)."""
    names, limits, heat = list(gates), limits or {}, []
    for name in names:
        g = np.asarray(gates[name])
        T, H = g.shape
        signed, lim = name in SIGNED, float(limits.get(name, 1.0))
        heat.append(dict(type="heatmap", z=g.T.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(1, H + 1),
                         zmin=-lim if signed else 0.0, zmax=lim, colorscale="RdBu_r" if signed else SEQUENTIAL_SCALE,
                         showscale=False, meta={"role": "gate", "gate": name},
                         hovertemplate=f"{name}" + " = %{z:.3f}<br>t = %{x}, unit %{y}<extra></extra>"))
    return _heat_rows(heat, [GATE_TITLES.get(n, n) for n in names], height=80 + height_per_row * len(names),
                      spacing=0.25 / max(len(names), 1), margin=dict(t=50, l=MARGIN_LEFT_SHORT))
