"""Shared benchmark helpers: the repo on sys.path and a median timer (times are ratios, never asserted)."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def median_ms(fn, repeat: int) -> float:
    """Median wall time of `fn()` over `repeat` calls, in milliseconds."""
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)


def page_rerun_ms(at, repeat: int) -> tuple[float, float]:
    """(cold, warm) median rerun times in ms of an AppTest `at` already on its page: cold clears the caches first."""
    import streamlit as st

    def cold():
        st.cache_data.clear()
        at.run()

    cold_ms = median_ms(cold, repeat)
    at.run()
    return cold_ms, median_ms(at.run, repeat)
