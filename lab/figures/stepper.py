"""Figures for the step-through page: the GRU cell diagram and the step context charts.

Pure builders: numbers in, ``go.Figure`` out, no Streamlit. The diagram draws one unit of one step:
wires, the two gates, the candidate, the reset multiplication and the mix, each part coloured by its current
value (gates on a 0..1 scale, states on a -1..1 scale), with the value written beside it.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import (colorscale_to_colors, colorscale_to_scale, find_intermediate_color, get_colorscale,
                           validate_colors)

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


def _resolved(stops: list) -> tuple[list[float], list[tuple]]:
    return colorscale_to_scale(stops), validate_colors(colorscale_to_colors(stops), colortype="tuple")


_GATE, _STATE = _resolved(_GATE_STOPS), _resolved(_STATE_STOPS)


def _sample(scale: tuple[list[float], list[tuple]], p: float) -> str:
    """plotly's ``sample_colorscale(stops, [p])[0]`` (same interpolation, same "rgb(...)" text) on a scale resolved
    once: plotly re-validates every stop on each call, which cost the diagram ~10 ms per build."""
    points, colors = scale
    hi = bisect_left(points, p)
    c = find_intermediate_color(colors[hi - 1], colors[hi], (p - points[hi - 1]) / (points[hi] - points[hi - 1]))
    return validate_colors([c], colortype="rgb")[0]


def gate_color(v: float) -> str:
    """Colour of a gate value on GATE_SCALE (clipped to [0, 1]; NaN -> neutral grey)."""
    if not np.isfinite(v):
        return NEUTRAL
    return _sample(_GATE, float(np.clip(v, 0.0, 1.0)))


def state_color(v: float) -> str:
    """Colour of a state value on STATE_SCALE (clipped to [-1, 1]; NaN -> neutral grey)."""
    if not np.isfinite(v):
        return NEUTRAL
    return _sample(_STATE, float(np.clip((v + 1.0) / 2.0, 0.0, 1.0)))


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


# ----------------------------------------------------------------------------------------------- the diagram
# Drawn as SVG (shown as a picture): a step move then costs the browser one image, not a Plotly redraw (a changed
# chart costs ~70-100 ms of browser time each move; this picture a few ms). Data coordinates -> SVG px:
_U, _X0, _Y1, _TOP = 52.0, -0.6, 7.9, 66.0          # px per unit, left and top data edges, title band (px)
DIAGRAM_SIZE = (900, 510)                             # viewBox width, height (px at 100%)


def _sub(size: str = "72%") -> str:
    """The opening tag of a subscript at ``size`` of the text (closed by ``</tspan>``)."""
    return f'<tspan baseline-shift="sub" font-size="{size}">'


# plotly-style label positions -> (text-anchor, dx in radii, dy in radii)
_ANCHOR = {"top center": ("middle", 0, -1), "bottom center": ("middle", 0, 1), "middle left": ("end", -1, 0),
           "middle right": ("start", 1, 0), "top right": ("start", 0.6, -1), "bottom left": ("end", -0.3, 1)}

# The narrow layout (a phone): the same parts and wires a quarter turn round, so its text stays readable in a
# ~360 px column: the memory line runs down the right edge (h_t-1 at the top, h_t at the bottom), the input bus
# [h_t-1, x_t] down the left. Positions in px; each part's label: (text-anchor, x, y of its first line).
NARROW_SIZE = (425, 815)   # the page shows it in a column narrower than lab.theme.NARROW_PICTURE_PX
_NARROW_FONT, _NARROW_SUB = 18, "80%"
_SUB_LEAD = 1.56   # line spacing under a line with subscripts (at 1.2 the value's line hit them: -6 px at 18 px)
# columns: the bus, the gates, the write x, 1 - z, the reset x, 1 - z of the Chung / Wikipedia mix, the memory line
_B, _G, _NW, _OM, _R, _WK, _M = 28, 118, 66, 190, 205, 290, 385
_NARROW_PARTS = {
    "h_prev": ((_M, 110), ("end", _M - 29, 116)), "x": ((_B, 110), ("start", _B + 29, 116)),
    "r": ((_G, 250), ("middle", _G, 214)), "reset": ((_R, 250), ("start", _R - 22, 190)),
    "n": ((_G, 350), ("start", _G + 30, 388)), "z": ((_G, 470), ("middle", _G, 519)),
    "one_minus": ((_OM, 560), ("start", _OM + 25, 566)), "one_minus_wiki": ((_WK, 470), ("middle", _WK, 514)),
    "keep": ((_M, 470), ("end", _M - 26, 440)), "write": ((_NW, 560), ("start", _NW + 25, 606)),
    "plus": ((_M, 640), ("end", 0, 0)), "h": ((_M, 720), ("end", _M - 31, 726)),
}
_NARROW_WIRES = {
    "h_prev→keep": ((_M, 110), (_M, 470)), "keep→plus": ((_M, 470), (_M, 640)), "plus→h": ((_M, 640), (_M, 720)),
    "h_prev→bus": ((_M, 150), (_B, 150)), "bus": ((_B, 110), (_B, 470)), "bus→r": ((_B, 250), (_G, 250)),
    "bus→n": ((_B, 350), (_G, 350)), "bus→z": ((_B, 470), (_G, 470)), "r→reset": ((_G, 250), (_R, 250)),
    "h_prev→reset": ((_M, 250), (_R, 250)), "reset→n": ((_R, 250), (_R, 350), (_G, 350)),
    "n→write": ((_G, 350), (_G, 400), (_NW, 400), (_NW, 560)), "write→plus": ((_NW, 560), (_NW, 640), (_M, 640)),
    # PyTorch mix: z multiplies h_t-1, 1-z multiplies n; Chung / Wikipedia: the other way round
    "z→keep": ((_G, 470), (_M, 470)), "z→one_minus": ((_OM, 470), (_OM, 560)),
    "one_minus→write": ((_OM, 560), (_NW, 560)),
    "z→one_minus (wiki)": ((_G, 470), (_WK, 470)), "one_minus→keep": ((_WK, 470), (_M, 470)),
    "z→write": ((_OM, 470), (_OM, 560), (_NW, 560)),
}


def _px(x: float, y: float) -> tuple[float, float]:
    return round((x - _X0) * _U, 1), round(_TOP + (_Y1 - y) * _U, 1)


def _svg_text(label: str, sub: str = "72%") -> str:
    """A label's HTML (<sub>, <b>) as SVG tspans (text escaped otherwise)."""
    out = label.replace("&", "&amp;").replace("<sub>", "\0").replace("</sub>", "\1").replace("<b>", "\2")
    out = out.replace("</b>", "\3").replace("<", "&lt;").replace(">", "&gt;")
    for code, tag in zip("\0\1\2\3", (_sub(sub), "</tspan>", '<tspan font-weight="bold">', "</tspan>")):
        out = out.replace(code, tag)
    return out


def _text(lines: list[str], anchor: str, x: float, y0: float, size: int, sub: str = "72%",
          lead: float = 1.2) -> str:
    """Lines of text from (x, y0) down, ``lead`` times the font size apart."""
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else round(size * lead)}">{_svg_text(t, sub)}</tspan>'
                    for i, t in enumerate(lines))
    return f'<text y="{y0:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{AXIS_TEXT_COLOR}">{spans}</text>'


def _label(n: Node) -> str:
    """The node's "name = value" text beside it (several lines at <br>), wide layout."""
    anchor, dx, dy = _ANCHOR[n.label_pos]
    x, y = _px(n.x, n.y)
    rad = n.size / 2 + 6
    if n.key == "x" and "<br>" in n.label:            # a long vector: left-aligned under the node
        anchor, x = "start", x - n.size / 2
    lines = n.label.split("<br>")
    y0 = y + dy * (rad + 14) + (6 if dy == 0 else 0) - (len(lines) - 1) * 24 * (dy < 0)
    return _text(lines, anchor, x + dx * rad, y0, 20)


def _narrow_part(key: str, torch: bool) -> tuple[tuple[float, float], tuple[str, float, float]]:
    """(position, label place) of a part in the narrow layout; 1 - z sits elsewhere in the Chung / Wikipedia mix."""
    return _NARROW_PARTS[key if torch or key != "one_minus" else "one_minus_wiki"]


def _narrow_label(n: Node, torch: bool) -> str:
    """The node's label in the narrow layout: a vector input above its node, a long reset label on two lines."""
    anchor, x, y0 = _narrow_part(n.key, torch)[1]
    lines = n.label.split("<br>")
    if n.key == "x" and len(lines) > 1:                # a vector input: on one line above its node
        anchor, x, y0, lines = "start", 4, 70, [" ".join(lines)]
    lead = 1.2
    if n.key == "reset" and "W<sub>" in n.label:   # the value's line clears the subscripts above it
        head, value = n.label.split(" = ", 1)
        lines, lead = [head, "= " + value], _SUB_LEAD
    return _text(lines, anchor, x, y0, _NARROW_FONT, _NARROW_SUB, lead)


def _node(n: Node, x: float, y: float, size: int = 20) -> str:
    """One part: a circle coloured by its value with its symbol; data-* attributes hold the exact value."""
    fill = _color(n.scale, n.value)
    return (f'<g class="part" data-key="{n.key}" data-value="{float(n.value)!r}" data-fill="{fill}">'
            f'<circle cx="{x}" cy="{y}" r="{n.size / 2}" fill="{fill}" stroke="#333333" stroke-width="2"/>'
            f'<text x="{x}" y="{y}" dy="0.35em" text-anchor="middle" font-size="{size}" font-weight="bold" '
            f'fill="{_text_on(n)}">{n.symbol}</text></g>')


def _wire(w: Wire, pts: list[tuple[float, float]]) -> str:
    """A wire through ``pts`` (px; outlined when it carries a value, so pale wires stay visible) with an arrow
    half-way along its last segment."""
    d = "M " + " L ".join(f"{x},{y}" for x, y in pts)
    if w.scale == "neutral":
        return f'<path d="{d}" fill="none" stroke="{NEUTRAL}" stroke-width="3"/>'
    (x0, y0), (x1, y1) = pts[-2], pts[-1]
    angle = float(np.degrees(np.arctan2(x1 - x0, y0 - y1)))     # 0 = up, clockwise (SVG y points down)
    return (f'<path d="{d}" fill="none" stroke="#555555" stroke-width="10"/>'
            f'<path d="{d}" fill="none" stroke="{_color(w.scale, w.value)}" stroke-width="7"/>'
            f'<path d="M0,-8 L7,6 L-7,6 Z" fill="#777777" transform="translate({(x0 + x1) / 2:.1f},'
            f'{(y0 + y1) / 2:.1f}) rotate({angle:.0f})"/>')


def _gradient(gid: str, stops, direction: str) -> str:
    """A colour bar's gradient definition (``direction``: the x1 y1 x2 y2 attributes, from low to high)."""
    grad = "".join(f'<stop offset="{p:.3f}" stop-color="{c}"/>' for p, c in stops)
    return f'<defs><linearGradient id="{gid}" {direction}>{grad}</linearGradient></defs>'


def _tick(v: float) -> str:
    return f"{v:g}".replace("-", "−")


def _colorbar(name: str, stops, ticks: tuple[float, ...], lo: float, hi: float, top: float) -> str:
    """A vertical colour bar (bottom = lo) with its title above and tick labels on the right."""
    x, h = 836, 150
    labels = "".join(f'<text x="{x + 24}" y="{top + h * (hi - v) / (hi - lo) + 6:.1f}" font-size="17" '
                     f'fill="{AXIS_TEXT_COLOR}">{_tick(v)}</text>' for v in ticks)
    return (_gradient(f"cb_{name}", stops, 'x1="0" y1="1" x2="0" y2="0"') +
            f'<text x="{x}" y="{top - 10}" font-size="17" fill="{AXIS_TEXT_COLOR}">{name}</text>'
            f'<rect x="{x}" y="{top}" width="16" height="{h}" fill="url(#cb_{name})" stroke="#999999"/>{labels}')


def _colorbar_across(name: str, stops, ticks: tuple[float, ...], lo: float, hi: float, top: float) -> str:
    """A horizontal colour bar (left = lo) with its title on the left and tick labels under it (narrow layout)."""
    x, w = 75, 140
    labels = "".join(f'<text x="{x + w * (v - lo) / (hi - lo):.1f}" y="{top + 38}" text-anchor="middle" '
                     f'font-size="16" fill="{AXIS_TEXT_COLOR}">{_tick(v)}</text>' for v in ticks)
    return (_gradient(f"cbn_{name}", stops, 'x1="0" y1="0" x2="1" y2="0"') +
            f'<text x="4" y="{top + 14}" font-size="16" fill="{AXIS_TEXT_COLOR}">{name}</text>'
            f'<rect x="{x}" y="{top}" width="{w}" height="16" fill="url(#cbn_{name})" stroke="#999999"/>{labels}')


def _svg(w: int, h: int, title: str, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            f'font-family="Source Sans Pro, Helvetica, Arial, sans-serif"><rect width="{w}" height="{h}" '
            f'fill="white"/>{title}{body}</svg>')


def _title(s: StepTerms, size: int) -> str:
    return (f'<text x="8" y="30" font-size="{size}" fill="{AXIS_TEXT_COLOR}">GRU cell, unit {s.unit + 1}, '
            f'step t = {s.t}</text>')


_NOTE_SUB = _sub("80%")         # the note is the smallest text: its subscripts a little larger
_BUS_NOTE = f"[h{_NOTE_SUB}t−1</tspan>, x{_NOTE_SUB}t</tspan>] to every gate"


def cell_diagram(s: StepTerms, *, narrow: bool = False) -> str:
    """The GRU cell at step ``s.t`` for unit ``s.unit`` as an SVG document (DIAGRAM_SIZE px; ``narrow``: the same
    parts and wires turned a quarter turn, NARROW_SIZE px, for a phone), parts coloured by their values (gates
    0..1, states -1..1, with a colour bar each) and labelled "name = value".

    Each part is a ``<g class="part" data-key=... data-value=...>`` holding its exact value (``diagram_values``)."""
    if narrow:
        return _narrow_diagram(s)
    nodes = list(diagram_nodes(s).values())
    w, h = DIAGRAM_SIZE
    body = "".join(_wire(wire, [_px(x, y) for x, y in wire.points]) for wire in diagram_wires(s))
    body += "".join(_node(n, *_px(n.x, n.y)) for n in nodes)
    body += "".join(_label(n) for n in nodes if n.label)
    nx, ny = _px(2.2, 0.45)
    body += f'<text x="{nx}" y="{ny}" font-size="17" fill="{NEUTRAL}">{_BUS_NOTE}</text>'
    body += _colorbar("state", _STATE_STOPS, (-1, 0, 1), -1, 1, 86)
    body += _colorbar("gate", _GATE_STOPS, (0, 0.5, 1), 0, 1, 322)
    return _svg(w, h, _title(s, 22), body)


def _narrow_diagram(s: StepTerms) -> str:
    """``cell_diagram(s, narrow=True)``: the parts at _NARROW_PARTS, the wires along _NARROW_WIRES."""
    torch = s.mix == "torch"
    nodes = list(diagram_nodes(s).values())
    w, h = NARROW_SIZE

    def path(wire: Wire) -> list[tuple[float, float]]:
        name = wire.name if torch or wire.name != "z→one_minus" else "z→one_minus (wiki)"
        return list(_NARROW_WIRES[name])

    body = "".join(_wire(wire, path(wire)) for wire in diagram_wires(s))
    body += "".join(_node(n, *_narrow_part(n.key, torch)[0], size=_NARROW_FONT) for n in nodes)
    body += "".join(_narrow_label(n, torch) for n in nodes if n.label)
    body += _colorbar_across("state", _STATE_STOPS, (-1, 0, 1), -1, 1, 672)
    body += _colorbar_across("gate", _GATE_STOPS, (0, 0.5, 1), 0, 1, 732)
    body += f'<text x="4" y="{h - 12}" font-size="17" fill="{NEUTRAL}">{_BUS_NOTE}</text>'
    return _svg(w, h, _title(s, 20), body)


def diagram_values(svg: str) -> tuple[dict[str, float], dict[str, str]]:
    """The parts' exact values and fill colours, read from ``cell_diagram``'s SVG (for tests and tools)."""
    found = re.findall(r'data-key="([^"]+)" data-value="([^"]+)" data-fill="([^"]+)"', svg)
    return {k: float(v) for k, v, _ in found}, {k: c for k, _, c in found}


def _text_on(n: Node) -> str:
    """Symbol colour readable on the node's fill."""
    if n.scale == "gate" and np.isfinite(n.value):
        return "white" if n.value < 0.6 else "black"
    if n.scale == "state" and np.isfinite(n.value):
        return "white" if abs(n.value) > 0.6 else "black"
    return "black"


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
