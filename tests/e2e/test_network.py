"""What the browser fetches: nothing from another host (a class's network may reach no outside server, and a
school need not send its pupils' browsers to one), nothing but the rerun when a slider moves, and a download
button's CSV only when it is pressed, holding the numbers of the chart as it stands."""
from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np
import pytest

from lab.models import vanishing as M
from scripts.serve import app_pages
from tests.e2e.conftest import move_slider, wait_for_app_idle, wait_for_charts

pytestmark = pytest.mark.e2e


def _requests(page, keep) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if keep(r.url) else None)
    return seen


def test_no_page_asks_another_host(open_page, app_server):
    outside = _requests(open_page("home"), lambda url: not url.startswith((app_server, "data:", "blob:")))
    for stem in app_pages():
        page = open_page(stem)
        page.wait_for_timeout(500)               # the favicon and late images are requested after the run
        assert outside == [], f"{stem}: {outside}"


def test_a_slider_move_fetches_nothing(open_page):
    page = open_page("vanishing")
    fetched = _requests(page, lambda url: "/_stcore/stream" not in url)
    for _ in range(2):
        move_slider(page, "Sequence length T", 1)
        wait_for_app_idle(page)
        wait_for_charts(page)
    page.wait_for_timeout(500)
    assert fetched == []                        # the CSV behind the download button is not fetched on every move


def _rows(text: str) -> dict[str, np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    return {name: np.array([float(r[j]) for r in rows[1:]]) for j, name in enumerate(rows[0])}


def test_the_download_holds_the_numbers_of_the_chart_as_it_stands(open_page):
    page = open_page("vanishing")
    move_slider(page, "Sequence length T", 1)
    wait_for_app_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download these numbers (CSV)").click()
    path = info.value.path()
    cols = _rows(open(path, encoding="utf-8").read())
    steps = M.Settings().steps + M.Settings.LIMITS["steps"][2]   # one slider step past the default
    expected = M.compute(dataclasses.replace(M.Settings(), steps=steps))
    assert info.value.suggested_filename == "vanishing_grad_norms.csv"
    assert cols["k"].tolist() == list(range(steps - 1, -1, -1))
    np.testing.assert_allclose(cols["gru_grad_norm"], expected.get("gru").grad_norm, rtol=1e-12)
