"""Shared pure figure helpers (no Streamlit): the lab's base figure, honest log axes, heatmaps, number words.

Usage::

    from lab.figures.common import base_figure, log_limits, log_line, log_heatmap, sci

    floor, ceil = log_limits(rnn_norms, gru_norms)          # shared axis range (decades) for all lines
    traces = (log_line(k, rnn_norms, name="RNN", color=CELL_COLORS["rnn"], floor=floor, ceil=ceil)
              + log_line(k, gru_norms, name="GRU", color=CELL_COLORS["gru"], floor=floor, ceil=ceil))
    fig = base_figure("Gradient over distance", "steps back from the loss", "‖dL/dh_t‖", log_y=True, data=traces)
    finish_log_axis(fig, floor, ceil)                       # range + "0 (underflow)" / "overflow" guide lines

Honest log axes: a value of exactly 0 (underflow) or inf/NaN (overflow) has no place on a log axis, and Plotly
would silently leave a gap. ``log_line`` draws such points AT the axis floor / ceiling, joined to the line,
with a distinct marker (down-triangle = exactly 0, up-triangle = not finite) and hover text giving the true value.
The true values travel in the trace's ``customdata`` so tests can check the figure holds the engine's numbers.

Speed: ``base_figure`` returns an UNVALIDATED figure (``go.Figure(_validate=False)``, ~20x faster to build, which
matters because every slider move rebuilds every chart). Build traces as dicts (``go.Scatter(...)`` validates on its
own) and pass them to ``base_figure(data=...)``: Plotly validates every trace added to an existing figure, but not
the ones it is built with (~5x faster). Unit tests must call ``validate_figure(fig)`` on each builder's output so a
misspelt property still fails a test.

Arrays are passed as numpy float64 (Plotly sends typed arrays; float64 keeps gradients like 1e-60 that float32
would flush to 0).
"""
from __future__ import annotations

import math
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from lab.theme import (AXIS_TEXT_COLOR, CHART_HEIGHT, FONT_SIZE, LEGEND_ROW, LEGEND_SIZE, LINE_WIDTH, MARGIN, MARGIN_TITLE,
                       MARKER_SIZE, OKABE_ITO_ORDER, SEQUENTIAL_SCALE, TEMPLATE_NAME, TICK_SIZE, TITLE_SIZE,
                       layout_sizes)

UNDERFLOW_SYMBOL = "triangle-down"
OVERFLOW_SYMBOL = "triangle-up"


def bottom_legend() -> dict:
    """A legend in the chart's bottom margin, under the x-axis title (the bottom margin must leave it room): a
    chart's second legend (at most four entries per legend), or its only one when the top holds titles. Its text
    in the theme's strong text colour (Streamlit's theme colours only the first legend)."""
    return dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left",
                font=dict(size=LEGEND_SIZE, color=AXIS_TEXT_COLOR))


def lab_template() -> dict:
    """``{"template": <the lab template>}`` when the lab template is not Plotly's default, else ``{}``. Importing
    streamlit's Plotly module makes its own template the default; in the app lab registers after it, but a
    notebook or test may import them in the other order."""
    return {} if pio.templates.default == TEMPLATE_NAME else {"template": pio.templates[TEMPLATE_NAME]}


def base_figure(title: str | None, x_title: str, y_title: str, *, log_y: bool = False, height: int = CHART_HEIGHT,
                legend: bool = True, legend_rows: int = 1, data: list[dict] | None = None,
                layout: dict | None = None) -> go.Figure:
    """A figure in the lab template with projector-sized text and a horizontal legend above the plot; empty, or
    holding ``data`` (trace dicts, e.g. from ``log_line``: passing them here is ~5x faster than adding them later,
    since Plotly validates every trace added to an existing figure).

    legend_rows: how many lines the legend takes on a laptop-width chart; the top margin leaves room for them
    (a legend that still needs more widens the margin itself, at the cost of a second draw). ``layout``: more
    layout entries, a dict entry merged into the one here (``{"xaxis": {"range": [0, 9]}, "shapes": [...]}``):
    set up front, where ``update_layout`` / ``update_xaxes`` / ``add_vline`` afterwards cost 5-40 ms each."""
    axis_font = dict(color=AXIS_TEXT_COLOR)

    def axis(text: str) -> dict:
        return dict(title=dict(text=text, font=dict(size=FONT_SIZE, **axis_font)),
                    tickfont=dict(size=TICK_SIZE, **axis_font), automargin=False)

    yaxis = axis(y_title)
    if log_y:
        yaxis.update(type="log", exponentformat="power")
    # Built unvalidated (_validate=False): Plotly's property validation costs ~5-15 ms per chart and every rerun
    # pays it; with it off a figure takes well under 1 ms. Unit tests run validate_figure() on every builder's output,
    # which catches misspelt properties just the same.
    return go.Figure(data=data or [], _validate=False, layout=merged(dict(
        colorway=list(OKABE_ITO_ORDER),
        title=dict(text=title, font=dict(size=TITLE_SIZE)) if title else None,
        height=height,
        font=dict(size=FONT_SIZE),
        legend=dict(font=dict(size=LEGEND_SIZE), orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        showlegend=legend,
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
        margin=dict(MARGIN, t=(MARGIN_TITLE if title else MARGIN["t"]) + LEGEND_ROW * (max(legend_rows, 1) - 1)),
        xaxis=axis(x_title),
        yaxis=yaxis,
        **lab_template(),
    ), layout or {}))


def merged(base: dict, extra: dict) -> dict:
    """``base`` updated by ``extra``, a dict value merged into ``base``'s dict of the same key (one level deep)."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = {**out[k], **v} if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def vline(x: float, *, axis: str = "", color: str = "#888888", dash: str = "dot") -> dict:
    """A vertical line at ``x`` across the whole height of panel ``axis`` ("" or "2", ...), as a layout shape:
    ``fig.add_vline`` does the same with full validation (~10 ms per call)."""
    return dict(type="line", x0=x, x1=x, xref=f"x{axis}", y0=0, y1=1, yref=f"y{axis} domain",
                line=dict(color=color, width=2, dash=dash))


def fixed_margins(fig: go.Figure, **margin: int) -> go.Figure:
    """Turn axis automargin off on every axis and set fixed margins: lab.theme.MARGIN updated by ``margin``
    (keys l, r, t, b). Every figure builder ends with this (directly or via ``style_figure``); lab.theme.MARGIN
    says why (each automargin chart was measured and drawn twice per rerun). Returns ``fig``."""
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)
    fig.update_layout(margin=dict(MARGIN, **margin))
    return fig


def style_figure(fig: go.Figure, *, annotations: bool = True, **margin: int) -> go.Figure:
    """For figures not started from ``base_figure`` (e.g. ``make_subplots``): the lab template, projector-sized
    axis text in the theme's strong text colour (and sized subplot titles, ``annotations=True``) and
    ``fixed_margins(fig, **margin)``."""
    fig.update_layout(template=TEMPLATE_NAME, **layout_sizes())
    axis_text = dict(tickfont=dict(size=TICK_SIZE, color=AXIS_TEXT_COLOR),
                     title_font=dict(size=FONT_SIZE, color=AXIS_TEXT_COLOR))
    fig.update_xaxes(**axis_text)
    fig.update_yaxes(**axis_text)
    if annotations:
        fig.update_annotations(font_size=FONT_SIZE)
    return fixed_margins(fig, **margin)


def log_limits(*arrays: np.ndarray, pad_decades: float = 0.5, min_span_decades: float = 2.0,
               lowest: float = 1e-300) -> tuple[float, float]:
    """Axis floor and ceiling (values, not logs) covering every positive finite value of ``arrays``.

    The floor sits ``pad_decades`` below the smallest positive finite value (where exact zeros are drawn), the
    ceiling the same above the largest (where inf/NaN are drawn). With no positive finite value: (1e-16, 1)."""
    vals = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    v = np.concatenate(vals) if vals else np.zeros(0)
    pos = v[np.isfinite(v) & (v > 0)]
    if pos.size == 0:
        return 1e-16, 1.0
    lo = math.log10(max(float(pos.min()), lowest))
    hi = math.log10(float(pos.max()))
    if hi - lo < min_span_decades:
        mid = (hi + lo) / 2
        lo, hi = mid - min_span_decades / 2, mid + min_span_decades / 2
    floor = 10.0 ** math.floor(lo - pad_decades)    # floats: a Python int like 10**40 breaks the JSON encoder
    ceil = 10.0 ** min(math.ceil(hi + pad_decades), 300)
    return max(floor, lowest), min(ceil, 1e300)


def log_display(y: np.ndarray, floor: float, ceil: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values to draw on a log axis: (y_plot, underflow_mask, overflow_mask).

    Exact zeros (and anything below the floor, including negative rounding noise) go to ``floor``; +-inf and NaN to
    ``ceil``. Positive finite values are unchanged."""
    y = np.asarray(y, dtype=np.float64)
    over = ~np.isfinite(y)
    under = np.isfinite(y) & (y <= 0)
    plot = np.where(over, ceil, np.where(under, floor, y))
    plot = np.clip(plot, floor, ceil)
    return plot, under, over


def _true_text(v: float) -> str:
    if math.isnan(v):
        return "NaN (overflow)"
    if math.isinf(v):
        return "inf (overflow)"
    if v == 0:
        return "exactly 0 (underflow)"
    return f"{v:.3g}"


def log_line(x: np.ndarray, y: np.ndarray, *, name: str, color: str, floor: float, ceil: float,
             dash: str = "solid", width: float = LINE_WIDTH, legendgroup: str | None = None, showlegend: bool = True,
             hover_x: str = "x", **axes: str) -> list[dict]:
    """Trace dicts for a line on a log y-axis that shows underflow/overflow at the floor/ceiling instead of a gap.

    One line trace (``customdata`` = the true values, ``meta`` = {"role": "line"}) and, if needed, one marker
    trace per kind of bad point (``meta`` = {"role": "underflow"|"overflow"}), in the same legend group.
    ``axes``: e.g. ``xaxis="x2", yaxis="y2"`` to place them on another panel."""
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.float64)
    plot, under, over = log_display(y, floor, ceil)
    group = legendgroup or name
    hover = [_true_text(v) for v in y] if (under.any() or over.any()) else None
    traces = [dict(
        type="scatter", x=x, y=plot, customdata=y, mode="lines", name=name, legendgroup=group,
        showlegend=showlegend, line=dict(color=color, width=width, dash=dash), meta={"role": "line", "name": name},
        text=hover, hovertemplate=f"{name}<br>{hover_x} = %{{x}}<br>" + ("%{text}" if hover else "%{y:.3g}")
        + "<extra></extra>", **axes,
    )]
    for mask, role, symbol, label in ((under, "underflow", UNDERFLOW_SYMBOL, "exactly 0 (underflow)"),
                                      (over, "overflow", OVERFLOW_SYMBOL, "inf/NaN (overflow)")):
        if mask.any():
            traces.append(dict(
                type="scatter", x=x[mask], y=plot[mask], customdata=y[mask], mode="markers", name=f"{name}: {label}",
                legendgroup=group, showlegend=False, meta={"role": role, "name": name},
                marker=dict(color=color, symbol=symbol, size=MARKER_SIZE + 3, line=dict(width=0)),
                hovertemplate=f"{name}<br>{hover_x} = %{{x}}<br>{label}<extra></extra>", **axes,
            ))
    return traces


def log_axis_layout(floor: float, ceil: float, traces: list[dict], *, xref: str = "x domain",
                    yref: str = "y") -> tuple[dict, list[dict], list[dict]]:
    """``finish_log_axis`` as plain layout parts for ``base_figure(..., layout=...)``: (y-axis keys: log type and
    range [floor, ceil]; guide lines and their labels at the floor / ceiling when a trace of ``traces`` has meta
    role "underflow" / "overflow")."""
    roles = {(t.get("meta") or {}).get("role") for t in traces if isinstance(t.get("meta"), dict)}
    shapes, notes = _log_guides(floor, ceil, "underflow" in roles, "overflow" in roles, xref, yref)
    return dict(type="log", range=[math.log10(floor), math.log10(ceil)]), shapes, notes


def _log_guides(floor: float, ceil: float, under: bool, over: bool, xref: str, yref: str) -> tuple[list, list]:
    shapes, notes = [], []
    for flag, level, text, yanchor in ((under, floor, "▼ exactly 0 (underflow)", "bottom"),
                                       (over, ceil, "▲ inf/NaN (overflow)", "top")):
        if flag:
            shapes.append(dict(type="line", xref=xref, x0=0, x1=1, yref=yref, y0=level, y1=level,
                               line=dict(dash="dot", width=1.5, color="#888888")))
            notes.append(dict(xref=xref, x=0, xanchor="left", yref=yref, y=math.log10(level), yanchor=yanchor,
                              text=text, showarrow=False, font=dict(size=TICK_SIZE)))
    return shapes, notes


def _roles(traces) -> set:
    """The meta roles of ``traces`` (trace dicts or Plotly trace objects)."""
    metas = (t.get("meta") if isinstance(t, dict) else t.meta for t in traces)
    return {m.get("role") for m in metas if isinstance(m, dict)}


def log_axis(floor: float, ceil: float, traces, *, axis: str = "", has_underflow: bool | None = None,
             has_overflow: bool | None = None) -> tuple[dict, list[dict], list[dict]]:
    """A log y-axis fixed to [floor, ceil], as plain layout entries: the axis's keys, and the floor/ceiling guide
    lines (shapes) and their labels (annotations) when points sit there; by default when a trace of ``traces`` has
    meta role "underflow" / "overflow". ``axis``: "" or "2", ... (the panel's y-axis). For a figure being built as
    one layout dict (``fig.update_layout`` afterwards costs 5-15 ms)."""
    roles = _roles(traces)
    under = "underflow" in roles if has_underflow is None else has_underflow
    over = "overflow" in roles if has_overflow is None else has_overflow
    keys = dict(type="log", range=[math.log10(floor), math.log10(ceil)])
    shapes, notes = _log_guides(floor, ceil, under, over, f"x{axis} domain", f"y{axis}")
    return keys, shapes, notes


def finish_log_axis(fig: go.Figure, floor: float, ceil: float, *, has_underflow: bool | None = None,
                    has_overflow: bool | None = None) -> None:
    """``log_axis`` applied to a built figure's main y-axis."""
    keys, shapes, notes = log_axis(floor, ceil, fig.data, has_underflow=has_underflow, has_overflow=has_overflow)
    fig.layout.yaxis.update(keys)
    if shapes:
        # one update with plain dicts: fig.add_hline / add_annotation validate and cost 5-15 ms per call
        fig.update_layout(shapes=list(fig.layout.shapes or ()) + shapes,
                          annotations=list(fig.layout.annotations or ()) + notes)


def validate_figure(fig: go.Figure) -> go.Figure:
    """Rebuild ``fig`` with Plotly's full validation; raises ValueError on any invalid property. For tests: figure
    builders make unvalidated figures (see ``base_figure``), so every builder's unit test should call this."""
    return go.Figure(fig.to_dict())


def legend_entries(fig: go.Figure | dict) -> dict[str, list[str]]:
    """The names a figure's legends show, by legend ("legend", "legend2", ...): every trace with a name whose
    ``showlegend`` is not False (none when the layout hides the legend). For tests of the lab's rule of at most
    four legend entries per legend (a panel's legend). ``fig``: a figure or its dict (e.g. Streamlit's spec)."""
    spec = fig if isinstance(fig, dict) else fig.to_plotly_json()
    if spec.get("layout", {}).get("showlegend") is False:
        return {}
    out: dict[str, list[str]] = {}
    for t in spec.get("data", []):
        if t.get("showlegend", True) is not False and t.get("name") and t.get("visible", True) is not False:
            out.setdefault(t.get("legend", "legend"), []).append(t["name"])
    return out


def log10_safe(z: np.ndarray, floor: float, ceil: float) -> np.ndarray:
    """log10 of magnitudes for colour scales: zeros at log10(floor), inf/NaN at log10(ceil)."""
    plot, _, _ = log_display(np.abs(np.asarray(z, dtype=np.float64)), floor, ceil)
    return np.log10(plot)


def slim_colorbar(title: str, **kw) -> dict:
    """A narrow vertical colour bar with its title above the bar (not beside it), for heatmaps: it needs only
    ``lab.theme.MARGIN_COLORBAR_SLIM`` on the right, so on a phone the heatmap keeps most of the chart's width.
    ``kw``: more colour-bar keys (len, y, yanchor, ...)."""
    return dict(title=dict(text=title, side="top", font=dict(size=FONT_SIZE)), thickness=14, xpad=8,
                tickfont=dict(size=TICK_SIZE), **kw)


def log_heatmap(z: np.ndarray, *, x: np.ndarray | None = None, y: np.ndarray | None = None,
                colorbar_title: str = "log10", floor: float | None = None, ceil: float | None = None,
                colorscale: str = SEQUENTIAL_SCALE, name: str | None = None, hover_x: str = "x",
                hover_y: str = "y") -> go.Heatmap:
    """A heatmap of log10|z| with an honest colour range: exact zeros take the floor colour, inf/NaN the ceiling
    colour; hover shows the true value. ``z`` is (rows, cols) = (y, x)."""
    z = np.asarray(z, dtype=np.float64)
    if floor is None or ceil is None:
        f, c = log_limits(np.abs(z), pad_decades=0.0, min_span_decades=1.0)
        floor = f if floor is None else floor
        ceil = c if ceil is None else ceil
    zz = log10_safe(z, floor, ceil)
    text = np.vectorize(_true_text, otypes=[object])(np.abs(z)) if z.size <= 200_000 else None
    return go.Heatmap(
        z=zz, x=x, y=y, zmin=math.log10(floor), zmax=math.log10(ceil), colorscale=colorscale, name=name,
        colorbar=dict(title=dict(text=colorbar_title), tickfont=dict(size=TICK_SIZE)),
        customdata=np.abs(z), text=text,
        hovertemplate=f"{hover_x} = %{{x}}<br>{hover_y} = %{{y}}<br>value = %{{text}}<extra></extra>"
        if text is not None else None,
        meta={"role": "log_heatmap", "floor": floor, "ceil": ceil},
    )


def sci(v: float, digits: int = 2) -> str:
    """Numbers in words for headlines: 0.3, 12, 1e-12, exactly 0, overflow."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NaN (overflow)"
    if math.isinf(v):
        return "inf (overflow)"
    if v == 0:
        return "exactly 0"
    a = abs(v)
    if 1e-3 <= a < 1e4:
        return f"{v:.{digits}g}"
    m, e = f"{v:.{max(digits - 1, 0)}e}".split("e")
    e = int(e)
    m = m.rstrip("0").rstrip(".")
    return f"{m}e{e}"


def decode(arr) -> np.ndarray:
    """Plotly figure-JSON array (a list, or Plotly's typed-array dict {"dtype", "bdata"}) -> numpy array.

    For tests and tools that read ``fig.to_plotly_json()`` or Streamlit's chart spec."""
    if isinstance(arr, dict) and "bdata" in arr:
        import base64

        out = np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
        if "shape" in arr:
            shape = arr["shape"]
            if isinstance(shape, str):
                shape = [int(s) for s in shape.split(",")]
            out = out.reshape(shape)
        return out
    return np.asarray(arr)


def steps_back(T: int) -> np.ndarray:
    """k = T - t for t = 1..T: distance (in steps) from the loss at step T, as used on gradient-vs-distance plots."""
    return np.arange(T - 1, -1, -1)



def panel_axes(i: int) -> dict:
    """Trace keywords placing a trace on panel i (1-based) of ``panel_figure``: xaxis/yaxis "x"/"y" or "x{i}"/"y{i}"."""
    return dict(xaxis="x" if i == 1 else f"x{i}", yaxis="y" if i == 1 else f"y{i}")


def _spans(sizes: list[float], spacing: float) -> list[tuple[float, float]]:
    free, pos, out = 1.0 - spacing * (len(sizes) - 1), 0.0, []
    for f in sizes:
        out.append((pos, pos + f * free))
        pos += f * free + spacing
    return out


def panel_figure(n: int, *, along: str = "cols", titles: list[str | None] | None = None, height: int = CHART_HEIGHT,
                 spacing: float = 0.05, sizes: list[float] | None = None, legend: bool = True,
                 margin: dict | None = None, data: list[dict] | None = None, axis_titles: dict[str, str] | None = None,
                 layout: dict | None = None) -> go.Figure:
    """``n`` panels side by side (``along="cols"``, one shared y-axis) or stacked (``"rows"``, one shared x-axis,
    panel 1 on top), in the lab's look (fixed margins, automargin off); panel titles centred above each panel.
    Place traces with ``panel_axes(i)``. ``axis_titles``: e.g. ``{"yaxis2": "z"}``; ``layout``: more entries, merged
    as in ``base_figure``. One layout dict: ``make_subplots`` plus per-axis updates cost ~10x more."""
    base = _panel_layout(n, along, titles, height, spacing, sizes, legend, margin)
    for key, text in (axis_titles or {}).items():
        base[key]["title"]["text"] = text
    return go.Figure(data=data or [], layout=merged(base, layout or {}), _validate=False)   # unvalidated: see base_figure


def _panel_layout(n: int, along: str, titles: list[str | None] | None, height: int, spacing: float,
                  sizes: list[float] | None, legend: bool, margin: dict | None) -> dict:
    """The layout dict of ``panel_figure``."""
    layout: dict = dict(height=height, showlegend=legend, margin={**MARGIN, "t": 110 if legend else 70, **(margin or {})},
                        **layout_sizes(), **lab_template())
    layout["legend"] = dict(layout["legend"], orientation="h", yanchor="bottom", y=1.06, xanchor="left", x=0)
    notes = []
    for i, (a, b) in enumerate(_spans(sizes or [1.0 / n] * n, spacing), start=1):
        s = "" if i == 1 else str(i)
        lo, hi = (0.0, 1.0) if along == "cols" else (1.0 - b, 1.0 - a)
        xd, yd = ([a, b], [0.0, 1.0]) if along == "cols" else ([0.0, 1.0], [lo, hi])
        xa = dict(domain=xd, anchor=f"y{s}", showticklabels=along == "cols" or i == n)
        ya = dict(domain=yd, anchor=f"x{s}")
        if i > 1:
            (ya if along == "cols" else xa).update(matches="y" if along == "cols" else "x")
            ya.update(showticklabels=along != "cols")
        for key, ax in ((f"xaxis{s}", xa), (f"yaxis{s}", ya)):   # fresh dicts: the unvalidated figure keeps them
            layout[key] = dict(tickfont=dict(size=TICK_SIZE, color=AXIS_TEXT_COLOR), automargin=False,
                               title=dict(font=dict(size=FONT_SIZE, color=AXIS_TEXT_COLOR)), **ax)
        if titles and titles[i - 1]:
            notes.append(dict(text=titles[i - 1], x=(a + b) / 2 if along == "cols" else 0.5, y=hi, xref="paper",
                              yref="paper", xanchor="center", yanchor="bottom", showarrow=False,
                              font=dict(size=FONT_SIZE)))
    layout["annotations"] = notes
    return layout


def stacked_panels(panels: list[list[dict]], *, x_title: str, y_title: str, height: int, gap: float = 0.25,
                   legend_titles: list[str] | None = None, margin: dict | None = None,
                   y_axis: dict | None = None, extra: dict | None = None) -> go.Figure:
    """Panels stacked on one time axis and one value axis (panel 1 on top; x and y ranges matched), each with its
    own legend just above it, so a legend names only its panel's lines (the lab's rule: at most four legend entries
    per panel). ``panels``: trace dicts per panel (empty ones are left out); ``gap`` (paper units) leaves room for
    a lower panel's legend of four rows (on a phone each entry may take a row) at a plot height of ~480 px;
    ``legend_titles``: a short word before each legend's entries; ``y_axis``: more keys for every value axis (e.g.
    a log type); ``extra``: more layout entries (e.g. ``shapes``). Built as one layout dict (no validated
    updates)."""
    panels = [p for p in panels if p]
    n = max(len(panels), 1)
    data = [dict(t, legend="legend" if i == 1 else f"legend{i}", **panel_axes(i))
            for i, p in enumerate(panels, start=1) for t in p]
    layout = _panel_layout(n, "rows", None, height, gap, None, True, margin)
    font = dict(size=LEGEND_SIZE, color=AXIS_TEXT_COLOR)   # Streamlit's theme colours only the first legend
    for i, (a, _b) in enumerate(_spans([1.0 / n] * n, gap), start=1):
        s = "" if i == 1 else str(i)
        layout[f"yaxis{s}"]["title"]["text"] = y_title
        layout[f"yaxis{s}"].update(y_axis or {}, **({"matches": "y"} if i > 1 else {}))
        title = {"title": dict(text=legend_titles[i - 1], font=dict(font))} if legend_titles else {}
        layout[f"legend{s}"] = dict(layout.get(f"legend{s}", {}), orientation="h", xanchor="left", x=0,
                                    yanchor="bottom", y=1.0 - a + (0.02 if i == 1 else 0.01), font=dict(font),
                                    **title)
    layout[f"xaxis{'' if n == 1 else n}"]["title"]["text"] = x_title
    return go.Figure(data=data, layout=merged(layout, extra or {}), _validate=False)   # unvalidated: see base_figure