"""AppTest helpers: run the real app.py (st.navigation) headless, switch pages, read Plotly specs.

    from tests.app.conftest import run_app, plotly_specs, trace_values
    at = run_app("vanishing", vg_len="200")          # page stem + URL query parameters
    spec = plotly_specs(at)[0]                        # dict: {"data": [...], "layout": {...}}
    y = trace_values(spec, "RNN", "y")                # numpy array of the trace named "RNN"
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from lab import controls
from lab.figures.common import decode
from scripts.serve import app_pages

# AppTest keeps only the last run's elements: a run of one fragment alone would leave the tree without the rest of
# the page, so here a control drawn under controls.driving reruns the page (the browser tests pin the keyed rerun).
controls.KEYED_RERUNS = False

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 60  # seconds per run: the first run imports torch and the engine


def new_app(**query: str | list[str]) -> AppTest:
    """An AppTest of app.py with URL query parameters set (not yet run)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def run_app(page: str | None = None, **query: str | list[str]) -> AppTest:
    """Run app.py, then switch to ``pages/<page>.py`` (None or the default page: stay), with query parameters."""
    at = new_app(**query).run()
    pages = app_pages()
    if page is not None and page != pages[0]:
        for k, v in query.items():   # as a deep link: the first run (home) drops other pages' choices from the URL
            at.query_params[k] = v
        at.switch_page(f"pages/{page}.py").run()
    return at


def exceptions(at: AppTest) -> list[str]:
    """Messages of every exception element on the page (empty = fine)."""
    return [f"{e.message}\n{''.join(e.stack_trace)}" for e in at.exception]


def plotly_specs(at: AppTest) -> list[dict]:
    """Every Plotly chart on the page as its figure dict (``json.loads(el.proto.spec)``)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def trace(spec: dict, name: str) -> dict:
    """The first trace called ``name``."""
    for t in spec["data"]:
        if t.get("name") == name:
            return t
    raise KeyError(f"no trace named {name!r}; traces: {[t.get('name') for t in spec['data']]}")


def trace_values(spec: dict, name: str, axis: str = "y") -> np.ndarray:
    """x / y / z / customdata of the trace ``name`` as a numpy array (typed arrays decoded)."""
    return decode(trace(spec, name)[axis])


def page_text(at: AppTest) -> str:
    """Everything a student reads on the page outside expanders (markdown, captions, callouts)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("info", "warning", "error", "success") for e in getattr(at, kind)]
    return "\n".join(parts)


def warnings_text(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]
