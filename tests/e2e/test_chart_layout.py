"""Chart layout in real Chromium, laptop and projector width: charts have fixed margins (axis automargin off, see
lab.theme.MARGIN), so these tests pin that no axis label, title, legend or colour-bar text is cut off at the figure's
edge or runs into the tick labels, that no label on a chart sits on the legend, and that the vanishing page's charts (the ones the slider-latency benchmark
times) fit their margins without Plotly widening them, which would cost a second draw on every rerun."""
from __future__ import annotations

import pytest

from scripts.serve import app_pages

pytestmark = pytest.mark.e2e

SIZES = [(1280, 800), (1920, 1080)]
VANISHING_VIEWS = ["none", "units", "phase", "clip"]

# Per chart: the margins it asked for and the ones Plotly used, axes whose automargin is on, and every text element
# of the axes / legend / colour bars / titles lying outside the figure or overlapping the tick labels.
LAYOUT_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const fl = gd._fullLayout, svg = gd.querySelector('.main-svg').getBoundingClientRect();
  const box = t => t.getBoundingClientRect();
  const outside = [];
  gd.querySelectorAll('.xtick text, .ytick text, [class*="xtitle"] text, [class*="ytitle"] text, .legendtext, ' +
                      '.cbaxis text, .cbtitle text, .annotation-text, .gtitle').forEach(t => {
    const r = box(t);
    if (r.width && (r.left < svg.left - 1 || r.right > svg.right + 1 || r.top < svg.top - 1 || r.bottom > svg.bottom + 1))
      outside.push(t.textContent.slice(0, 40));
  });
  const hits = (a, b) => a.right > b.left + 1 && a.left < b.right - 1 && a.bottom > b.top + 1 && a.top < b.bottom - 1;
  const overlaps = [];
  for (const ax of ['x', 'y']) {
    const ticks = [...gd.querySelectorAll(`.${ax}tick text`)].map(box).filter(r => r.width);
    gd.querySelectorAll(`[class*="${ax}title"] text`).forEach(t => {
      if (ticks.some(q => hits(q, box(t)))) overlaps.push(t.textContent.slice(0, 40));
    });
  }
  const legend = [...gd.querySelectorAll('.legendtext')].map(box).filter(r => r.width);
  gd.querySelectorAll('.annotation-text').forEach(t => {
    if (legend.some(q => hits(q, box(t)))) overlaps.push('legend/' + t.textContent.slice(0, 30));
  });
  const axes = Object.keys(fl).filter(k => /^[xy]axis\\d*$/.test(k));
  return {margin: fl.margin, size: fl._size, automargin: axes.filter(k => fl[k].automargin).join(' '),
          outside, overlaps};
})"""


def _layouts(page) -> list[dict]:
    page.wait_for_timeout(300)   # Plotly finishes legends and colour bars after the first frame
    return page.evaluate(LAYOUT_JS)


def _urls() -> list[tuple[str, dict]]:
    out = [(stem, {}) for stem in app_pages()]
    out += [("vanishing", {"vg_view": v}) for v in VANISHING_VIEWS if v != "none"]
    return out


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_chart_text_is_cut_off_or_hits_the_tick_labels(open_page, size):
    problems = []
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    for stem, params in _urls():
        page = open_page(stem, **params)
        for i, c in enumerate(_layouts(page)):
            where = f"{stem}{params or ''} chart {i}"
            if c["automargin"]:
                problems.append(f"{where}: automargin on for {c['automargin']}")
            if c["outside"]:
                problems.append(f"{where}: text outside the figure: {c['outside']}")
            if c["overlaps"]:
                problems.append(f"{where}: text over other text (axis title on tick labels, a label on the "
                                f"legend): {c['overlaps']}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_vanishing_charts_fit_their_fixed_margins(open_page, size):
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    for view in VANISHING_VIEWS:
        page = open_page("vanishing", vg_view=view)
        for i, c in enumerate(_layouts(page)):
            grown = {k: (c["margin"][k], round(c["size"][k])) for k in "lrtb" if round(c["size"][k]) > c["margin"][k]}
            assert not grown, f"view {view}, chart {i}: margins widened by Plotly (asked, used): {grown}"
