"""Charts of the /compare page: they only draw results of lab.models.compare (no engine calls, no maths)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import base_figure, finish_log_axis, log_limits, log_line, stacked_panels, style_figure
from lab.theme import (BAR_TEXT, CELL_COLORS, CELL_DASH, CELL_LABELS, CHART_HEIGHT, LEGEND_ROW, MARKER_SIZE,
                       OKABE_ITO)

MODULE_COLOR = OKABE_ITO["grey"]
# Line charts of every kind: two stacked panels on the same axes, at most four legend entries each (issue 12).
FAMILIES = (("rnn", "gru", "lstm"), ("gru_type1", "gru_type2", "gru_type3", "mgu"))
FAMILY_HEIGHT = CHART_HEIGHT + 200
# Bottom margin of a bar chart with a bar per kind: on a phone Plotly turns the names ("GRU type 1") upright.
BARS_BOTTOM = 112


def _label(name: str) -> str:
    return CELL_LABELS.get(name, name)


def _bars(names, values, *, text, colors, name: str, hover: str) -> dict:
    return dict(type="bar", x=[_label(n) for n in names], y=list(values), text=text, textposition="outside",
                marker=dict(color=colors), name=name, cliponaxis=False, hovertemplate=hover + "<extra></extra>")


def _bar_figure(y_title: str, data: list[dict], top: float, *, legend: bool = True, **y_axis) -> go.Figure:
    """A chart of one bar per kind, y from 0 to ``top`` (``y_axis``: more y-axis keys): every bar named (x dtick 1:
    Plotly skips every other name when they do not fit, on a phone 5 of 10), value labels at a readable size or
    left out (BAR_TEXT). One layout dict: no validated updates afterwards."""
    return base_figure(None, "", y_title, legend=legend, data=data, layout=dict(
        xaxis=dict(dtick=1), yaxis=dict(range=[0, top], **y_axis), uniformtext=BAR_TEXT))


def parameters_figure(rows) -> go.Figure:
    """Parameter count of every kind (one bar each), from ParamRow.count."""
    kinds = [r.kind for r in rows]
    counts = [r.count for r in rows]
    fig = _bar_figure("parameters", [_bars(
        kinds, counts, text=[f"{c:,}" for c in counts], colors=[CELL_COLORS[k] for k in kinds], name="parameters",
        hover="%{x}: %{y:,} parameters")], max(counts) * 1.18, legend=False)
    return style_figure(fig, annotations=False, t=30, b=BARS_BOTTOM)


def _ms(v: float) -> str:
    """A bar's value label: 3 characters at most ("8.7", "26"), so it fits a phone's narrow bar at a readable size."""
    return f"{v:.1f}" if v < 9.95 else f"{v:.0f}"


def speed_figure(ms: dict[str, float], expected: dict[str, float]) -> go.Figure:
    """Measured forward + backward milliseconds of every module (bars) and, as diamonds, the time each would take
    if time were proportional to its multiply-adds (scaled to the lab's GRU)."""
    names = list(ms)
    colors = [CELL_COLORS.get(n, MODULE_COLOR) for n in names]
    data = [_bars(names, [ms[n] for n in names], text=[_ms(ms[n]) for n in names], colors=colors,
                  name="measured", hover="%{x}: %{y:.2f} ms measured")]
    if expected:
        data.append(dict(type="scatter", mode="markers", x=[_label(n) for n in names],
                         y=[expected.get(n) for n in names], name="if time followed the multiply-adds",
                         marker=dict(symbol="diamond", size=MARKER_SIZE + 5, color="#333333"),
                         hovertemplate="%{x}: %{y:.2f} ms expected from the arithmetic<extra></extra>"))
    top = max(list(ms.values()) + [v for v in expected.values() if v is not None])
    fig = _bar_figure("ms per training step (forward + backward)", data, top * 1.2)
    return style_figure(fig, annotations=False, b=BARS_BOTTOM)


def _by_family(traces: dict[str, list[dict]], x_title: str, y_title: str, **y_axis) -> go.Figure:
    """RNN, GRU and LSTM in the top panel, the lighter GRU variants and the MGU below (any other kind too), on
    shared axes, each panel with its own legend. traces: kind -> that kind's trace dicts; ``y_axis``: more keys
    for both value axes."""
    panels = [[t for k, ts in traces.items() if (k in FAMILIES[0]) == top for t in ts] for top in (True, False)]
    return stacked_panels(panels, x_title=x_title, y_title=y_title, height=FAMILY_HEIGHT,
                          margin=dict(t=64 + LEGEND_ROW), y_axis=y_axis)


def _chance(fig: go.Figure, chance: float | None) -> None:
    """The chance level as a dotted line across every panel."""
    if chance is None:
        return
    ys = [k for k in fig.layout if k.startswith("yaxis")]
    fig.update_layout(shapes=[dict(type="line", xref=f"x{k[5:]} domain", x0=0, x1=1, yref=f"y{k[5:]}", y0=chance,
                                   y1=chance, line=dict(dash="dot", width=2, color="#666666")) for k in ys])


def flow_figure(k: np.ndarray, share: dict[str, np.ndarray]) -> go.Figure:
    """||dL/dh_{T-k}|| / ||dL/dh_T|| against k for every kind, log scale (two panels, see ``_by_family``)."""
    floor, ceil = log_limits(*share.values())
    traces = {kind: log_line(k, s, name=_label(kind), color=CELL_COLORS[kind], dash=CELL_DASH[kind], floor=floor,
                             ceil=ceil, hover_x="k") for kind, s in share.items()}
    fig = _by_family(traces, "k (steps back from the loss)", "share of the gradient still there", type="log",
                     exponentformat="power")   # one layout dict: no validated updates (they cost ~100 ms here)
    finish_log_axis(fig, floor, ceil)
    return fig


def accuracy_figure(kinds, values: dict[str, float], *, chance: float | None, y_title: str,
                    percent: bool = True) -> go.Figure:
    """One bar per kind (held-out accuracy or loss), with the chance level as a dotted line."""
    vals = [values.get(k, np.nan) for k in kinds]
    fmt = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:.3g}")
    finite = [v for v in vals if np.isfinite(v)]
    top = 1.12 if percent else max(finite + [1e-9]) * 1.2
    fig = _bar_figure(y_title, [_bars(
        kinds, vals, text=["" if not np.isfinite(v) else fmt(v) for v in vals],
        colors=[CELL_COLORS[k] for k in kinds], name=y_title, hover="%{x}: %{y:.3f}")], top, legend=False,
        **({"tickformat": ".0%"} if percent else {}))
    if chance is not None:
        fig.update_layout(shapes=[dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=chance, y1=chance,
                                       line=dict(dash="dot", width=2, color="#666666"))],
                          annotations=[dict(xref="x domain", x=1, xanchor="right", yref="y", y=chance,
                                            yanchor="bottom", text=f"chance {chance:.0%}", showarrow=False)])
    return style_figure(fig, annotations=False, t=30, b=BARS_BOTTOM)


def curves_figure(curves: dict[str, dict[str, np.ndarray]], total_steps: int, *, chance: float | None) -> go.Figure:
    """Held-out accuracy against the training step, one line per kind (two panels, see ``_by_family``)."""
    traces = {k: [dict(type="scatter", mode="lines+markers", x=c["step"], y=c["acc"], name=_label(k),
                       line=dict(color=CELL_COLORS[k], dash=CELL_DASH[k]), marker=dict(size=MARKER_SIZE - 3),
                       hovertemplate=f"{_label(k)}<br>step %{{x}}: %{{y:.1%}}<extra></extra>")]
              for k, c in curves.items()}
    fig = _by_family(traces, "training step", "held-out accuracy")
    fig.update_xaxes(range=[0, total_steps])
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    _chance(fig, chance)
    return style_figure(fig, annotations=False, t=64 + LEGEND_ROW)


def table_figure(delays: list[int], results: dict[str, dict], *, chance: float | None) -> go.Figure:
    """The shipped table: mean held-out accuracy over seeds against the delay, bars from the worst to the best
    seed, one line per kind (two panels, see ``_by_family``). results[kind] = {"mean": [...], "min": [...],
    "max": [...]} over `delays`."""
    traces = {}
    for k, r in results.items():
        mean, lo, hi = (np.asarray(r[q], float) for q in ("mean", "min", "max"))
        traces[k] = [dict(type="scatter", mode="lines+markers", x=delays, y=mean, name=_label(k),
                          line=dict(color=CELL_COLORS[k], dash=CELL_DASH[k]), marker=dict(size=MARKER_SIZE),
                          error_y=dict(type="data", symmetric=False, array=hi - mean, arrayminus=mean - lo,
                                       thickness=1.5, width=4),
                          hovertemplate=f"{_label(k)}<br>delay %{{x}}: mean %{{y:.1%}}<extra></extra>")]
    fig = _by_family(traces, "delay D (steps from token to query)", "held-out accuracy")
    fig.update_xaxes(type="log", tickvals=list(delays), ticktext=[str(d) for d in delays])   # no minor-tick digits
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    _chance(fig, chance)
    return style_figure(fig, annotations=False, t=64 + LEGEND_ROW)
