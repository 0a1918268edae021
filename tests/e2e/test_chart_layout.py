"""Chart layout in real Chromium, for every chart of every page of app.py (pages added later included), at a
projector (1920x1080), a laptop (1280x800) and a phone (390x844): no axis label, title, legend or colour-bar text
cut off at the figure's edge or running into the tick labels (of every subplot's axes), no label, tick label or axis
title on a chart sitting on one of its legends (second legends too), no legend over a title. Charts inside
expanders and tabs are opened and checked too. Charts have fixed margins (axis
automargin off, see lab.theme.MARGIN): the vanishing page's charts (the ones the slider-latency benchmark times)
must fit them without Plotly widening them at laptop and projector width, which would cost a second draw per rerun.

Plus what the back row and a phone need (lab.theme.PAGE_CSS): text above 16 px and dark axis text at 1920 px, no
Plotly toolbar over the legend at 390 px. One server for the whole session, one browser page reused."""
from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from scripts.serve import app_pages, page_url, wait_for_app_idle, wait_for_charts

pytestmark = pytest.mark.e2e

SIZES = [(1920, 1080), (1280, 800), (390, 844)]
IDS = [f"{w}x{h}" for w, h in SIZES]
VANISHING_VIEWS = ["none", "units", "phase", "clip"]
# Views of a page that a choice switches to, beyond what each page shows at its defaults.
EXTRA_VIEWS = [("vanishing", {"vg_view": v}) for v in VANISHING_VIEWS[1:]] + [("gate_explorer", {"ge_mode": "multi"}),
                                                                              ("gate_explorer", {"ge_force": "z"}),
                                                                              ("text", {"tx_view": "gates",
                                                                                        "tx_gate_view": "unit"})]

# Per visible chart: the margins it asked for and the ones Plotly used, axes whose automargin is on, text lying
# outside the figure, and text over other text (axis title on tick labels, a label on the legend, legend on a title).
# Every subplot's tick labels (g.xtick, g.x2tick, ...) and axis titles (g.g-xtitle, g.g-x2title, ...), and the text of
# every legend (legendtext, legend2text, their titles).
LAYOUT_JS = """() => { const TICKS = 'g[class$="tick"] > text', LEGEND = 'text[class^="legend"][class$="text"]',
  TITLES = 'g[class^="g-x"][class$="title"] text, g[class^="g-y"][class$="title"] text';
  return [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const svgEl = gd.querySelector('.main-svg');
  if (!svgEl || !gd._fullLayout) return null;
  const fl = gd._fullLayout, svg = svgEl.getBoundingClientRect();
  if (!svg.width || !svg.height) return null;                       // in a closed expander or another tab
  const box = t => t.getBoundingClientRect();
  const texts = sel => [...gd.querySelectorAll(sel)].filter(t => box(t).width);
  const hits = (a, b) => a.right > b.left + 1 && a.left < b.right - 1 && a.bottom > b.top + 1 && a.top < b.bottom - 1;
  const outside = texts(`${TICKS}, ${TITLES}, ${LEGEND}, .cbaxis text, .cbtitle text, .annotation-text, .gtitle`)
    .filter(t => { const r = box(t); return r.left < svg.left - 1 || r.right > svg.right + 1 ||
                                            r.top < svg.top - 1 || r.bottom > svg.bottom + 1; })
    .map(t => t.textContent.slice(0, 40));
  const overlaps = [];
  for (const ax of ['x', 'y']) {
    const ticks = texts(`g[class^="${ax}"][class$="tick"] > text`).map(box);
    texts(`g[class^="g-${ax}"][class$="title"] text`).forEach(t => {
      if (ticks.some(q => hits(q, box(t)))) overlaps.push('ticks/' + t.textContent.slice(0, 40));
    });
  }
  const legend = texts(LEGEND).map(box);
  texts(`.annotation-text, .gtitle, ${TICKS}, ${TITLES}`).forEach(t => {
    if (legend.some(q => hits(q, box(t)))) overlaps.push('legend/' + t.textContent.slice(0, 30));
  });
  const axes = Object.keys(fl).filter(k => /^[xy]axis\\d*$/.test(k));
  return {margin: fl.margin, size: fl._size, automargin: axes.filter(k => fl[k].automargin).join(' '),
          title: ((gd.layout.title || {}).text || '').slice(0, 40), outside, overlaps};
}).filter(c => c); }"""

OPEN_EXPANDERS_JS = """() => document.querySelectorAll('[data-testid="stExpander"] details:not([open]) > summary')
  .forEach(s => s.click())"""


def layouts(page) -> list[dict]:
    """Every visible chart's layout facts, after every expander is opened; each tab of every tab bar in turn."""
    page.evaluate(OPEN_EXPANDERS_JS)
    page.wait_for_timeout(400)   # Plotly finishes legends and colour bars after the first frame
    out = page.evaluate(LAYOUT_JS)
    tabs = page.locator('[data-testid="stTabs"] [role="tab"]')
    for i in range(tabs.count()):
        if tabs.nth(i).get_attribute("aria-selected") != "true":
            tabs.nth(i).click()          # a tab that runs only when open reruns the script: wait for its charts
            wait_for_app_idle(page)
            wait_for_charts(page, at_least=0)  # a tab may hold no chart (the step-through page's equations)
            page.wait_for_timeout(400)
            out += page.evaluate(LAYOUT_JS)
    return out


def views() -> list[tuple[str, dict]]:
    return [(stem, {}) for stem in app_pages()] + [v for v in EXTRA_VIEWS if v[0] in app_pages()]


def problems_of(where: str, chart: dict) -> list[str]:
    out = []
    if chart["automargin"]:
        out.append(f"{where}: automargin on for {chart['automargin']}")
    if chart["outside"]:
        out.append(f"{where}: text outside the figure: {chart['outside']}")
    if chart["overlaps"]:
        out.append(f"{where}: text over other text: {chart['overlaps']}")
    return out


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_no_chart_text_is_cut_off_or_hits_other_text_on_any_page(open_page, size):
    problems, seen = [], 0
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    for stem, params in views():
        page = open_page(stem, **params)
        for i, chart in enumerate(layouts(page)):
            seen += 1
            problems += problems_of(f"{stem}{params or ''} chart {i} '{chart['title']}'", chart)
    assert seen >= len(app_pages()), f"only {seen} charts found"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES[:2], ids=IDS[:2])
def test_vanishing_charts_fit_their_fixed_margins(open_page, size):
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    for view in VANISHING_VIEWS:
        page = open_page("vanishing", vg_view=view)
        for i, c in enumerate(layouts(page)):
            grown = {k: (c["margin"][k], round(c["size"][k])) for k in "lrtb" if round(c["size"][k]) > c["margin"][k]}
            assert not grown, f"view {view}, chart {i}: margins widened by Plotly (asked, used): {grown}"


TEXT_JS = """() => {
  const px = el => parseFloat(getComputedStyle(el).fontSize);
  const lum = el => { const [r, g, b] = getComputedStyle(el).fill.match(/[\\d.]+/g).map(Number);
                      return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
  const main = '[data-testid="stMain"] ';
  return {body: [...document.querySelectorAll(main + '[data-testid="stMarkdownContainer"] p')].map(px),
          labels: [...document.querySelectorAll(main + '[data-testid="stWidgetLabel"] p')].map(px),
          ticks: [...document.querySelectorAll('.xtick text, .ytick text')].map(px),
          axis_lum: [...document.querySelectorAll('.xtick text, .ytick text, .xtitle, .ytitle')].map(lum),
          pictures: [...document.querySelectorAll(main + '[data-testid="stImage"] img')]
                    .filter(i => i.getBoundingClientRect().width)          // the drawing this column shows
                    .map(i => i.getBoundingClientRect().width / i.naturalWidth)};
}"""


def test_projector_text_is_above_16_px_and_axis_text_is_dark(open_page):
    open_page("home").set_viewport_size({"width": 1920, "height": 1080})
    for stem in app_pages():
        t = open_page(stem).evaluate(TEXT_JS)
        assert t["body"] and min(t["body"]) > 16, (stem, "body text px", sorted(set(t["body"])))
        assert not t["labels"] or min(t["labels"]) > 16, (stem, "widget label px", sorted(set(t["labels"])))
        assert t["ticks"] or t["pictures"], (stem, "no chart and no picture in the first view")
        assert not t["ticks"] or min(t["ticks"]) > 16, (stem, "tick px", sorted(set(t["ticks"])))
        assert not t["axis_lum"] or max(t["axis_lum"]) < 0.35, (stem, "axis text too light", max(t["axis_lum"]))
        # a picture (the step-through diagram, its smallest text 17 px at its own width) is not shrunk below 16 px
        assert not t["pictures"] or min(t["pictures"]) * 17 > 16, (stem, "picture scaled", t["pictures"])


def test_no_plotly_toolbar_on_a_phone_but_one_on_a_laptop(open_page):
    shown = "() => [...document.querySelectorAll('.modebar-container')].map(m => getComputedStyle(m).display)"
    page = open_page("home")
    page.set_viewport_size({"width": 390, "height": 844})
    assert set(page.evaluate(shown)) == {"none"}
    page.set_viewport_size({"width": 1280, "height": 800})
    assert "none" not in set(page.evaluate(shown))


# The pictures the page shows (visible <img>: lab.ui.picture may send a wide and a narrow drawing) as (rendered
# width, SVG source).
PICTURES_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"] img')]
  .filter(i => i.getBoundingClientRect().width).map(i => [i.getBoundingClientRect().width, i.getAttribute('src')])"""


def _smallest_text_px(svg: str) -> float:
    """The smallest font size in an SVG at its own size (px): every <text>, and every <tspan> that scales it."""
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    sizes = []
    for t in root.iter(f"{ns}text"):
        base = float(t.get("font-size"))
        sizes.append(base)
        sizes += [base * float(sp.get("font-size").rstrip("%")) / 100 for sp in t.iter(f"{ns}tspan")
                  if (sp.get("font-size") or "").endswith("%")]
    return min(sizes)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_step_through_diagram_text_is_readable_on_screen(open_page, size):
    """The cell diagram's smallest text (subscripts included) is at least 11 px as drawn on the screen: on a phone
    the page shows the narrow layout (the wide one there came out at 0.39x, its text 6-8 px)."""
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    shown = open_page("step_through").evaluate(PICTURES_JS)
    assert len(shown) == 1, f"{len(shown)} diagrams visible"
    width, src = shown[0]
    svg = base64.b64decode(src.removeprefix("data:image/svg+xml;base64,")).decode()
    view_w = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    px = _smallest_text_px(svg) * width / view_w
    assert px >= 11, f"smallest diagram text {px:.1f} px on screen (drawn {width:.0f} px wide of {view_w:.0f})"


# At a phone's width: the page is no wider than the screen (nothing to pan sideways), and every display formula
# fits its own box (KaTeX scrolls a wider one inside it, which shows only its first part).
FITS_JS = """() => { const main = document.querySelector('[data-testid="stMain"]');
  return {page: [main.scrollWidth, main.clientWidth],
          formulas: [...main.querySelectorAll('.katex-display')].filter(k => k.getBoundingClientRect().width)
                    .filter(k => k.scrollWidth > k.clientWidth + 1).map(k => k.textContent.slice(0, 40))}; }"""


def test_nothing_sticks_out_of_a_phone_screen(open_page):
    open_page("home").set_viewport_size({"width": 390, "height": 844})
    problems = []
    for stem in app_pages():
        fit = open_page(stem).evaluate(FITS_JS)
        if fit["page"][0] > fit["page"][1]:
            problems.append(f"{stem}: the page is {fit['page'][0]} px wide on a {fit['page'][1]} px screen")
        problems += [f"{stem}: formula wider than its box: {f}" for f in fit["formulas"]]
    assert not problems, "\n".join(problems)


def test_forecast_chart_starts_on_a_laptops_first_screen(open_page):
    """At 1280x800 the forecast chart's plot (not only its legend) starts on the first screen."""
    open_page("home").set_viewport_size({"width": 1280, "height": 800})
    top = open_page("forecast").evaluate("""() => document.querySelector(
      '[data-testid="stPlotlyChart"] .nsewdrag').getBoundingClientRect().top""")
    assert top < 800 - 60, f"the forecast chart's plot starts at {top:.0f} px on an 800 px screen"


# The lab's toolbar (lab.share.toolbar: the lesson link and "Share with the class") and Streamlit's header buttons
# (the sidebar's open button, the main menu), before and after scrolling the page.
TOOLBAR_JS = """() => {
  const r = e => { const b = e.getBoundingClientRect(); return {l: b.left, t: b.top, r: b.right, b: b.bottom}; };
  const bar = document.querySelector('.st-key-lab_toolbar');
  return {bar: r(bar), header: r(document.querySelector('[data-testid="stHeader"]')),
          buttons: [...document.querySelectorAll('[data-testid="stHeader"] button')]
                   .filter(b => b.getBoundingClientRect().width).map(b => [b.getAttribute('aria-label'), r(b)]),
          clipped: [...bar.querySelectorAll('p')].filter(p => p.scrollWidth > p.clientWidth + 1 ||
                                                              p.scrollHeight > p.clientHeight + 1)
                   .map(p => p.textContent)}; }"""


def _meets(a: dict, b: dict) -> bool:
    return a["r"] > b["l"] + 1 and a["l"] < b["r"] - 1 and a["b"] > b["t"] + 1 and a["t"] < b["b"] - 1


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_toolbar_covers_no_header_button_and_no_page_text(open_page, size):
    """The toolbar sits in the header bar where it has room (laptop, projector) and in the page above the title on
    a phone: it never covers the sidebar's open button or the menu, never reaches below the header over the page
    text scrolling under it, and its labels are not cut."""
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    page = open_page("train")
    for scroll in (0, 300):
        page.evaluate("(y) => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, y)", scroll)
        page.wait_for_timeout(200)
        t = page.evaluate(TOOLBAR_JS)
        bar, header = t["bar"], t["header"]
        assert not [name for name, b in t["buttons"] if _meets(bar, b)], (scroll, "toolbar covers", t["buttons"], bar)
        in_header = bar["b"] <= header["b"] + 1
        below_header = bar["t"] >= header["b"] - 1 or bar["b"] <= header["b"] + 1
        assert in_header or (scroll == 0 and below_header), (scroll, "toolbar over the page", bar, header)
        assert not t["clipped"], ("cut toolbar text", t["clipped"])


# Every choice of every button group (pills, segmented controls) lies inside its group's box and on the screen:
# a group that scrolls sideways hides its last choices with no hint that there are more.
GROUPS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stButtonGroup"]')]
  .filter(g => g.getBoundingClientRect().width).map(g => {
    const bar = g.querySelector('[role="toolbar"], [role="radiogroup"]') || g, box = bar.getBoundingClientRect();
    const hidden = [...bar.querySelectorAll('button')].filter(b => { const r = b.getBoundingClientRect();
      return r.left < box.left - 1 || r.right > box.right + 1 || r.right > innerWidth || r.left < 0; })
      .map(b => b.textContent);
    return {label: (g.querySelector('[data-testid="stWidgetLabel"]')?.textContent || '').slice(0, 30),
            scroll: [bar.scrollWidth, bar.clientWidth], hidden}; })"""


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_every_choice_of_a_button_group_is_on_screen(open_page, size):
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    problems, seen = [], 0
    for stem in app_pages():
        for g in open_page(stem).evaluate(GROUPS_JS):
            seen += 1
            if g["hidden"] or g["scroll"][0] > g["scroll"][1] + 1:
                problems.append(f"{stem} '{g['label']}': {g['hidden']} out of view (scroll {g['scroll']})")
    assert seen, "no button group found"
    assert not problems, "\n".join(problems)


# The "held out" label of the forecast page's grey band, against the plot areas (where the lines are drawn: a
# line cannot leave its plot area) and against the axis text, of the chart on screen.
HELD_OUT_JS = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g.getBoundingClientRect().width);
  const r = e => { const b = e.getBoundingClientRect(); return {l: b.left, t: b.top, r: b.right, b: b.bottom}; };
  const label = [...gd.querySelectorAll('.annotation-text')].find(t => t.textContent === 'held out');
  return {label: label && r(label), plots: [...gd.querySelectorAll('.nsewdrag')].map(r),
          text: [...gd.querySelectorAll('g[class$="tick"] > text, g[class^="g-x"][class$="title"] text, ' +
                                       'g[class^="g-y"][class$="title"] text')].map(t => [t.textContent, r(t)])}; }"""


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.parametrize("view", ["forecast", "series"])
def test_held_out_label_is_on_no_line_and_no_axis_text(open_page, size, view):
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    page = open_page("forecast", fc_view=view)
    page.wait_for_timeout(400)
    t = page.evaluate(HELD_OUT_JS)
    assert t["label"], "no 'held out' label"
    assert not [p for p in t["plots"] if _meets(t["label"], p)], ("label inside a plot area", t["label"], t["plots"])
    assert not [s for s, b in t["text"] if _meets(t["label"], b)], ("label on axis text", t["label"])


# Each bar chart of the compare page names every bar under it (Plotly skips every other category name when they
# do not fit, which left half the bars of the speed chart unnamed on a phone) and its y-axis title is whole.
BAR_NAMES_JS = """(key) => { const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const svg = gd.querySelector('.main-svg').getBoundingClientRect();
  const title = gd.querySelector('g[class^="g-y"][class$="title"] text').getBoundingClientRect();
  return {bars: gd._fullData.filter(t => t.type === 'bar').map(t => t.x.length)[0],
          names: [...gd.querySelectorAll('g.xtick > text')].filter(t => t.getBoundingClientRect().width)
                 .map(t => t.textContent),
          title_inside: title.left >= svg.left && title.top >= svg.top && title.bottom <= svg.bottom}; }"""


def _compare_with_speeds(open_page, size):
    """The compare page at ``size`` with its speed chart measured and drawn."""
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    page = open_page("compare")
    page.locator(".st-key-cmp_measure button").click()
    page.locator(".st-key-cmp_speed_chart .main-svg").first.wait_for(timeout=180_000)
    return page


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_compare_bar_charts_name_every_bar(open_page, size):
    page = _compare_with_speeds(open_page, size)
    page.wait_for_timeout(400)
    for key in ("cmp_params_chart", "cmp_speed_chart"):
        t = page.evaluate(BAR_NAMES_JS, key)
        assert len(t["names"]) == t["bars"], (key, f"{t['bars']} bars, names shown: {t['names']}")
        assert t["title_inside"], (key, "y-axis title cut")


# The step-through diagram's labels of several lines (both drawings, the page sends each): the font box of each line,
# its subscripts included, against the next line's, drawn in the browser.
LINE_GAPS_JS = """() => [...document.querySelectorAll('text')].filter(t => t.children.length > 1 &&
      [...t.children].every(c => c.tagName === 'tspan' && c.hasAttribute('x'))).map(t => {
    const box = el => [el, ...el.querySelectorAll('tspan')].map(e => e.getBoundingClientRect())
      .reduce((a, r) => ({t: Math.min(a.t, r.top), b: Math.max(a.b, r.bottom)}), {t: 1e9, b: -1e9});
    const lines = [...t.children].map(box);
    return [t.textContent.slice(0, 40), Math.min(...lines.slice(1).map((r, i) => r.t - lines[i].b))]; })"""


def test_step_through_diagram_label_lines_do_not_overlap(open_page, browser):
    srcs = open_page("step_through").evaluate(
        "() => [...document.querySelectorAll('[data-testid=\"stMain\"] [data-testid=\"stImage\"] img')]"
        ".map(i => i.getAttribute('src'))")
    assert len(srcs) == 2, f"{len(srcs)} drawings (wide and narrow expected)"
    blank = browser.new_page()
    try:
        for src in srcs:
            blank.set_content(base64.b64decode(src.removeprefix("data:image/svg+xml;base64,")).decode())
            hits = [(text, round(gap, 1)) for text, gap in blank.evaluate(LINE_GAPS_JS) if gap < -1]
            assert not hits, f"label lines overlap (px between font boxes): {hits}"
    finally:
        blank.close()


# A markdown table on a phone: every column within its box (the box scrolls a wider table sideways, which hid the
# last columns, "parameters", "MASE", "sees h", with no hint that they were there), its text still >= 13 px.
# Tables meant to scroll (in a container keyed lab.theme.WIDE_TABLE_KEY: compare's equations, one line a row, the
# formula last so that its cut end shows there is more) are held by test_compare_equation_tables_are_compact_on_a_phone.
TABLES_JS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stMarkdownContainer"]:has(> table)')]
  .filter(b => b.getBoundingClientRect().width && !b.closest('[class*="st-key-wide_table_"]'))
  .map(b => ({head: b.querySelector('th').textContent.slice(0, 30),
    width: [b.scrollWidth, b.clientWidth], px: Math.min(...[...b.querySelectorAll('td, th')]
      .map(c => parseFloat(getComputedStyle(c).fontSize)))}))"""


def test_tables_fit_a_phone_screen(open_page):
    open_page("home").set_viewport_size({"width": 390, "height": 844})
    problems, seen = [], 0
    for stem in app_pages():
        page = open_page(stem)
        page.evaluate(OPEN_EXPANDERS_JS)
        page.wait_for_timeout(400)
        for t in page.evaluate(TABLES_JS):
            seen += 1
            if t["width"][0] > t["width"][1] + 1 or t["px"] < 13:
                problems.append(f"{stem} table '{t['head']}': {t['width'][0]} px in a {t['width'][1]} px box, "
                                f"text {t['px']} px")
    assert seen, "no table found"
    assert not problems, "\n".join(problems)


# Value labels on bars (compare's parameter and speed charts, translate's accuracy by length): Plotly shrinks a
# label to its bar's width, which on a phone painted them at 6-9 px. A label is shown at >= 12 px or not at all
# (the axis and the hover still give the value); where the bars are wide enough every bar keeps its label.
BAR_TEXT_JS = """(key) => { const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const scale = t => +(((t.getAttribute('transform') || '').match(/scale\\(([\\d.]+)/) || [0, 1])[1]);
  return {bars: gd._fullData.filter(t => t.type === 'bar').map(t => t.x.length).reduce((a, b) => a + b, 0),
          px: [...gd.querySelectorAll('.bartext')].filter(t => t.getBoundingClientRect().width)
              .map(t => +(parseFloat(getComputedStyle(t).fontSize) * scale(t)).toFixed(1))}; }"""


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_bar_value_labels_are_readable_or_left_out(open_page, size):
    page = _compare_with_speeds(open_page, size)
    charts = [page.evaluate(BAR_TEXT_JS, k) for k in ("cmp_params_chart", "cmp_speed_chart")]
    page = open_page("translate")
    charts.append(page.evaluate(BAR_TEXT_JS, "tl_lengths"))
    for key, c in zip(("parameters", "speed", "translate lengths"), charts):
        assert not [px for px in c["px"] if px < 12], (key, "bar labels below 12 px", c["px"])
        if size[0] > 640:
            assert len(c["px"]) == c["bars"], (key, f"{len(c['px'])} labels for {c['bars']} bars")


SHARE_JS = """() => { const d = document.querySelector('[role="dialog"]'), r = d.getBoundingClientRect();
  const img = [...d.querySelectorAll('img')].map(i => i.getBoundingClientRect())[0];
  return {dialog: [r.left, r.right], img: img && [img.left, img.right, img.width, img.height]}; }"""


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_share_dialogs_qr_code_is_whole_on_the_screen(open_page, size):
    """A QR code with a part cut off does not scan: it fits the dialog (on a phone 560 px did not: its right third
    was past the screen's edge), square, and keeps its projector size where there is room."""
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    page = open_page("vanishing", vg_len=300)
    page.get_by_role("button", name="Share with the class").click()
    page.locator('[role="dialog"] img').first.wait_for()
    page.wait_for_timeout(400)
    t = page.evaluate(SHARE_JS)
    (d0, d1), (left, right, w, h) = t["dialog"], t["img"]
    assert d0 - 1 <= left and right <= d1 + 1 and right <= size[0], (t, "QR code cut off")
    assert abs(w - h) < 2 and w >= min(560, 0.6 * size[0]), (t, "QR code squashed or too small")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_step_through_equations_fit_their_box(open_page, app_server, size):
    """The four equations tab: no display formula scrolls inside its box (on a phone r_t's and z_t's ended
    '... + b' with the rest scrolled out of sight)."""
    page = open_page("home")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(page_url(app_server, "step_through", st_view="equations"))   # a tab with no chart
    wait_for_app_idle(page)
    page.locator(".katex-display").first.wait_for()
    page.wait_for_timeout(400)
    wide = page.evaluate("""() => [...document.querySelectorAll('.katex-display')].filter(k => k.clientWidth)
      .map(k => [k.textContent.slice(0, 30), k.scrollWidth - k.clientWidth])""")
    # 2 px over is KaTeX's last glyph's italic correction at every width, nothing visibly cut
    assert not [w for w in wide if w[1] > 3], f"formulas wider than their box (px over): {wide}"


# The vanishing page's phase diagram: its colour bar lies under the two maps. Beside them it took 210 px of the
# width, and on a 390 px phone each map was about 15 px wide.
PHASE_PANELS_JS = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')]
  .find(g => (g._fullData || []).some(t => t.type === 'heatmap'));
  return gd ? [gd._fullLayout.width, gd._fullLayout.xaxis._length, gd._fullLayout.xaxis2._length] : null; }"""


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_phase_diagram_maps_are_wide_enough_to_read(open_page, size):
    open_page("home").set_viewport_size({"width": size[0], "height": size[1]})
    page = open_page("vanishing", vg_view="phase")
    wait_for_charts(page, at_least=2)
    page.wait_for_timeout(400)
    width, *maps = page.evaluate(PHASE_PANELS_JS)
    assert min(maps) >= 0.25 * width, (width, maps)   # two maps side by side, a quarter of the chart each at least


# Columns that Streamlit stacks on a phone (st.columns under 640 px): the gap between one stacked part and the next.
# Streamlit keeps the row's sideways gap between them (gap="large": 72 px, train's settings and home's slider row),
# where the blocks of one column are an ordinary block gap apart.
STACKED_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stHorizontalBlock"]')]
  .map(b => [...b.children].filter(c => c.matches('[data-testid="stColumn"]') && c.getBoundingClientRect().height))
  .filter(cols => cols.length > 1).map(cols => {
    const r = cols.map(c => c.getBoundingClientRect());
    const block = cols[0].querySelector(':scope > [data-testid="stVerticalBlock"]');   // the blocks of a column
    return {text: cols[0].textContent.slice(0, 30), ordinary: parseFloat(getComputedStyle(block).rowGap),
            gaps: r.slice(1).map((q, i) => Math.round(q.top - r[i].bottom)),
            side: r.slice(1).map((q, i) => Math.round(q.left - r[i].right))}; })"""


def test_stacked_columns_are_a_block_gap_apart_on_a_phone(open_page):
    open_page("home").set_viewport_size({"width": 390, "height": 844})
    problems, seen = [], 0
    for stem in app_pages():
        for row in open_page(stem).evaluate(STACKED_JS):
            seen += 1
            if max(row["gaps"]) > row["ordinary"] + 1 or min(row["gaps"]) < 0:
                problems.append(f"{stem} '{row['text']}': stacked {row['gaps']} px apart (blocks: {row['ordinary']})")
    assert seen, "no stacked columns found"
    assert not problems, "\n".join(problems)
    open_page("home").set_viewport_size({"width": 1280, "height": 800})
    side = open_page("train").evaluate(STACKED_JS)[0]["side"]      # the settings' gap="large" is kept side by side
    assert min(side) >= 60, f"train's settings columns {side} px apart on a laptop"


# The compare page's equations on a phone: each row of the two tables on one line (wrapped into narrow columns the
# gate table was 987 px tall, a formula over 3-5 lines), the table scrolling sideways inside its own box.
EQUATION_TABLES_JS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stMarkdownContainer"]:has(> table)')]
  .filter(b => /equation|candidate/.test(b.querySelector('tr').textContent)).map(b => {
  const rows = [...b.querySelectorAll('tr')].map(r => r.getBoundingClientRect().height);
  return {head: [...b.querySelectorAll('th')].map(c => c.textContent.slice(0, 12)).join('|'),
          height: Math.round(b.getBoundingClientRect().height), tallest_row: Math.round(Math.max(...rows)),
          right: b.getBoundingClientRect().right, px: Math.min(...[...b.querySelectorAll('td, th')]
            .map(c => parseFloat(getComputedStyle(c).fontSize)))}; })"""


def test_compare_equation_tables_are_compact_on_a_phone(open_page):
    open_page("home").set_viewport_size({"width": 390, "height": 844})
    tables = open_page("compare").evaluate(EQUATION_TABLES_JS)
    assert len(tables) == 2, f"{len(tables)} equation tables found"
    for t in tables:
        assert t["tallest_row"] <= 45, (t["head"], f"a row {t['tallest_row']} px tall: its text wraps")
        assert t["right"] <= 390 and t["px"] >= 13, t


def test_side_by_side_training_charts_start_level(open_page):
    """Train's accuracy and loss charts, side by side on a laptop: their plots start at the same height (a longer
    question above one of them put it a line lower)."""
    open_page("home").set_viewport_size({"width": 1280, "height": 800})
    tops = open_page("train").evaluate("""() => ['tr_acc_chart', 'tr_loss_chart'].map(k =>
      document.querySelector(`.st-key-${k} .nsewdrag`).getBoundingClientRect().top)""")
    assert abs(tops[0] - tops[1]) <= 2, f"plot tops {tops} px"
