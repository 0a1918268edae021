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
