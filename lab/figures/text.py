"""Figures of the text and translation pages: results in, figures out (no engine calls, no maths).

Every builder takes a result dataclass of lab.models.text / lab.models.translate (or plain arrays) and only draws.
Heatmaps put characters (or words) on the x axis as category labels, one per column, so a passage reads left to
right as text.
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import base_figure, fixed_margins, slim_colorbar, vline
from lab.theme import (AXIS_TEXT_COLOR, BAR_TEXT, CELL_COLORS, CELL_LABELS, DIVERGING_SCALE, MARGIN,
                       MARGIN_COLORBAR_SLIM, OKABE_ITO, SEQUENTIAL_SCALE, TICK_SIZE)

NGRAM_COLOR = OKABE_ITO["grey"]
FEATURE_COLOR = OKABE_ITO["orange"]


def _label(name: str) -> str:
    return CELL_LABELS.get(name, name)


def bpc_bars(names: tuple[str, ...], bpc: tuple[float, ...], *, title: str | None = None) -> go.Figure:
    """Horizontal bars: bits per character on the held-out text per model (n-grams grey, cells in their colour);
    the best (lowest) on top."""
    order = sorted(range(len(names)), key=lambda i: -bpc[i])
    labels = [_label(names[i]) for i in order]
    colors = [CELL_COLORS.get(names[i], NGRAM_COLOR) for i in order]
    trace = dict(type="bar", orientation="h", x=[bpc[i] for i in order], y=labels, marker=dict(color=colors),
                 text=[f"{bpc[i]:.3f}" for i in order], textposition="outside", textfont=dict(size=TICK_SIZE),
                 customdata=[bpc[i] for i in order], hovertemplate="%{y}: %{x:.4f} bits per character<extra></extra>")
    return base_figure(title, "held-out bits per character (lower is better)", "", legend=False,
                       height=110 + 48 * len(names), data=[trace],
                       layout=dict(margin=dict(MARGIN, l=110, t=24 if not title else 64, b=70),
                                   xaxis=dict(range=[0, max(bpc) * 1.18]), yaxis=dict(type="category")))


def bpc_curves(curve_step: dict, curve_bpc: dict, trigram: float, *, title: str | None = None) -> go.Figure:
    """Held-out bits per character against training step, one line per cell, the trigram as a dashed line."""
    traces = [dict(type="scatter", mode="lines+markers", x=np.asarray(curve_step[k]), y=np.asarray(curve_bpc[k]),
                   name=_label(k), line=dict(color=CELL_COLORS[k]), customdata=np.asarray(curve_bpc[k]))
              for k in curve_step if len(curve_step[k])]
    xmax = max((float(np.max(s)) for s in curve_step.values() if len(s)), default=1.0)
    traces.append(dict(type="scatter", mode="lines", x=[0, xmax], y=[trigram, trigram], name="trigram",
                       line=dict(color=NGRAM_COLOR, dash="dash")))
    top = max((float(np.max(v)) for v in curve_bpc.values() if len(v)), default=2 * trigram)
    y_range = [0, min(top, 2 * trigram) * 1.05]   # step 0 (~log2 V) would squash the rest
    return base_figure(title, "training step", "held-out bits per character", data=traces, height=400,
                       layout=dict(margin=dict(MARGIN), yaxis=dict(range=y_range)))


def next_char_bars(chars: tuple[str, ...], probs: tuple[float, ...], *, title: str | None = None) -> go.Figure:
    """The most likely next characters and their probabilities (most likely left)."""
    trace = dict(type="bar", x=list(chars), y=list(probs), marker=dict(color=CELL_COLORS["gru"]), customdata=list(probs),
                 hovertemplate="'%{x}': %{y:.1%}<extra></extra>")
    return base_figure(title, "next character (␣ = space, ↵ = new line)", "probability", legend=False, data=[trace],
                       height=360, layout=dict(margin=dict(MARGIN), yaxis=dict(tickformat=".0%"), xaxis=dict(
                           type="category", tickfont=dict(size=20, color=AXIS_TEXT_COLOR))))


def _char_axis(labels: tuple[str, ...]) -> dict:
    """A category x axis of the positions 0..T-1 (so repeated characters stay apart), each labelled with its
    character (``labelalias``). Plotly labels only as many categories as fit, one per 1.2 tick-font sizes: the
    tick font is set small (that spacing) and each label drawn larger in its own span, so a laptop shows every
    character of a passage and a phone every few, level and apart (the hover names each)."""
    size, spacing = (15, 9) if len(labels) <= 70 else (13, 8)
    alias = {str(i): f'<span style="font-size:{size}px">{html.escape(c, quote=False)}</span>'
             for i, c in enumerate(labels)}
    return dict(type="category", tickmode="auto", labelalias=alias, range=[-0.5, len(labels) - 0.5],
                tickfont=dict(size=spacing, family="monospace", color=AXIS_TEXT_COLOR), tickangle=0)


def gate_heatmap(chars: tuple[str, ...], units: tuple[int, ...], values: np.ndarray, signal: str, *,
                 title: str | None = None) -> go.Figure:
    """The gate (or state) of the chosen units at every character: rows = units, columns = characters."""
    signed = signal == "h"
    trace = dict(type="heatmap", z=np.asarray(values), x=list(range(len(chars))), y=[f"unit {u}" for u in units],
                 zmin=-1 if signed else 0, zmax=1, colorscale=DIVERGING_SCALE if signed else SEQUENTIAL_SCALE,
                 colorbar=slim_colorbar(signal),
                 customdata=np.asarray(values), text=[list(chars)] * len(units),
                 hovertemplate="'%{text}' %{y}: " + signal + " = %{z:.3f}<extra></extra>")
    return base_figure(title, "", "", legend=False, data=[trace], height=130 + 30 * len(units),
                       layout=dict(margin=dict(MARGIN, l=90, r=MARGIN_COLORBAR_SLIM, t=24 if not title else 64, b=50),
                                   xaxis=_char_axis(chars), yaxis=dict(type="category", autorange="reversed")))


def unit_trace(chars: tuple[str, ...], trace: np.ndarray, feature: np.ndarray, *, unit: int, feature_label: str,
               title: str | None = None) -> go.Figure:
    """One unit's state along the passage (line) over the feature (shaded bars, scaled to 0..1)."""
    f = np.asarray(feature, dtype=float)
    shade = f / f.max() if f.max() > 0 else f
    x = list(range(len(chars)))
    data = [dict(type="bar", x=x, y=shade, name=feature_label, marker=dict(color=FEATURE_COLOR, opacity=0.35),
                 customdata=f, hovertemplate="%{customdata}<extra>" + feature_label + "</extra>"),
            dict(type="scatter", mode="lines+markers", x=x, y=np.asarray(trace), name=f"unit {unit}",
                 line=dict(color=CELL_COLORS["gru"]), customdata=np.asarray(trace), text=list(chars),
                 hovertemplate="'%{text}': h = %{y:.3f}<extra></extra>")]
    return base_figure(title, "", "state h of the unit", data=data, height=380, layout=dict(
        margin=dict(MARGIN, b=50), xaxis=_char_axis(chars), yaxis=dict(range=[-1.05, 1.05]), bargap=0))


def accuracy_curve(step: np.ndarray, accuracy: np.ndarray, *, title: str | None = None) -> go.Figure:
    """Held-out whole-answer accuracy against training step."""
    trace = dict(type="scatter", mode="lines+markers", x=np.asarray(step), y=np.asarray(accuracy), name="GRU",
                 line=dict(color=CELL_COLORS["gru"]), customdata=np.asarray(accuracy))
    fig = base_figure(title, "training step", "held-out accuracy", legend=False, data=[trace], height=360)
    fig.update_layout(yaxis=dict(range=[0, 1.02], tickformat=".0%"))
    return fixed_margins(fig)


def accuracy_by_length(lengths: np.ndarray, accuracy: np.ndarray, counts: np.ndarray, *,
                       trained_max: int | None = None, title: str | None = None) -> go.Figure:
    """Bars: share of held-out sentences translated exactly, by sentence length in words (count in the hover). A
    length between the shortest and the longest with no held-out sentence is marked "none" (not an empty slot)."""
    lengths = np.asarray(lengths)
    trace = dict(type="bar", x=lengths, y=np.asarray(accuracy), marker=dict(color=CELL_COLORS["gru"]),
                 customdata=np.asarray(counts), text=[f"{a:.0%}" for a in accuracy], textposition="outside",
                 textfont=dict(size=TICK_SIZE),
                 hovertemplate="%{x} words: %{y:.1%} right (%{customdata} sentences)<extra></extra>")
    span = range(int(lengths.min()), int(lengths.max()) + 1) if len(lengths) else range(0)
    gaps = sorted(set(span) - set(lengths.tolist()))
    notes = [dict(x=n, y=0, yanchor="bottom", text="none", showarrow=False, font=dict(size=TICK_SIZE,
                  color=AXIS_TEXT_COLOR)) for n in gaps]
    shapes = [] if trained_max is None else [vline(trained_max + 0.5, color=NGRAM_COLOR, dash="dash")]
    return base_figure(title, "input length (words)", "translated exactly", legend=False, data=[trace], height=380,
                       layout=dict(yaxis=dict(range=[0, 1.15], tickformat=".0%"), xaxis=dict(dtick=1),
                                   annotations=notes, shapes=shapes, uniformtext=BAR_TEXT))


def summary_scatter(xy: np.ndarray, groups: np.ndarray, hover: list[str], group_label: str, *,
                    title: str | None = None) -> go.Figure:
    """The encoder's final states projected to 2-D, coloured by group (e.g. the number of digits) on one colour
    scale with a colour bar naming the groups (up to ten of them: a legend would hold too many entries). One trace
    per group, named for the hover ("3 digits")."""
    values = np.unique(groups)
    scale = dict(colorscale=SEQUENTIAL_SCALE, cmin=float(values.min()), cmax=float(values.max()))
    bar = slim_colorbar(group_label, tickvals=[float(v) for v in values], ticktext=[str(v) for v in values])
    data = []
    for i, g in enumerate(values):
        m = groups == g
        name = f"1 {group_label[:-1]}" if g == 1 and group_label.endswith("s") else f"{g} {group_label}"
        data.append(dict(type="scatter", mode="markers", x=xy[m, 0], y=xy[m, 1], name=name, showlegend=False,
                         marker=dict(color=np.full(int(m.sum()), float(g)), size=8, opacity=0.8, showscale=i == 0,
                                     colorbar=bar if i == 0 else None, **scale),
                         text=[h for h, k in zip(hover, m) if k], hovertemplate="%{text}<extra>" + name + "</extra>"))
    fig = base_figure(title, "first principal direction", "second principal direction", legend=False, data=data,
                      height=460)
    return fixed_margins(fig, r=MARGIN_COLORBAR_SLIM, t=24 if not title else 64)


def steps_heatmap(step_labels: tuple[str, ...], units: tuple[int, ...], values: np.ndarray, x_title: str, *,
                  title: str | None = None) -> go.Figure:
    """An update gate z per step (columns: a word read, or 'reads → writes' for the decoder) for the chosen units.
    The axis title keeps its distance below the step labels (``standoff``), also when a narrow screen tilts them."""
    trace = dict(type="heatmap", z=np.asarray(values), x=list(range(len(step_labels))),
                 y=[f"unit {u}" for u in units], zmin=0, zmax=1, colorscale=SEQUENTIAL_SCALE,
                 colorbar=slim_colorbar("z"), customdata=np.asarray(values),
                 hovertemplate="step %{x}, %{y}: z = %{z:.3f}<extra></extra>")
    fig = base_figure(title, x_title, "", legend=False, data=[trace],
                      height=150 + 30 * len(units))
    fig.update_layout(xaxis=dict(tickmode="array", tickvals=list(range(len(step_labels))),
                                 ticktext=list(step_labels), tickfont=dict(size=18), title=dict(standoff=6)),
                      yaxis=dict(type="category", autorange="reversed"))
    return fixed_margins(fig, l=90, r=MARGIN_COLORBAR_SLIM, t=24 if not title else 64, b=130)
