"""Presenter mode: `?present=1` on any page shows it for a projector.

Usage (pages need nothing: app.py calls ``sidebar_state()`` in its page config and ``apply()`` before the page;
``lab.ui.chart`` calls ``projector_style``)::

    from lab import present
    if present.presenting():          # True when the link carries present=1 (also true/yes/on)
        ...

Controls a page puts in its body (not in the sidebar) go through ``controls``: in presenter mode each row of them
sits in a collapsed "Controls" expander the teacher opens to move them live; on an ordinary link it is the row
itself (no extra element)::

    c1, c2 = present.controls().columns(2)            # a row of controls in columns
    C.slider(..., container=present.controls())       # one control
    with present.controls(border=True):               # a block: a bordered container on an ordinary link
        settings = read_settings()

What stays in the open on a projector: a chart's "Predict first" choices (the class's question), Reveal buttons,
the lesson's Back / Next, links to other pages and the header's "Share with the class".

In presenter mode the sidebar (and the controls in it) starts collapsed, text is larger, chart text and lines are
larger and thicker (``lab.theme.PROJECTOR_TEXT_SCALE`` / ``PROJECTOR_LINE_SCALE``) and each chart is one screen
tall: the page's first chart (its key chart) fills the first screen from where it starts, at 1920x1080 and at 150%
browser zoom (if too much stands above it, the page opens scrolled to it, or to the heading just above it when the
chart still takes half the screen below that heading). Everything else still comes from the same
URL parameters: the teacher's link minus ``present`` is the students' link (``student_params``).

Sections: ``?section=<name>`` opens the page scrolled to the heading whose anchor is ``<name>`` (a heading's anchor
is its text in lower case with dashes, e.g. ``st.subheader("Look closer")`` -> ``look-closer``) or to the container
keyed ``<name>``.
"""
from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import streamlit as st

from lab.theme import (FONT_SIZE, LEGEND_SIZE, LINE_WIDTH, MARKER_SIZE, PROJECTOR_LINE_SCALE, PROJECTOR_TEXT_SCALE,
                       TICK_SIZE, TITLE_SIZE)

PARAM = "present"
SECTION = "section"
_TRUE = {"1", "true", "yes", "on"}


def presenting() -> bool:
    """True when the current link asks for presenter mode (``?present=1``; also true / yes / on)."""
    try:
        raw = st.query_params.get(PARAM)
    except Exception:  # noqa: BLE001  (no script run context: a plain Python import, a notebook)
        return False
    return raw is not None and str(raw).strip().lower() in _TRUE


CONTROLS_LABEL = "Controls"


def controls(parent=st, *, border: bool = False, label: str = CONTROLS_LABEL):
    """Where a page draws a row (or block) of body controls: in presenter mode a collapsed expander ``label`` in
    ``parent``; otherwise ``parent`` itself, or a bordered container in it when ``border``. ``parent``: ``st`` or a
    container / column. Use it in a ``with`` only when ``parent`` is a container or ``border`` is set."""
    if presenting():
        return parent.expander(label, expanded=False, icon=":material/tune:")
    return parent.container(border=True) if border else parent


def student_params(params: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    """The query parameters of the students' link: the teacher's ones minus ``present``."""
    return {k: v for k, v in params.items() if k != PARAM}


def sidebar_state() -> str:
    """``initial_sidebar_state`` for st.set_page_config: collapsed when presenting (controls out of the way)."""
    return "collapsed" if presenting() else "auto"


def _scaled(size: float | None, default: float) -> int:
    return round((size or default) * PROJECTOR_TEXT_SCALE)


def _bigger_axis(axis) -> None:
    axis.tickfont.size = _scaled(axis.tickfont.size, TICK_SIZE)
    axis.title.font.size = _scaled(axis.title.font.size, FONT_SIZE)


def projector_style(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for a projector: every text and margin ``PROJECTOR_TEXT_SCALE`` larger, lines and markers
    ``PROJECTOR_LINE_SCALE`` thicker, no fixed height (the chart takes the height presenter mode gives it)."""
    spec = fig.to_dict()
    out = go.Figure(spec, _validate=False)
    lay = out.layout
    lay.font.size = _scaled(lay.font.size, FONT_SIZE)
    lay.title.font.size = _scaled(lay.title.font.size, TITLE_SIZE)
    for name in ["legend"] + sorted(k for k in spec.get("layout", {}) if k.startswith("legend") and k[6:].isdigit()):
        lay[name].font.size = _scaled(lay[name].font.size, LEGEND_SIZE)     # legend2, legend3, ... too
    lay.hoverlabel.font.size = _scaled(lay.hoverlabel.font.size, FONT_SIZE)
    out.for_each_xaxis(_bigger_axis)
    out.for_each_yaxis(_bigger_axis)
    for ann in lay.annotations:
        ann.font.size = _scaled(ann.font.size, FONT_SIZE)
    for side in ("l", "r", "t", "b"):
        value = getattr(lay.margin, side)
        if value is not None:
            setattr(lay.margin, side, _scaled(value, value))
    for trace in out.data:
        if trace.type in ("scatter", "scattergl"):
            trace.line.width = (trace.line.width or LINE_WIDTH) * PROJECTOR_LINE_SCALE
            if trace.marker.size is None or isinstance(trace.marker.size, (int, float)):
                trace.marker.size = (trace.marker.size or MARKER_SIZE) * PROJECTOR_LINE_SCALE
    lay.height = None
    return out


_CSS = """
<style>
  html { font-size: 24px; }   /* body text 21 px (0.875rem) instead of 15.75 px */
  .stMainBlockContainer { padding-top: 3.2rem; padding-bottom: 2rem; max-width: 100%; }
  [data-testid="stPlotlyChart"] { height: var(--gru-chart-h, calc(100vh - 9rem)) !important; }
  [data-testid="stMarkdownContainer"] p { line-height: 1.45; }
</style>
"""

# Sizes every chart to one screen. The first chart (the page's key chart) fills the first screen from its top,
# leaving room for its reading line; if less than half a screen is left above the fold, the page opens scrolled to
# it instead. Runs again whenever Streamlit redraws (throttled to one pass per animation frame).
_JS = """
<script>
(() => {
  const LEAD = 96, RESERVE = 100, MIN_SHARE = 0.5;   // px kept above a chart (header, its question) and below it
  const params = () => new URLSearchParams(location.search);
  const on = () => ['1','true','yes','on'].includes((params().get('present') || '').trim().toLowerCase());
  const mainTop = el => {
    const main = document.querySelector('[data-testid="stMain"]');
    return el.getBoundingClientRect().top + (main ? main.scrollTop : 0);
  };
  const scrollTo = (el, lead) => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (main) main.scrollTo({top: Math.max(0, mainTop(el) - lead)});
  };
  const fit = () => {
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const vh = window.innerHeight;
    const firstFits = charts.length && vh - mainTop(charts[0]) - RESERVE >= MIN_SHARE * vh;
    // Scrolled to the key chart: keep the heading just above it on screen when the chart can still take half of it.
    const heading = charts.length && [...document.querySelectorAll('[data-testid="stMain"] :is(h1, h2, h3)')]
      .filter(h => mainTop(h) < mainTop(charts[0])).pop();
    const gap = heading ? mainTop(charts[0]) - mainTop(heading) : 0;
    const withHeading = !firstFits && heading && vh - LEAD - gap - RESERVE >= MIN_SHARE * vh;
    charts.forEach((c, i) => {
      if (!on()) { c.style.removeProperty('height'); return; }
      const above = (i === 0 && withHeading) ? LEAD + gap : LEAD;
      const h = (i === 0 && firstFits) ? vh - mainTop(c) - RESERVE : vh - above - RESERVE;
      const want = Math.round(h) + 'px';
      if (c.style.getPropertyValue('height') !== want) c.style.setProperty('height', want, 'important');
    });
    // Scroll once per link, and again on redraws during the first seconds (elements above may still be arriving)
    // unless the user scrolled meanwhile.
    const here = location.pathname + location.search, now = Date.now();
    if (!charts.length) return;
    if (!window.__gruScroll || window.__gruScroll.here !== here) window.__gruScroll = {here, until: now + 4000};
    if (now > window.__gruScroll.until || window.__gruUserScrolled) return;
    const name = params().get('section');
    const target = name && (document.getElementById(name) || document.querySelector('.st-key-' + CSS.escape(name)));
    if (target) scrollTo(target, LEAD);
    else if (on() && !firstFits) scrollTo(withHeading ? heading : charts[0], LEAD);
  };
  if (window.__gruPresentFit) { window.__gruPresentFit(); return; }
  let queued = false;
  window.__gruPresentFit = () => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fit(); }); }
  };
  const userScrolled = () => { window.__gruUserScrolled = true; };
  ['wheel', 'touchmove', 'keydown', 'mousedown'].forEach(e => window.addEventListener(e, userScrolled, {passive: true}));
  new MutationObserver(window.__gruPresentFit).observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', window.__gruPresentFit);
  window.__gruPresentFit();
})();
</script>
"""


def section() -> str | None:
    """The section named by the link (``?section=<name>``), or None."""
    try:
        raw = st.query_params.get(SECTION)
    except Exception:  # noqa: BLE001
        return None
    return raw.strip() or None if raw else None


def apply() -> None:
    """Presenter mode's page styling and the scroll to a named section (app.py calls this before the page runs);
    nothing on an ordinary link."""
    on = presenting()
    if on or section():
        st.html((_CSS if on else "") + _JS, unsafe_allow_javascript=True)
