"""Figures for the step-through page: the GRU cell diagram and the step context charts.

Pure builders: numbers in, ``go.Figure`` out, no Streamlit. The diagram draws one unit of one step:
wires, the two gates, the candidate, the reset multiplication and the mix, each part coloured by its current
value (gates on a 0..1 scale, states on a -1..1 scale), with the value written beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale

from lab.equations import StepTerms
from lab.figures.common import bottom_legend, lab_template
from lab.theme import (AXIS_TEXT_COLOR, DIVERGING_SCALE, FONT_SIZE, GATE_COLORS, LEGEND_ROW, LINE_WIDTH,
                       MARGIN, OKABE_ITO, OKABE_ITO_ORDER, SEQUENTIAL_SCALE, TICK_SIZE, layout_sizes)

# Gates live in [0, 1]: dark = closed, bright = open. States live in [-1, 1]: blue negative, red positive.
GATE_SCALE = SEQUENTIAL_SCALE
STATE_SCALE = DIVERGING_SCALE
NEUTRAL = "#9a9a9a"
_GATE_STOPS = get_colorscale(GATE_SCALE)      # resolved once: sampling a named scale rebuilds every named scale
_STATE_STOPS = get_colorscale(STATE_SCALE)


def gate_color(v: float) -> str:
    """Colour of a gate value on GATE_SCALE (clipped to [0, 1]; NaN -> neutral grey)."""
    if not np.isfinite(v):
        return NEUTRAL
    return sample_colorscale(_GATE_STOPS, [float(np.clip(v, 0.0, 1.0))])[0]


def state_color(v: float) -> str:
    """Colour of a state value on STATE_SCALE (clipped to [-1, 1]; NaN -> neutral grey)."""
    if not np.isfinite(v):
        return NEUTRAL
    return sample_colorscale(_STATE_STOPS, [float(np.clip((v + 1.0) / 2.0, 0.0, 1.0))])[0]


@dataclass(frozen=True)
class Node:
    key: str
    x: float
    y: float
    symbol: str         # text drawn inside the node
    label: str          # text beside the node (name = value)
    value: float
    scale: str          # "gate" | "state" | "neutral"
    size: int = 54
    label_pos: str = "top center"


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "NaN" if np.isnan(v) else ("+inf" if v > 0 else "−inf")
    return f"{v:.3f}".replace("-", "−")


def diagram_nodes(s: StepTerms) -> dict[str, Node]:
    """The diagram's nodes for one step of one unit, positioned and valued (exposed for tests)."""
    hp = "h<sub>t−1</sub>"
    x = np.asarray(s.x, dtype=float)
    if x.size == 1:
        x_label, x_val, x_scale = f"x<sub>t</sub> = {_fmt(float(x[0]))}", float(x[0]), "state"
    else:
        x_label = "x<sub>t</sub> =<br>(" + ", ".join(f"{float(v):.2f}".replace("-", "−") for v in x) + ")"
        x_val, x_scale = float("nan"), "neutral"
    torch = s.mix == "torch"
    keep_label = (f"z·{hp} = {_fmt(s.keep)}" if torch else f"(1−z)·{hp} = {_fmt(s.keep)}")
    write_label = (f"(1−z)·n = {_fmt(s.write)}" if torch else f"z·n = {_fmt(s.write)}")
    if s.reset == "after":
        reset_label = f"r·(W<sub>hn</sub>{hp}+b<sub>hn</sub>) = {_fmt(s.reset_product)}"
    else:
        reset_label = f"r·{hp} = {_fmt(s.reset_product)}"
    one_minus_xy = (10.2, 3.9) if torch else (7.6, 5.85)
    nodes = [
        Node("h_prev", 0.9, 7.0, "", f"{hp} = {_fmt(s.h_prev)}", s.h_prev, "state", 46, "top center"),
        Node("x", 0.9, 1.0, "", x_label, x_val, x_scale, 46, "bottom center"),
        Node("r", 2.9, 3.0, "σ", f"r = {_fmt(s.r)}", s.r, "gate", 54, "middle left"),
        Node("reset", 2.9, 5.0, "×", reset_label, s.reset_product, "state", 40, "top right"),
        Node("n", 5.0, 3.0, "tanh", f"n = {_fmt(s.n)}", s.n, "state", 58, "bottom left"),
        Node("z", 7.6, 3.0, "σ", f"z = {_fmt(s.z)}", s.z, "gate", 54, "middle right"),
        Node("one_minus", one_minus_xy[0], one_minus_xy[1], "1−", f"1−z = {_fmt(1.0 - s.z)}", 1.0 - s.z, "gate",
             38, "middle right"),
        Node("keep", 7.6, 7.0, "×", keep_label, s.keep, "state", 40, "top center"),
        Node("write", 10.2, 1.8, "×", write_label, s.write, "state", 40, "bottom center"),
        Node("plus", 12.4, 7.0, "+", "", s.h, "state", 40, "top center"),
        Node("h", 13.8, 7.0, "", f"h<sub>t</sub> = {_fmt(s.h)}", s.h, "state", 50, "bottom center"),
    ]
    return {n.key: n for n in nodes}


@dataclass(frozen=True)
class Wire:
    points: tuple[tuple[float, float], ...]
    value: float
    scale: str           # "gate" | "state" | "neutral"
    name: str


def diagram_wires(s: StepTerms) -> list[Wire]:
    """The wires between the nodes, each carrying one value (exposed for tests)."""
    torch = s.mix == "torch"
    w = [
        # the memory line along the top: h_{t-1} -> keep x -> + -> h_t
        Wire(((0.9, 7.0), (7.6, 7.0)), s.h_prev, "state", "h_prev→keep"),
        Wire(((7.6, 7.0), (12.4, 7.0)), s.keep, "state", "keep→plus"),
        Wire(((12.4, 7.0), (13.8, 7.0)), s.h, "state", "plus→h"),
        # h_{t-1} down to the input bus, and the bus [h_{t-1}, x_t] feeding the gates and the candidate
        Wire(((1.5, 7.0), (1.5, 1.0)), float("nan"), "neutral", "h_prev→bus"),
        Wire(((0.9, 1.0), (7.6, 1.0)), float("nan"), "neutral", "bus"),
        Wire(((2.9, 1.0), (2.9, 3.0)), float("nan"), "neutral", "bus→r"),
        Wire(((5.0, 1.0), (5.0, 3.0)), float("nan"), "neutral", "bus→n"),
        Wire(((7.6, 1.0), (7.6, 3.0)), float("nan"), "neutral", "bus→z"),
        # reset: r up into the x node; h_{t-1} down into it from the memory line; product on to the candidate
        Wire(((2.9, 3.0), (2.9, 5.0)), s.r, "gate", "r→reset"),
        Wire(((2.9, 7.0), (2.9, 5.0)), s.h_prev, "state", "h_prev→reset"),
        Wire(((2.9, 5.0), (5.0, 5.0), (5.0, 3.0)), s.reset_product, "state", "reset→n"),
        # the candidate goes right to the write x node
        Wire(((5.0, 3.0), (5.9, 3.0), (5.9, 1.8), (10.2, 1.8)), s.n, "state", "n→write"),
        Wire(((10.2, 1.8), (12.4, 1.8), (12.4, 7.0)), s.write, "state", "write→plus"),
    ]
    if torch:   # z multiplies h_{t-1}; 1-z multiplies n
        w += [Wire(((7.6, 3.0), (7.6, 7.0)), s.z, "gate", "z→keep"),
              Wire(((7.6, 3.9), (10.2, 3.9)), s.z, "gate", "z→one_minus"),
              Wire(((10.2, 3.9), (10.2, 1.8)), 1.0 - s.z, "gate", "one_minus→write")]
    else:       # 1-z multiplies h_{t-1}; z multiplies n
        w += [Wire(((7.6, 3.0), (7.6, 5.85)), s.z, "gate", "z→one_minus"),
              Wire(((7.6, 5.85), (7.6, 7.0)), 1.0 - s.z, "gate", "one_minus→keep"),
              Wire(((7.6, 3.9), (10.2, 3.9), (10.2, 1.8)), s.z, "gate", "z→write")]
    return w


def _color(scale: str, v: float) -> str:
    if scale == "gate":
        return gate_color(v)
    if scale == "state":
        return state_color(v)
    return NEUTRAL


def figure(data: list[dict], *, height: int, margin: dict, **layout) -> go.Figure:
    """An unvalidated figure in the lab's look, built in one call (Plotly validates every shape, annotation and
    trace added later, which cost the step-through page most of its rerun). Tests validate the result."""
    base = dict(layout_sizes(), colorway=list(OKABE_ITO_ORDER), height=height, margin=dict(MARGIN, **margin),
                showlegend=True, **lab_template())
    legend = layout.pop("legend", None)
    if legend is not None:
        base["legend"] = dict(base["legend"], **legend)
    return go.Figure(data=data, layout=dict(base, **layout), _validate=False)


def axis(title: str | None = None, **kw) -> dict:
    """An axis with projector-sized, theme-coloured text and automargin off (see lab.theme.MARGIN)."""
    out = dict(tickfont=dict(size=TICK_SIZE, color=AXIS_TEXT_COLOR), automargin=False, **kw)
    if title:
        out["title"] = dict(text=title, font=dict(size=FONT_SIZE, color=AXIS_TEXT_COLOR))
    return out


def _wire_shapes(s: StepTerms) -> tuple[list[dict], list[dict]]:
    """The wires as layout shapes (one SVG path each, below the nodes) and one arrow head per coloured wire."""
    shapes, heads = [], dict(type="scatter", x=[], y=[], mode="markers", showlegend=False, hoverinfo="skip",
                             name="arrows", marker=dict(symbol="triangle-up", size=15, angle=[], color="#777777"))
    for wire in diagram_wires(s):
        path = "M " + " L ".join(f"{x},{y}" for x, y in wire.points)
        neutral = wire.scale == "neutral"
        if not neutral:   # dark outline so pale (near-zero) wires stay visible on a white background
            shapes.append(dict(type="path", path=path, xref="x", yref="y", layer="below",
                               line=dict(color="#555555", width=10), name=wire.name + " outline"))
        shapes.append(dict(type="path", path=path, xref="x", yref="y", layer="below", name=wire.name,
                           line=dict(color=_color(wire.scale, wire.value), width=3 if neutral else 7)))
        if not neutral:   # arrow half-way along the last segment (marker angle: 0 = up, clockwise)
            (x0, y0), (x1, y1) = wire.points[-2], wire.points[-1]
            heads["x"].append(0.5 * (x0 + x1))
            heads["y"].append(0.5 * (y0 + y1))
            heads["marker"]["angle"].append(float(np.degrees(np.arctan2(x1 - x0, y1 - y0))))
    return shapes, [heads]


def _parts_trace(nodes: list[Node]) -> dict:
    return dict(
        type="scatter", x=[n.x for n in nodes], y=[n.y for n in nodes], mode="markers+text", name="parts",
        showlegend=False, text=[f"<b>{n.symbol}</b>" for n in nodes], textposition="middle center",
        textfont=dict(size=18, color=[_text_on(n) for n in nodes]),
        marker=dict(size=[n.size for n in nodes], color=[_color(n.scale, n.value) for n in nodes],
                    line=dict(color="#333333", width=2), symbol="circle", opacity=1.0),
        customdata=np.array([[n.value] for n in nodes], dtype=float),
        hovertext=[n.label for n in nodes], hovertemplate="%{hovertext}<extra></extra>",
        ids=[n.key for n in nodes], meta={"role": "parts", "ids": [n.key for n in nodes]})


def cell_diagram(s: StepTerms, *, height: int = 470) -> go.Figure:
    """The GRU cell at step ``s.t`` for unit ``s.unit``, parts coloured by their values.

    Wires are layout shapes; one marker trace holds the nodes (its ``customdata`` holds each node's value so tests
    and hover read the numbers); two colour bars: gates 0..1, states -1..1."""
    nodes = list(diagram_nodes(s).values())
    shapes, heads = _wire_shapes(s)
    labelled = [n for n in nodes if n.label]
    labels = dict(type="scatter", x=[n.x for n in labelled], y=[n.y for n in labelled], mode="markers+text",
                  name="labels", showlegend=False, hoverinfo="skip", text=[n.label for n in labelled],
                  textposition=[n.label_pos for n in labelled], textfont=dict(size=15, color=AXIS_TEXT_COLOR),
                  marker=dict(size=[n.size + 8 for n in labelled], opacity=0))   # one text trace: cheaper to
    notes = [dict(x=4.3, y=0.62, xref="x", yref="y", showarrow=False, font=dict(size=15, color=NEUTRAL),   # redraw
                  text="[h<sub>t−1</sub>, x<sub>t</sub>] to every gate")]                   # than 12 annotations
    data = heads + [labels, _parts_trace(nodes), _colorbar_trace(GATE_SCALE, 0.0, 1.0, "gate", 0.0),
                    _colorbar_trace(STATE_SCALE, -1.0, 1.0, "state", 0.52)]
    return figure(data, height=height, margin=dict(l=10, r=90, t=50, b=10), shapes=shapes, annotations=notes,
                  title=dict(text=f"GRU cell, unit {s.unit + 1}, step t = {s.t}", x=0.01, font=dict(size=18)),
                  xaxis=dict(visible=False, range=[-2.6, 15.6], fixedrange=True, automargin=False),
                  yaxis=dict(visible=False, range=[-0.6, 8.1], fixedrange=True, automargin=False),
                  hoverlabel=dict(font_size=15))


def _text_on(n: Node) -> str:
    """Symbol colour readable on the node's fill."""
    if n.scale == "gate" and np.isfinite(n.value):
        return "white" if n.value < 0.6 else "black"
    if n.scale == "state" and np.isfinite(n.value):
        return "white" if abs(n.value) > 0.6 else "black"
    return "black"




def _colorbar_trace(scale, lo: float, hi: float, title: str, y: float) -> dict:
    return dict(
        type="scatter", x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker=dict(colorscale=scale, cmin=lo, cmax=hi, color=[lo], showscale=True,
                    colorbar=dict(title=dict(text=title, side="top"), len=0.42, y=y, yanchor="bottom",
                                  thickness=14, x=1.0, tickfont=dict(size=13))),
    )


def _rows(top: float, gap: float = 0.08) -> dict:
    """Two stacked panels sharing the x axis: the top one takes ``top`` of the height (axes x/y on top, x2/y2
    below; the top x axis hides its tick labels)."""
    lo_top = 1.0 - top + gap / 2
    return dict(xaxis=axis(None, anchor="y", matches="x2", showticklabels=False),
                yaxis=axis(None, domain=[lo_top, 1.0]),
                xaxis2=axis("step t", anchor="y2"), yaxis2=axis(None, domain=[0.0, 1.0 - top - gap / 2]))


def _line(x, y, name: str, color: str, *, axes: int = 1, **kw) -> dict:
    suffix = "" if axes == 1 else str(axes)
    return dict(type="scatter", x=x, y=np.asarray(y, dtype=float), mode=kw.pop("mode", "lines"), name=name,
                xaxis="x" + suffix, yaxis="y" + suffix, line=dict(color=color, width=kw.pop("width", LINE_WIDTH),
                                                                  dash=kw.pop("dash", "solid")), **kw)


def step_context(x: np.ndarray, r: np.ndarray, z: np.ndarray, n: np.ndarray, h: np.ndarray, t: int, *,
                 unit: int, height: int = 470) -> go.Figure:
    """The whole run of one unit with the current step marked: input x_t (T, I) on top, r, z, n, h (T,) below.

    t is the 1-based current step; unit is 0-based (unused in the drawing: the page names the unit). No title.
    At most four legend entries per legend: r, z, n, h above the panels; one input is named by its axis title,
    several (I <= 4) in a second legend under the chart."""
    x = np.asarray(x, dtype=float).reshape(len(h), -1)
    T, inputs = len(h), x.shape[1]
    steps = np.arange(1, T + 1)
    data = [_line(steps, x[:, i], f"x<sub>t</sub>[{i + 1}]" if inputs > 1 else "x<sub>t</sub>",
                  OKABE_ITO_ORDER[(i + 3) % len(OKABE_ITO_ORDER)], width=2.5, mode="lines+markers" if T <= 60
                  else "lines", marker=dict(size=6), legend="legend2", showlegend=inputs > 1) for i in range(inputs)]
    data += [_line(steps, v, f"{g}<sub>t</sub>", GATE_COLORS[g], axes=2, dash=dash, width=4.5 if g == "h" else 3)
             for g, v, dash in (("r", r, "dot"), ("z", z, "dash"), ("n", n, "dashdot"), ("h", h, "solid"))]
    data.append(dict(type="scatter", x=[t] * 4, y=[float(v[t - 1]) for v in (r, z, n, h)], mode="markers",
                     name=f"step {t}", showlegend=False, xaxis="x2", yaxis="y2",
                     marker=dict(size=12, color=[GATE_COLORS[g] for g in "rznh"], line=dict(width=2, color="#333333"))))
    layout = _rows(0.3)
    layout["yaxis"].update(axis("input" if inputs > 1 else "input x<sub>t</sub>", nticks=4))
    layout["yaxis2"].update(axis("value", range=[-1.05, 1.05]))
    marks = [dict(type="line", x0=t, x1=t, y0=0, y1=1, xref="x2", yref="paper", opacity=0.6,
                  line=dict(color=NEUTRAL, width=3))]
    below = (inputs > 1) * 2 * LEGEND_ROW   # the inputs' legend: under the "step t" title, two rows on a phone
    return figure(data, height=height + below, margin=dict(l=84, t=30 + 2 * LEGEND_ROW, b=70 + below), shapes=marks,
                  **layout, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                  legend2=bottom_legend())


CONVENTION_LABELS = {
    ("torch", "after"): "PyTorch mix, reset after",
    ("wiki", "after"): "Chung/Wikipedia mix, reset after",
    ("torch", "before"): "PyTorch mix, reset before (Cho)",
    ("wiki", "before"): "Chung/Wikipedia mix, reset before",
}


def convention_figure(h_by_convention: dict, z_by_convention: dict, t: int | None, *, unit: int,
                      height: int = 520) -> go.Figure:
    """h_t (top) and z_t (bottom) of one unit under the four conventions (same seeded weights, wiki relabelled).

    h_by_convention / z_by_convention: (mix, reset) -> (T,). Same reset: the h lines coincide (relabelling);
    the z lines mirror around 0.5 (z -> 1 - z). Different reset: different h (a different model). t: the step
    marked by a vertical line (None: no mark)."""
    colors = {"after": OKABE_ITO["blue"], "before": OKABE_ITO["vermillion"]}
    data = []
    for (mix, reset), hv in h_by_convention.items():
        steps = np.arange(1, len(hv) + 1)
        style = dict(dash="solid" if mix == "torch" else "dot", width=5 if mix == "torch" else 3,
                     legendgroup=f"{mix}{reset}")
        data.append(_line(steps, hv, CONVENTION_LABELS[(mix, reset)], colors[reset], **style))
        data.append(_line(steps, z_by_convention[(mix, reset)], CONVENTION_LABELS[(mix, reset)], colors[reset],
                          axes=2, showlegend=False, **style))
    layout = _rows(0.5, gap=0.14)
    layout["yaxis"].update(axis("h<sub>t</sub>", range=[-1.05, 1.05]))
    layout["yaxis2"].update(axis("z<sub>t</sub>", range=[-0.02, 1.02]))
    marks = [] if t is None else [dict(type="line", x0=t, x1=t, y0=0, y1=1, xref="x2", yref="paper", opacity=0.6,
                                       line=dict(color=NEUTRAL, width=2))]
    return figure(data, height=height, margin=dict(l=70, t=20 + 2 * LEGEND_ROW, b=70), shapes=marks, **layout,
                  legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0))
