"""The classroom benchmark's protocol client (benchmarks/st_protocol.py) against a real server: it must see what a
browser sees, or its latencies measure nothing. A move of T changes the chart's data to the new T, the bound slider
writes the link, a fragment move reruns only the fragment, and no exception reaches the page."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json

import pytest

from benchmarks.st_protocol import StreamlitTab

pytestmark = pytest.mark.e2e


def _x_len(spec: str) -> int:
    """Length of the first trace's x in a Plotly spec: a list, or a typed array (base64 ``bdata`` of ``dtype``)."""
    import base64

    import numpy as np

    x = json.loads(spec)["data"][0]["x"]
    return len(x) if isinstance(x, list) else len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize


def _in_own_loop(coro):
    """Run ``coro`` on a fresh event loop in its own thread: Playwright's sync API (the other e2e tests, same
    session) leaves a loop running in this thread, where asyncio.run refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _vanishing_and_lesson(base: str) -> dict:
    tab = StreamlitTab(base)
    try:
        await tab.open("vanishing", "vg_len=60")
        await tab.first_run(timeout=120)
        before, step = tab.tab.charts["vg_chart_norms"], tab.widget("slider", "Sequence length T").proto.step
        chart_s, finished_s = await tab.move("Sequence length T", "vg_chart_norms")
        after = tab.tab.charts["vg_chart_norms"]
        query = tab.query
        await tab.goto("lesson")
        t_slider = tab.widget("slider", "Sequence length T")
        await tab.move("Sequence length T", "lesson_chart_")
        return dict(before=before, after=after, query=query, step=step, chart_s=chart_s, finished_s=finished_s,
                    lesson_fragment=t_slider.fragment_id, errors=tab.tab.errors)
    finally:
        await tab.close()


def test_the_protocol_client_moves_a_slider_and_gets_the_chart_of_the_new_value(app_server):
    r = _in_own_loop(_vanishing_and_lesson(app_server))
    assert r["errors"] == []
    assert _x_len(r["after"]) > _x_len(r["before"])             # the curve now reaches further back
    assert f"vg_len={60 + int(r['step'])}" in r["query"]        # one step right, written into the link
    assert 0 < r["chart_s"] <= r["finished_s"]
    assert r["lesson_fragment"]                                   # the lesson's T slider moves in its fragment
