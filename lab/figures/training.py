"""Figures for the Train page (pure builders: arrays in, ``go.Figure`` out, no Streamlit).

Training curves use the 1-based training step on x; sequence pictures use the 1-based sequence step t = 1..T
(h_t is the state after reading x_t). Cell colours come from lab.theme so RNN/GRU/LSTM look the same everywhere.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures.common import base_figure, finish_log_axis, fixed_margins, log_limits, log_line
from lab.theme import (CELL_COLORS, CELL_LABELS, CHART_HEIGHT, MARGIN_COLORBAR, MARGIN_TITLE, MARKER_SIZE,
                       SEQUENTIAL_SCALE, TICK_SIZE)

GUIDE_COLOR = "#888888"
KEEP_TITLES = {"gru": "GRU update gate z<sub>t</sub> (share of h<sub>t−1</sub> kept)",
               "lstm": "LSTM forget gate f<sub>t</sub> (share of c<sub>t−1</sub> kept)"}


def running_mean(y: np.ndarray, window: int = 20) -> np.ndarray:
    """Trailing mean over up to ``window`` points (the first points average what there is)."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    n = np.minimum(np.arange(1, y.size + 1), window)
    return (c[1:] - c[np.arange(1, y.size + 1) - n]) / n


def _guide(fig: go.Figure, y: float, text: str) -> None:
    fig.add_hline(y=y, line=dict(dash="dash", width=2, color=GUIDE_COLOR), annotation_text=text,
                  annotation_position="top right", annotation_font=dict(size=TICK_SIZE))


def training_curves(histories: Mapping[str, Mapping[str, np.ndarray]], metric: str, *, total_steps: int,
                    baseline: float, baseline_label: str, y_title: str, window: int = 20,
                    height: int = CHART_HEIGHT) -> go.Figure:
    """Loss (log y) or accuracy (0..100 %) against training step, one colour per cell.

    histories: kind -> History.arrays() (``step``, ``loss``, ``acc``, ``eval_step``, ``eval_loss``, ``eval_acc``).
    The line is the running mean of the training batches (``window`` steps); the dots are the held-out set.
    ``baseline``: the memoryless baseline (loss) or chance (accuracy, 0..1), drawn dashed."""
    if metric not in ("loss", "accuracy"):
        raise ValueError(f"metric must be 'loss' or 'accuracy', got {metric!r}")
    is_loss = metric == "loss"
    fig = base_figure(None, "training step", y_title, log_y=is_loss, height=height, legend_rows=2)
    scale = 1.0 if is_loss else 100.0
    values = []
    for kind, h in histories.items():
        color = CELL_COLORS.get(kind, GUIDE_COLOR)
        name = CELL_LABELS.get(kind, kind)
        y = np.asarray(h["loss" if is_loss else "acc"], dtype=np.float64)
        ey = np.asarray(h["eval_loss" if is_loss else "eval_acc"], dtype=np.float64)
        values += [y, ey]
        fig.add_trace(go.Scatter(
            x=np.asarray(h["step"]), y=running_mean(y, window) * scale, mode="lines", name=name,
            legendgroup=kind, line=dict(color=color), meta={"role": "train", "kind": kind},
            hovertemplate=f"{name}<br>step %{{x}}<br>mean of last {window} batches: %{{y:.3g}}<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=np.asarray(h["eval_step"]), y=ey * scale, mode="markers", name=f"{name} (held-out)",
            legendgroup=kind, showlegend=False, marker=dict(color=color, size=MARKER_SIZE + 2, symbol="circle-open", line=dict(width=3)),
            meta={"role": "eval", "kind": kind},
            hovertemplate=f"{name} held-out<br>step %{{x}}<br>%{{y:.3g}}<extra></extra>"))
    if histories:   # one legend entry for the rings of every cell
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="held-out",
                                 marker=dict(color=GUIDE_COLOR, size=MARKER_SIZE + 2, symbol="circle-open",
                                             line=dict(width=3)), meta={"role": "legend", "kind": ""}))
    fig.update_xaxes(range=[0, max(int(total_steps), 1) * 1.02])
    if is_loss:
        floor, ceil = log_limits(*values, np.array([baseline]), pad_decades=0.3, min_span_decades=2.0)
        fig.update_yaxes(range=[np.log10(floor), np.log10(ceil)], dtick=1)
        _guide(fig, baseline, baseline_label)
    else:
        fig.update_yaxes(range=[0, 103], ticksuffix="%")
        _guide(fig, baseline * 100.0, baseline_label)
    return fig


def keep_heatmaps(keeps: Mapping[str, np.ndarray], *, marks: Sequence[tuple[int, str]] = (),
                  height: int = CHART_HEIGHT + 60) -> go.Figure:
    """One heatmap per gated cell of its keep share (T, H) over sequence step (x) and unit (y), colour 0..1.

    marks: (step t, label) pairs drawn as vertical lines (e.g. the token and the query)."""
    kinds = [k for k in keeps if keeps[k] is not None]
    if not kinds:
        raise ValueError("keeps: need at least one gated cell (GRU or LSTM)")
    fig = make_subplots(rows=len(kinds), cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=[KEEP_TITLES.get(k, k) for k in kinds])
    for row, k in enumerate(kinds, start=1):
        g = np.asarray(keeps[k], dtype=np.float64)
        T, H = g.shape
        fig.add_trace(go.Heatmap(
            z=g.T.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(1, H + 1), zmin=0.0, zmax=1.0,
            colorscale=SEQUENTIAL_SCALE, showscale=row == 1, name=k, meta={"role": "keep", "kind": k},
            colorbar=dict(title=dict(text="kept"), len=0.42, y=1.0, yanchor="top", thickness=16),  # beside panel 1
            hovertemplate="t = %{x}, unit %{y}<br>kept %{z:.3f}<extra>" + CELL_LABELS.get(k, k) + "</extra>"),
            row=row, col=1)
        fig.update_yaxes(title_text="unit", autorange="reversed", row=row, col=1)
        for t, _label in marks:   # lines only: the page's reading guide names them (text would hit the titles)
            fig.add_vline(x=t, line=dict(color="#FFFFFF", width=2, dash="dot"), row=row, col=1)
    fig.update_xaxes(title_text="sequence step t", row=len(kinds), col=1)
    fig.update_layout(height=max(height, 300 * len(kinds)))
    return fixed_margins(fig, t=60, r=90)   # a short colour bar ("kept", 0-1)


def gradient_norms(norms: Mapping[str, np.ndarray], *, marks: Sequence[tuple[int, str]] = (),
                   height: int = CHART_HEIGHT) -> go.Figure:
    """||dL/dh_t|| of the task loss against sequence step t, one line per cell, on an honest log axis."""
    floor, ceil = log_limits(*norms.values())
    traces = []
    for kind, g in norms.items():
        g = np.asarray(g, dtype=np.float64)
        traces += log_line(np.arange(1, g.size + 1), g, name=CELL_LABELS.get(kind, kind),
                           color=CELL_COLORS.get(kind, GUIDE_COLOR), floor=floor, ceil=ceil, hover_x="t")
    fig = base_figure(None, "sequence step t", "‖dL/dh<sub>t</sub>‖", log_y=True, height=height, data=traces)
    finish_log_axis(fig, floor, ceil)
    T = max((np.asarray(g).size for g in norms.values()), default=1)
    for t, label in marks:   # label inside the plot, on the side away from the edge (above it is the legend's row)
        fig.add_vline(x=t, line=dict(color=GUIDE_COLOR, width=2, dash="dot"), annotation_text=label,
                      annotation_position="top right" if t <= T / 2 else "top left",
                      annotation_font=dict(size=TICK_SIZE))
    return fig


def replay_figure(keep: np.ndarray, retention: np.ndarray, kind: str, *, title: str,
                  best: np.ndarray | None = None, marks: Sequence[tuple[int, str]] = (),
                  height: int = CHART_HEIGHT + 120) -> go.Figure:
    """Replay of one snapshot: keep-share heatmap (T, H) on top; below, the share of the step-1 memory still
    held at each step (``retention`` (T,), the mean over units of the running product of the keep share; ``best``
    (T,), the same for the unit that holds best, dashed)."""
    keep = np.asarray(keep, dtype=np.float64)
    T, H = keep.shape
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.62, 0.38],
                        subplot_titles=(KEEP_TITLES.get(kind, kind), "memory of step 1 still held"))
    fig.add_trace(go.Heatmap(
        z=keep.T.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(1, H + 1), zmin=0.0, zmax=1.0,
        colorscale=SEQUENTIAL_SCALE, meta={"role": "keep", "kind": kind},
        colorbar=dict(title=dict(text="kept"), len=0.55, y=0.75, thickness=16),
        hovertemplate="t = %{x}, unit %{y}<br>kept %{z:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=np.arange(1, T + 1), y=np.asarray(retention, dtype=np.float64), mode="lines", showlegend=False,
        line=dict(color=CELL_COLORS.get(kind, GUIDE_COLOR)), meta={"role": "retention", "kind": kind},
        name="mean over units", hovertemplate="t = %{x}<br>held %{y:.3g} (mean)<extra></extra>"), row=2, col=1)
    if best is not None:
        fig.add_trace(go.Scatter(
            x=np.arange(1, T + 1), y=np.asarray(best, dtype=np.float64), mode="lines", showlegend=False,
            line=dict(color=CELL_COLORS.get(kind, GUIDE_COLOR), dash="dash"), meta={"role": "best", "kind": kind},
            name="best unit", hovertemplate="t = %{x}<br>held %{y:.3g} (best unit)<extra></extra>"), row=2, col=1)
        mid = T // 2
        fig.add_annotation(x=mid + 1, y=float(best[mid]), text="best unit", showarrow=False, xanchor="center",
                           yanchor="bottom", font=dict(size=TICK_SIZE), row=2, col=1)
    fig.update_yaxes(title_text="unit", autorange="reversed", row=1, col=1)
    fig.update_yaxes(title_text="held", range=[0, 1.05], row=2, col=1)
    fig.update_xaxes(title_text="sequence step t", row=2, col=1)
    for t, _label in marks:   # lines only (labels would hit the subplot title); the reading guide names them
        fig.add_vline(x=t, line=dict(color=GUIDE_COLOR, width=2, dash="dot"), row=2, col=1)
    fig.update_layout(title=dict(text=title), height=height)
    return fixed_margins(fig, t=MARGIN_TITLE, r=MARGIN_COLORBAR)


def accuracy_vs_delay(delays: Sequence[int], accuracy: Mapping[str, np.ndarray], *, chance: float,
                      spread: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
                      mine: tuple[Sequence[int], Mapping[str, Sequence[float]]] | None = None,
                      height: int = CHART_HEIGHT) -> go.Figure:
    """Held-out accuracy (%) against delay D, one line per cell; ``spread``: kind -> (low, high) over seeds,
    drawn as error bars. ``mine``: (delays, kind -> accuracies) of an on-demand sweep, drawn dotted with open
    markers. Chance is drawn dashed."""
    fig = base_figure(None, "delay D (steps between the token and the query)", "held-out accuracy",
                      height=height)
    d = np.asarray(delays)
    for kind, acc in accuracy.items():
        acc = np.asarray(acc, dtype=np.float64) * 100.0
        err = None
        if spread and kind in spread:
            lo, hi = (np.asarray(v, dtype=np.float64) * 100.0 for v in spread[kind])
            err = dict(type="data", symmetric=False, array=hi - acc, arrayminus=acc - lo, thickness=2, width=6)
        fig.add_trace(go.Scatter(x=d, y=acc, mode="lines+markers", name=CELL_LABELS.get(kind, kind),
                                 line=dict(color=CELL_COLORS.get(kind, GUIDE_COLOR)), error_y=err,
                                 meta={"role": "delay", "kind": kind},
                                 hovertemplate=CELL_LABELS.get(kind, kind) + "<br>D = %{x}<br>%{y:.1f}%<extra></extra>"))
    if mine is not None:
        md, macc = mine
        for kind, acc in macc.items():
            if not len(acc):
                continue
            name = CELL_LABELS.get(kind, kind) + " (your settings)"
            fig.add_trace(go.Scatter(
                x=np.asarray(md[:len(acc)]), y=np.asarray(acc, dtype=np.float64) * 100.0, mode="lines+markers",
                name=name, line=dict(color=CELL_COLORS.get(kind, GUIDE_COLOR), dash="dot"),
                marker=dict(symbol="diamond-open", size=MARKER_SIZE + 3, line=dict(width=3)),
                meta={"role": "mine", "kind": kind},
                hovertemplate=name + "<br>D = %{x}<br>%{y:.1f}%<extra></extra>"))
    fig.update_yaxes(range=[0, 103], ticksuffix="%")
    _guide(fig, chance * 100.0, f"chance {chance * 100:.0f}%")
    return fig


GATE_TITLES = {"r": "reset gate r", "z": "update gate z (share of h kept)", "n": "candidate n",
               "i": "input gate i", "f": "forget gate f (share of c kept)", "g": "candidate g", "o": "output gate o",
               "c": "cell state c", "h": "hidden state h"}


def gate_grid(gates: Mapping[str, np.ndarray], *, height_per_row: int = 230) -> go.Figure:
    """Heatmaps of every gate (each (T, H)) of one model, one row per gate, sequence step on x, unit on y.

    Gates in [0, 1] (sigmoid) share a 0..1 viridis scale; tanh quantities (n, g, c, h) a -1..1 diverging one."""
    names = list(gates)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.25 / max(len(names), 1),
                        subplot_titles=[GATE_TITLES.get(n, n) for n in names])
    for row, name in enumerate(names, start=1):
        g = np.asarray(gates[name], dtype=np.float64)
        T, H = g.shape
        signed = name in ("n", "g", "c", "h")
        lim = max(1.0, float(np.nanmax(np.abs(g)))) if name == "c" else 1.0
        fig.add_trace(go.Heatmap(
            z=g.T.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(1, H + 1),
            zmin=-lim if signed else 0.0, zmax=lim, colorscale="RdBu_r" if signed else SEQUENTIAL_SCALE,
            showscale=False, meta={"role": "gate", "gate": name},
            hovertemplate=f"{name}" + " = %{z:.3f}<br>t = %{x}, unit %{y}<extra></extra>"), row=row, col=1)
        fig.update_yaxes(title_text="unit", autorange="reversed", row=row, col=1)
    fig.update_xaxes(title_text="sequence step t", row=len(names), col=1)
    fig.update_layout(height=80 + height_per_row * len(names))
    return fixed_margins(fig, t=50)
