"""The classroom in real Chromium: the lesson (answer, reveal, Next, the goal check), presenter mode (no sidebar,
the key chart fills the first screen at 1920x1080 and at 150% zoom; no body control in the first screen of any page
outside its collapsed "Controls", which the teacher opens to move a slider live) and the QR code of "Share with the class"
(decoded with zbarimg to the page's link, without the presenter flag)."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from lab import present
from lab.models import lesson as L
from scripts.serve import app_pages
from tests.e2e.conftest import location, move_slider, page_url, slider_input, wait_for_app_idle, wait_for_charts

expect.set_options(timeout=30_000)   # a shared 2-core machine: reruns can take seconds
pytestmark = pytest.mark.e2e

KEY_CHART_JS = """() => {
  const c = document.querySelector('[data-testid="stPlotlyChart"]');
  const r = c.getBoundingClientRect();
  const sb = document.querySelector('[data-testid="stSidebar"]');
  const s = sb ? sb.getBoundingClientRect() : null;
  return {top: r.top, bottom: r.bottom, height: r.height, width: r.width, vh: innerHeight, vw: innerWidth,
          sidebarVisible: !!s && s.right > 0 && s.width > 0};
}"""


@contextlib.contextmanager
def presenting(browser, app_server: str, stem: str, viewport=(1920, 1080), zoom: float = 1.0):
    """A fresh browser context on ``/stem?present=1`` after the run, the charts and presenter mode's sizing and
    scroll have settled; closed afterwards."""
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=zoom)
    page = ctx.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(page_url(app_server, stem, present=1))
        wait_for_app_idle(page)
        wait_for_charts(page)
        page.wait_for_timeout(1500)          # presenter mode sizes and scrolls once the page has settled
        yield page
    finally:
        ctx.close()


def test_lesson_answer_reveal_and_next(open_page):
    page = open_page("lesson")
    step = L.STEPS[0]
    expect(page.get_by_text(f"Step 1 of {len(L.STEPS)}: {step.title}")).to_be_visible()
    reveal = page.get_by_role("button", name="Reveal the answer")
    expect(reveal).to_be_disabled()
    page.get_by_text(step.choices["square"]).click()
    expect(reveal).to_be_enabled()
    reveal.click()
    expect(page.get_by_text("The answer:")).to_be_visible()
    expect(page.get_by_text("Right.")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text(f"Step 2 of {len(L.STEPS)}: {L.STEPS[1].title}")).to_be_visible()
    page.wait_for_function("() => location.search.includes('lesson_step=2')")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_lesson_goal_check_follows_the_slider(open_page):
    last = len(L.STEPS)
    first = L.compute(L.Settings(last)).numbers["first"]
    page = open_page("lesson", lesson_step=last, lesson_goal_bias=first)
    expect(page.get_by_text("Goal reached")).to_be_visible()
    slider_input(page, "GRU update-gate bias").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_text("Not yet")).to_be_visible()
    expect(page.get_by_text("Goal reached")).to_have_count(0)


def test_lesson_train_progress_follows_the_run_to_its_end_without_another_click(open_page):
    """Train sits in the step's fragment, whose refresh (run_every) is decided by the page's full run: pressing it
    must turn the refresh on (it once stayed at "running: 0 s" until the student touched something)."""
    page = open_page("lesson", lesson_step=[s.slug for s in L.STEPS].index("train") + 1)
    page.get_by_role("button", name="Train (the whole class shares one run)").click()
    progress = page.locator('[data-testid="stProgress"]')
    expect(progress).to_contain_text("running")
    expect(progress).to_contain_text("finished", timeout=240_000)    # the lesson's one run; seconds alone
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("stem", ["home", "vanishing", "lesson"])
@pytest.mark.parametrize("viewport, zoom", [((1920, 1080), 1.0), ((1280, 720), 1.5)])   # 150% zoom of 1920x1080
def test_presenter_mode_hides_the_sidebar_and_the_key_chart_fills_the_first_screen(browser, app_server, stem,
                                                                                     viewport, zoom):
    with presenting(browser, app_server, stem, viewport, zoom) as page:
        box = page.evaluate(KEY_CHART_JS)
        assert not box["sidebarVisible"], box
        assert box["top"] >= 0 and box["bottom"] <= box["vh"] + 1, box       # wholly in the first screen
        assert box["height"] >= 0.5 * box["vh"], box                         # and one screen's worth of it
        assert page.locator('[data-testid="stException"]').count() == 0


def test_share_qr_code_decodes_to_the_students_link(open_page, app_server, tmp_path):
    if shutil.which("zbarimg") is None:
        msg = "zbarimg missing (apt-get install -y zbar-tools)"
        pytest.fail(msg) if os.environ.get("CI") else pytest.skip(msg)
    page = open_page("vanishing", vg_len=300, present=1)
    page.get_by_role("button", name="Share with the class").click()
    dialog = page.get_by_role("dialog")
    img = dialog.locator("img").first
    expect(img).to_be_visible()
    assert img.bounding_box()["width"] >= 400                # big enough to scan from the back of the room
    png = page.request.get(img.get_attribute("src") if img.get_attribute("src").startswith("http")
                           else app_server + img.get_attribute("src")).body()
    (tmp_path / "qr.png").write_bytes(png)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True,
                         timeout=30)
    decoded = out.stdout.strip()
    assert out.returncode == 0 and decoded, out.stderr
    here = urlsplit(location(page))
    got = urlsplit(decoded)
    assert (got.scheme, got.netloc, got.path) == (here.scheme, here.netloc, here.path)
    want = {k: v for k, v in parse_qs(here.query).items() if k != "present"}
    assert parse_qs(got.query) == want and "present" not in got.query
    expect(dialog.get_by_text(decoded)).to_be_visible()       # the same link as text


# Every interactive element of the page body the first screen shows (the presenter's scroll included), except what
# stays in the open on purpose: the header's toolbar (Share with the class, the lesson link), a chart's own
# toolbar, the "Predict first" choices (the class's question), Reveal buttons and the lesson's Back / Next. A
# control in a collapsed "Controls" expander has no box, so it is not counted.
BODY_WIDGETS_JS = """() => {
  const vh = innerHeight, vw = innerWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const sel = 'button, input, textarea, select, [role="slider"], [role="radio"], [role="switch"], ' +
              '[role="checkbox"], [role="combobox"], [role="option"]';
  const kept = el => el.closest('.st-key-lab_toolbar, [data-testid="stElementToolbar"], .modebar, ' +
                                '.st-key-lesson_back, .st-key-lesson_next')
      || (el.closest('[data-testid="stRadio"]')?.innerText || '').includes('Predict first')
      || (el.closest('button')?.innerText || '').includes('Reveal');   // its text after the icon's name
  const shown = el => {
    const r = el.getBoundingClientRect();
    return el.checkVisibility({opacityProperty: true, visibilityProperty: true}) &&   // a closed expander: false
           r.width > 1 && r.height > 1 && r.bottom > 0 && r.top < vh && r.right > 0 && r.left < vw;
  };
  const name = el => {
    const box = el.closest('[data-testid="stElementContainer"]');
    return (box?.getAttribute('class') || '').match(/st-key-\\S+/)?.[0] || (box?.innerText || el.outerHTML)
      .slice(0, 60);
  };
  return [...main.querySelectorAll(sel)].filter(el => !kept(el) && shown(el)).map(name);
}"""


@pytest.mark.parametrize("stem", app_pages())
def test_presenter_mode_keeps_body_controls_collapsed_in_the_first_screen(browser, app_server, stem):
    with presenting(browser, app_server, stem) as page:
        assert page.evaluate(BODY_WIDGETS_JS) == []
        assert page.locator('[data-testid="stException"]').count() == 0


def test_presenter_opens_the_controls_and_moves_a_slider_live(browser, app_server):
    with presenting(browser, app_server, "home") as page:
        slider = slider_input(page, "GRU update-gate bias")
        expect(slider).to_be_hidden()                            # collapsed out of the way
        page.get_by_text(present.CONTROLS_LABEL, exact=True).click()
        expect(slider).to_be_visible()
        move_slider(page, "GRU update-gate bias", -2)            # 3.0 -> 2.0
        page.wait_for_function("() => location.search.includes('home_bias=2')")
        expect(page.locator('[data-testid="stSliderThumbValue"]').first).to_have_text("2.0")
        expect(slider).to_be_visible()                           # still open after the rerun
        assert "present=1" in location(page)
