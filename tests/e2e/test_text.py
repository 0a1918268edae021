"""The text and translation pages in real Chromium against a real server: they render with the pretrained models'
numbers, a slider move changes the chart and the link, and a text file uploaded in the browser becomes the corpus."""
from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from lab.models import text as M
from lab.models import translate as TL
from tests.e2e.conftest import chart_data, move_slider, wait_for_app_idle

pytestmark = pytest.mark.e2e


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_text_page_renders_the_pretrained_scores(open_page):
    page = open_page("text")
    no_exception(page)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(1)       # only the open tab's chart
    bars = chart_data(page, 0)[0]
    pre, base = M.pretrained_run().view(), M.baselines(None, "kneser-ney")
    assert sorted(bars["customdata"]) == pytest.approx(sorted(base.bpc + tuple(pre.test_bpc.values())), rel=1e-12)


def test_temperature_slider_changes_the_next_character_chart_and_the_link(open_page):
    page = open_page("text")
    page.get_by_role("tab", name="Let it write").click()      # the tab's chart only, and the tab in the link
    page.wait_for_function("() => location.search.includes('tx_view=write')")
    wait_for_app_idle(page)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(1)
    page.wait_for_function("""() => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
                                      return gd && gd._fullData && gd._fullData[0].type === 'bar'; }""")
    before = chart_data(page, 0)[0]["customdata"][0]
    move_slider(page, "Temperature", 5)                      # 0.8 -> 1.3
    page.wait_for_function("() => location.search.includes('tx_temp=1.3')")
    page.wait_for_function(f"""() => {{ const gd = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[0];
                                       return gd && gd._fullData[0].customdata[0] < {before}; }}""")
    no_exception(page)


def test_an_uploaded_text_file_becomes_the_corpus(open_page, tmp_path):
    page = open_page("text", tx_corpus="own")
    f = tmp_path / "poem.txt"
    f.write_text("Roses are red, violets are blue; a GRU reads this, and so do you.\n" * 60, encoding="utf-8")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(f))
    page.wait_for_function("() => document.body.innerText.includes('%s')" % f.name)
    wait_for_app_idle(page)     # the upload's own rerun has ended (under load the press could overtake it)
    page.get_by_role("button", name="Use this text").click()   # the press reads the file as it stands
    wait_for_app_idle(page)
    expect(page.get_by_text("your text:", exact=False)).to_be_visible()
    # the n-grams of the new text only: no model is trained on it yet (wait: the chart redraws after the caption)
    page.wait_for_function("""() => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
                                      return gd && gd._fullData[0].y.length === 3; }""")
    no_exception(page)


def test_a_bad_upload_shows_what_is_wrong(open_page, tmp_path):
    page = open_page("text", tx_corpus="own")
    f = tmp_path / "tiny.txt"
    f.write_bytes(b"\xff\xfe not utf-8 " * 10)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(f))
    page.wait_for_function("() => document.body.innerText.includes('%s')" % f.name)
    wait_for_app_idle(page)     # the upload's own rerun has ended (under load the press could overtake it)
    page.get_by_role("button", name="Use this text").click()   # the press reads the file as it stands
    expect(page.get_by_text("is not UTF-8 text", exact=False)).to_be_visible()
    no_exception(page)


def test_translate_page_renders_accuracy_by_length(open_page):
    page = open_page("translate")
    no_exception(page)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(5)
    r = TL.length_accuracy(TL.pretrained_run().view().weights, 0, 6)
    np.testing.assert_allclose(chart_data(page, 1)[0]["y"], r.accuracy, rtol=1e-12)


TICKS_JS = """() => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const xs = [...gd.querySelectorAll('.xtick text')].map(t => t.getBoundingClientRect()).sort((a, b) => a.left - b.left);
  return {ticks: xs.length, overlaps: xs.filter((b, i) => i && b.left < xs[i - 1].right).length}; }"""


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)])
def test_the_passage_heatmap_labels_every_character_that_fits_and_none_overlap(open_page, width, height):
    page = open_page("home")
    page.set_viewport_size({"width": width, "height": height})
    page = open_page("text", tx_view="gates")
    got = page.evaluate(TICKS_JS)
    assert got["overlaps"] == 0, got
    passage = len(M.PASSAGES["code"])
    assert got["ticks"] == passage if width >= 1280 else 5 <= got["ticks"] < passage, got
