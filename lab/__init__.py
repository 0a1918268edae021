"""GRU Lab: the Streamlit side (shared theme, controls, cache, page pieces) and pure figure builders.

Importing ``lab`` registers the lab's Plotly template (``lab.theme.TEMPLATE_NAME``) as Plotly's default.
"""
from lab import theme as _theme  # noqa: F401  (registers the template)


import gc as _gc
import sys as _sys

_modules_at_freeze = 0


def freeze_long_lived_objects() -> None:
    """Move everything alive now out of reach of Python's cyclic garbage collector, whenever new modules came in.

    One server process serves every session, and after `import torch` (plus scipy, plotly, streamlit) the heap holds
    about a million long-lived objects. The collector re-scans all of them whenever a collection reaches the oldest
    generation, which happened during reruns and added ~60 ms to a slider move (measured: a one-slider page of this app
    went from 1.5x to 0.7x the time of a trivial app). `gc.freeze()` parks the current objects in a permanent
    generation; they are still freed by reference counting. Called at the end of every run (app.py): it only acts on
    runs that imported new modules (first visits to a page), after a `gc.collect()` so no garbage gets parked."""
    global _modules_at_freeze
    if len(_sys.modules) != _modules_at_freeze:
        _gc.collect()
        _gc.freeze()
        _modules_at_freeze = len(_sys.modules)
