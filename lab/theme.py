"""The lab's one look: a fixed colour per cell kind and one Plotly template readable on a projector.

Usage::

    from lab.theme import CELL_COLORS, CELL_LABELS, TEMPLATE_NAME
    go.Scatter(..., line=dict(color=CELL_COLORS["gru"], width=LINE_WIDTH), name=CELL_LABELS["gru"])

Figures should start from ``lab.figures.common.base_figure`` which applies the template and the sizes.

Light and dark: the pages render charts with ``st.plotly_chart(..., theme="streamlit")`` (the default, see
``lab.ui.chart``). Streamlit then fills in the background, grid and text colours of the active app theme
(light or dark) and keeps what the figure sets explicitly: our trace colours, font sizes, line widths and margins.
So the template sets sizes and the categorical palette but never a text or background colour.

The palette is Okabe & Ito (2008), safe for the common colour-vision deficiencies. Each kind also has its own
dash style (``CELL_DASH``) so lines stay distinguishable in greyscale print-outs and for full colour blindness.
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe-Ito colours by name. Black is left out (invisible on the dark theme) and yellow is not used for lines
# (invisible on white); grey stands in for the 7th kind.
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "orange": "#E69F00",
    "grey": "#999999",
    "yellow": "#F0E442",
}
OKABE_ITO_ORDER: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#56B4E9", "#CC79A7", "#E69F00", "#999999")

# One colour per cell kind, used on every page.
CELL_COLORS: dict[str, str] = {
    "rnn": OKABE_ITO["vermillion"],
    "gru": OKABE_ITO["blue"],
    "lstm": OKABE_ITO["bluish_green"],
    "gru_type1": OKABE_ITO["sky_blue"],
    "gru_type2": OKABE_ITO["reddish_purple"],
    "gru_type3": OKABE_ITO["orange"],
    "mgu": OKABE_ITO["grey"],
}
CELL_LABELS: dict[str, str] = {
    "rnn": "RNN",
    "gru": "GRU",
    "lstm": "LSTM",
    "gru_type1": "GRU type 1",
    "gru_type2": "GRU type 2",
    "gru_type3": "GRU type 3",
    "mgu": "MGU",
}
CELL_DASH: dict[str, str] = {
    "rnn": "solid",
    "gru": "solid",
    "lstm": "solid",
    "gru_type1": "dash",
    "gru_type2": "dashdot",
    "gru_type3": "longdash",
    "mgu": "dot",
}
# Gate colours (r, z, n; LSTM i, f, g, o, c; MGU f) for gate plots, also Okabe-Ito.
GATE_COLORS: dict[str, str] = {
    "r": OKABE_ITO["reddish_purple"],
    "z": OKABE_ITO["orange"],
    "n": OKABE_ITO["sky_blue"],
    "i": OKABE_ITO["sky_blue"],
    "f": OKABE_ITO["orange"],
    "g": OKABE_ITO["bluish_green"],
    "o": OKABE_ITO["reddish_purple"],
    "c": OKABE_ITO["grey"],
    "h": OKABE_ITO["blue"],
}

# Sequential colour scale for magnitudes (heatmaps of |dL/dh|, log10 norms): viridis is perceptually uniform,
# colour-blind safe and readable on light and dark backgrounds. Diverging (signed values): blue-white-red.
SEQUENTIAL_SCALE = "Viridis"
DIVERGING_SCALE = "RdBu_r"

# Sizes (px) for a projector: the back row must read the tick labels (16 px ticks were weak at 1920 px wide).
FONT_SIZE = 18
TITLE_SIZE = 24
TICK_SIZE = 18
LEGEND_SIZE = 17
LINE_WIDTH = 3.5
MARKER_SIZE = 9
CHART_HEIGHT = 460

TEMPLATE_NAME = "gru_lab"

# Presenter mode (?present=1, lab.present.projector_style): text and margins this much larger, lines and markers
# this much thicker, for a projector seen from the back row.
PROJECTOR_TEXT_SCALE = 1.25
PROJECTOR_LINE_SCALE = 1.6

# Fixed chart margins (px). Axis automargin is OFF on every chart (lab.figures.common.fixed_margins): with it on,
# Plotly measures every tick label after drawing and, when the labels need more room than the margin, draws the
# whole chart a second time. Streamlit draws each changed chart from scratch on every rerun, so that measuring and
# second draw were half of the browser's work per slider move (vanishing page, norms chart: 52 ms -> 22 ms in
# Chromium). These margins fit the lab's labels at TICK_SIZE / FONT_SIZE ("10⁻³⁰⁰" tick labels plus a rotated axis
# title on the left, tick labels plus the axis title below, a one-line legend above). Legends and colour bars
# still widen a margin when they need more (a legend wrapping on a narrow screen), so nothing is ever cut off;
# tests/e2e/test_chart_layout.py checks that no chart needs that at 1280 and 1920 px and that no label is clipped.
MARGIN: dict[str, int] = dict(l=112, r=24, t=64, b=88)
MARGIN_TITLE = 104   # top margin of a chart with a title line above its one-line legend
MARGIN_COLORBAR = 140  # right margin of a chart with a colour bar (bar, 18 px tick labels, title)
MARGIN_COLORBAR_SLIM = 80  # right margin for lab.figures.common.slim_colorbar (title above a narrow bar)
MARGIN_LEFT_SHORT = 80    # left margin when the y tick labels are short (unit numbers, "375"; no "10⁻³⁰⁰")
LEGEND_ROW = 26        # height of one more line of legend (LEGEND_SIZE text)
# Value labels on bars (layout.uniformtext): Plotly shrinks a label to its bar's width, which on a phone painted
# them at 6-11 px; a label that would be smaller than this is left out (the axis and the hover give the value).
BAR_TEXT = dict(minsize=12, mode="hide")

# Axis text colour that follows the app theme. Streamlit's chart theme replaces a few placeholder colours in the
# figure with colours of the active theme (streamlit/elements/lib/streamlit_plotly_theme.py: GRAY_90 = "#000037"
# becomes the theme's strong text colour, dark on light and light on dark). Its default axis grey (#808495) is
# too faint for a projector. Outside Streamlit (tests, exported JSON) this is simply near-black.
AXIS_TEXT_COLOR = "#000037"


def _build_template() -> go.layout.Template:
    """Sizes and palette only: colours of text/background come from the active Streamlit theme.

    Deliberately small (not derived from Streamlit's template, whose per-trace-type defaults make every figure
    ~12 ms slower to build): st.plotly_chart(theme="streamlit") fills in the theme's colours in the browser."""
    tpl = go.layout.Template()
    tpl.layout.update(
        font=dict(size=FONT_SIZE),
        title=dict(font=dict(size=TITLE_SIZE), x=0, xanchor="left"),
        colorway=list(OKABE_ITO_ORDER),
        legend=dict(font=dict(size=LEGEND_SIZE)),
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
        xaxis=dict(tickfont=dict(size=TICK_SIZE), title=dict(font=dict(size=FONT_SIZE)), automargin=False),
        yaxis=dict(tickfont=dict(size=TICK_SIZE), title=dict(font=dict(size=FONT_SIZE)), automargin=False),
        margin=dict(MARGIN),
    )
    tpl.data.scatter = [go.Scatter(line=dict(width=LINE_WIDTH), marker=dict(size=MARKER_SIZE))]
    tpl.data.heatmap = [go.Heatmap(colorscale=SEQUENTIAL_SCALE)]
    return tpl


# The page's own CSS (app.py writes it once per run with ``page_style()``), media queries only:
# * wide screens (a projector at 1920 px): the root font one step up, so body text, widget labels and captions
#   (0.875 rem) all read above 16 px from the back row;
# * phones (390 px): Plotly's toolbar would sit on the legend whenever a finger touches the chart, so it is hidden
#   (Streamlit's own full-screen button stays); chart titles, axis titles and tick labels (of every subplot's
#   axes: g-xtitle, g-x2title, ...; g.xtick, g.x2tick, ...) and colour-bar text are set smaller so they fit a
#   360 px wide chart. Plotly still lays the chart out for the figure's sizes; this only shrinks the painted text
#   around its anchor (centred titles stay centred, tick labels stay at their axis), so nothing moves onto
#   anything else. Long titles are kept short in the figure builders (or wrapped with <br>) to fit as well.
# * a picture drawn twice (lab.ui.picture(narrow=...)): its box is a CSS container; narrower than
#   NARROW_PICTURE_PX it shows the narrow drawing, otherwise the wide one (the wide step-through diagram's text
#   would fall below ~11 px in a phone's 360 px column);
# * a markdown table or a display formula wider than the column scrolls inside its own box instead of widening
#   the page (a phone could otherwise pan the whole page sideways); on a phone its text is PHONE_TABLE_PX with
#   narrow cell padding, so the lab's tables fit a 390 px screen whole (at 18 px the last columns were scrolled
#   out of sight: compare's parameter and equation tables, forecast's scores); a display formula is drawn at the
#   text's size (KaTeX's own is 1.21 em: the step-through's r_t, z_t and n_t were 23-29 px wider than their box);
# * a button group (pills, a segmented control) wraps its choices onto more lines instead of scrolling them
#   sideways inside its box, where the last ones were hidden with no hint (train's seven cells in a third of a
#   laptop's width showed three);
# * on a phone, columns that Streamlit stacks are an ordinary block gap (1 rem) apart: it kept their sideways gap
#   between them (gap="large": 72 px, a screen's worth of blank lines over train's settings);
# * a table in a container whose key starts with WIDE_TABLE_KEY (compare's equations) keeps each cell on one line
#   on a phone and scrolls sideways inside its own box: its formulas wrapped over 3-5 lines in 50 px columns (987 px tall). Its
#   long formula column comes last, so a formula cut at the box's edge is the sign that there is more.
WIDE_MIN_PX = 1600
WIDE_ROOT_PX = 19
NARROW_PICTURE_PX = 700
PICTURE_KEYS = ("pic_box_", "pic_wide_", "pic_narrow_")   # key prefixes of lab.ui.picture's containers
PHONE_MAX_PX = 640
PHONE_TITLE_PX = 16
PHONE_AXIS_TITLE_PX = 14
PHONE_TICK_PX = 13
PHONE_TABLE_PX = 14
WIDE_TABLE_KEY = "wide_table_"   # key prefix of a container whose tables scroll sideways on a phone
_PHONE_AXIS_TITLES = ", ".join(f'.js-plotly-plot g[class^="g-{a}"][class$="title"] text' for a in "xy")
PAGE_CSS = f"""<style>
@media (min-width: {WIDE_MIN_PX}px) {{ html {{ font-size: {WIDE_ROOT_PX}px; }} }}
@media (max-width: {PHONE_MAX_PX}px) {{
  .js-plotly-plot .modebar-container {{ display: none !important; }}
  .js-plotly-plot .gtitle {{ font-size: {PHONE_TITLE_PX}px !important; }}
  {_PHONE_AXIS_TITLES}, .js-plotly-plot .cbtitle text {{ font-size: {PHONE_AXIS_TITLE_PX}px !important; }}
  .js-plotly-plot g[class$="tick"] > text, .js-plotly-plot .cbaxis text {{
    font-size: {PHONE_TICK_PX}px !important; }}
  [data-testid="stMarkdownContainer"] table :is(th, td) {{ font-size: {PHONE_TABLE_PX}px; padding: 4px 5px; }}
  .katex-display > .katex {{ font-size: 1em; }}
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"]) {{ row-gap: 1rem; }}
  [class*="st-key-{WIDE_TABLE_KEY}"] table :is(th, td) {{ white-space: nowrap; }}
}}
[class*="st-key-{PICTURE_KEYS[0]}"] {{ container-type: inline-size; }}
@container (max-width: {NARROW_PICTURE_PX - 0.5}px) {{ [class*="st-key-{PICTURE_KEYS[1]}"] {{ display: none; }} }}
@container (min-width: {NARROW_PICTURE_PX}px) {{ [class*="st-key-{PICTURE_KEYS[2]}"] {{ display: none; }} }}
[data-testid="stMarkdownContainer"]:has(> table) {{ overflow-x: auto; }}
[data-testid="stButtonGroup"] [role="toolbar"] {{ flex-wrap: wrap; row-gap: 0.5rem; }}
</style>"""


def page_style() -> None:
    """Write ``PAGE_CSS`` into the page (a style-only ``st.html`` takes no room). Call once per run (app.py)."""
    import streamlit as st

    st.html(PAGE_CSS)


def register() -> str:
    """Register the lab template under ``TEMPLATE_NAME`` and make it Plotly's default; returns the name."""
    pio.templates[TEMPLATE_NAME] = _build_template()
    pio.templates.default = TEMPLATE_NAME
    return TEMPLATE_NAME


def layout_sizes() -> dict:
    """The size settings as explicit layout keys. Streamlit's theme rewrites the template's text settings in the
    browser, so ``base_figure`` also writes these into the figure's own layout, where they win."""
    return dict(
        font=dict(size=FONT_SIZE),
        title_font=dict(size=TITLE_SIZE),
        legend=dict(font=dict(size=LEGEND_SIZE)),
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
    )


register()
