"""Figures for the forecast page (pure builders: arrays in, ``go.Figure`` out; no maths, no Streamlit).

x values are what the axis shows: ISO dates ("1958-03-01", "1700") or step numbers; the page's model chooses them.
Every trace carries ``meta = {"role": ..., "name": ...}`` so tests can find the numbers they hold.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from lab.figures.common import base_figure, log_axis_layout, log_limits, log_line, slim_colorbar, stacked_panels
from lab.theme import (AXIS_TEXT_COLOR, CELL_COLORS, CHART_HEIGHT, LEGEND_ROW, LINE_WIDTH,
                       MARGIN_COLORBAR_SLIM, MARGIN_LEFT_SHORT, OKABE_ITO, SEQUENTIAL_SCALE, TICK_SIZE)

COLORS = dict(CELL_COLORS, naive=OKABE_ITO["grey"], ets=OKABE_ITO["orange"], truth=AXIS_TEXT_COLOR)
DASH = {"naive": "dot", "ets": "dash", "rnn": "solid", "gru": "solid", "lstm": "solid"}
HELD_OUT_FILL = "rgba(136, 136, 136, 0.15)"


def _line(x, y, name: str, role: str, color: str, dash: str = "solid", width: float = LINE_WIDTH) -> dict:
    return dict(type="scatter", x=list(x), y=np.asarray(y, dtype=float), mode="lines", name=name,
                line=dict(color=color, width=width, dash=dash), meta={"role": role, "name": name},
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.4g}}<extra></extra>")


# The band's "held out" label sits under the plot, right-aligned at the band's end on the axis title's line (below
# the tick labels, beside the centred axis title): inside the plot it lay on the lines and the ETS interval.
HELD_OUT_LABEL_SHIFT = 40   # px below the plot's bottom edge: under the tick labels, within MARGIN["b"]


def _held_out_band(x0, x1) -> dict:
    """Layout keys: the grey band over the held-out part, labelled "held out" under the time axis."""
    return dict(shapes=[dict(type="rect", xref="x", yref="paper", x0=x0, x1=x1, y0=0, y1=1, layer="below",
                             fillcolor=HELD_OUT_FILL, line=dict(width=0))],
                annotations=[dict(xref="x", yref="paper", x=x1, y=0, xanchor="right", yanchor="top",
                                  yshift=-HELD_OUT_LABEL_SHIFT, text="held out", showarrow=False,
                                  font=dict(size=TICK_SIZE))])


def series_figure(x: Sequence, values: np.ndarray, n_train: int, *, unit: str, x_title: str) -> go.Figure:
    """The whole series: training part solid, held-out part (the last values) on a grey band."""
    return base_figure(None, x_title, unit or "value", legend=False, height=340, data=[
        _line(x[:n_train], values[:n_train], "training part", "train", COLORS["truth"], width=2.5),
        _line(x[n_train - 1:], values[n_train - 1:], "held out", "test", COLORS["truth"], width=2.5)],
        layout=dict(margin=dict(t=24), **_held_out_band(x[n_train], x[-1])))


# The forecast chart's two panels (at most four legend entries each): the classical forecasts with the ETS
# interval on top, the networks below; any other model key goes to the lower panel.
CLASSICAL = ("naive", "ets")
PANEL_LEGENDS = ["classical:", "networks:"]


def _actual(x_history, history, x_test, truth) -> list[dict]:
    """The training part's end and the held-out truth (thick), one legend entry ("actual values") for both."""
    return [dict(_line(x_history, history, "actual values", "history", COLORS["truth"], width=2.5),
                 legendgroup="actual", showlegend=False),
            dict(_line(x_test, truth, "actual values", "truth", COLORS["truth"], width=LINE_WIDTH + 1.5),
                 legendgroup="actual")]


def forecast_figure(x_history: Sequence, history: np.ndarray, x_test: Sequence, truth: np.ndarray,
                    forecasts: Mapping[str, Mapping[str, object]], *, unit: str, x_title: str) -> go.Figure:
    """Two stacked panels on one time axis and one value axis: on top the classical forecasts (a model's 95%
    prediction interval as a band), below the networks'; each with the end of the training part and the held-out
    truth (thick) and its own legend of at most four entries; no networks' panel while no network is trained.
    forecasts: key -> {"label", "mean" (h,), "lower"/"upper" (h,) or None}."""
    panels: list[list[dict]] = [[], []]
    for key, f in forecasts.items():
        if f.get("lower") is not None:
            band = _band(x_test, f["lower"], f["upper"], f"{f['label']} 95% interval", COLORS[key])
            panels[key not in CLASSICAL].extend(band)
    used = {int(key not in CLASSICAL) for key in forecasts} or {0}
    for i in used:
        panels[i] += _actual(x_history, history, x_test, truth)
    for key, f in forecasts.items():
        panels[key not in CLASSICAL].append(_line(x_test, f["mean"], str(f["label"]), f"forecast:{key}",
                                                  COLORS[key], DASH[key]))
    height = CHART_HEIGHT + (200 if len(used) > 1 else 0)
    return stacked_panels(panels, x_title=x_title, y_title=unit or "value", height=height,
                          legend_titles=[PANEL_LEGENDS[i] for i in sorted(used)], margin=dict(t=64 + LEGEND_ROW, l=MARGIN_LEFT_SHORT),
                          extra=_held_out_band(x_test[0], x_test[-1]))


def _band(x, lower, upper, name: str, color: str) -> list[dict]:
    rgb = tuple(int(color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    edge = dict(type="scatter", x=list(x), mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False)
    return [dict(edge, y=np.asarray(upper, dtype=float), meta={"role": "upper", "name": name}),
            dict(edge, y=np.asarray(lower, dtype=float), fill="tonexty", fillcolor=f"rgba{rgb + (0.22,)}",
                 name=name, meta={"role": "lower", "name": name})]


def curves_figure(histories: Mapping[str, Mapping[str, np.ndarray]], *, labels: Mapping[str, str],
                  total_steps: int, baseline_mae: float | None, baseline_label: str) -> go.Figure:
    """Held-out MAE (solid) against training step, one colour per network; the best classical model's MAE dashed.
    histories: kind -> {"step", "loss", "test_mae"}."""
    data = [_line(h["step"], h["test_mae"], labels[k], f"test_mae:{k}", COLORS[k]) for k, h in histories.items()]
    values = [np.asarray(h["test_mae"], dtype=float) for h in histories.values()]
    extra: dict = {}
    if baseline_mae is not None and np.isfinite(baseline_mae):
        line = dict(dash="dash", width=2, color=COLORS["ets"])
        extra = dict(shapes=[dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=baseline_mae,
                                  y1=baseline_mae, line=line)],
                     annotations=[dict(xref="x domain", x=1, xanchor="right", yref="y",
                                       y=float(np.log10(baseline_mae)), yanchor="bottom", text=baseline_label,
                                       showarrow=False, font=dict(size=TICK_SIZE))])
        values.append(np.array([baseline_mae]))
    floor, ceil = log_limits(*values, pad_decades=0.2, min_span_decades=1.0)
    yaxis, _, _ = log_axis_layout(floor, ceil, data)
    return base_figure(None, "training step", "held-out MAE (log scale)", log_y=True, data=data, layout=dict(
        xaxis=dict(range=[0, max(int(total_steps), 1) * 1.02]), yaxis=dict(yaxis, dtick=1), **extra))


def gate_figure(z: np.ndarray, steps_back: np.ndarray, *, step_name: str) -> go.Figure:
    """The GRU's update gate z over the input window: rows = units (ordered as given), columns = steps back."""
    return base_figure(None, f"{step_name}s back from the last value", "hidden unit", legend=False, data=[dict(
        type="heatmap", z=np.asarray(z, dtype=float).T, x=np.asarray(steps_back), zmin=0, zmax=1,
        colorscale=SEQUENTIAL_SCALE, colorbar=slim_colorbar("z"),
        meta={"role": "gate", "name": "z"},
        hovertemplate="%{x} back, unit %{y}<br>z = %{z:.3f}<extra></extra>")],
        layout=dict(margin=dict(l=MARGIN_LEFT_SHORT, r=MARGIN_COLORBAR_SLIM, t=24), xaxis=dict(autorange="reversed")))


def sensitivity_figure(sensitivity: Mapping[str, np.ndarray], steps_back: np.ndarray, *, labels: Mapping[str, str],
                       step_name: str, forecast_step: int) -> go.Figure:
    """|d forecast / d x_t| (log scale) against steps back, one line per network."""
    values = list(sensitivity.values())
    floor, ceil = log_limits(*values, pad_decades=0.3, min_span_decades=2.0)
    data = []
    for k, s in sensitivity.items():
        data += log_line(np.asarray(steps_back), s, name=labels[k], color=COLORS[k], floor=floor, ceil=ceil,
                         hover_x=f"{step_name}s back")
    yaxis, shapes, notes = log_axis_layout(floor, ceil, data)
    return base_figure(None, f"{step_name}s back from the last value",
                       f"|∂ forecast<sub>{forecast_step}</sub> / ∂x<sub>t</sub>|", log_y=True, data=data,
                       layout=dict(xaxis=dict(autorange="reversed"), yaxis=dict(yaxis, dtick=1), shapes=shapes,
                                   annotations=notes))
