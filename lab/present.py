"""Presenter mode: `?present=1` on any page shows it for a projector.

Usage (pages need nothing; app.py calls ``apply()`` once per run before the page)::

    from lab import present
    if present.presenting():          # True when the link carries present=1 (also true/yes/on)
        ...

In presenter mode the sidebar (and its controls) is hidden, text is larger, chart lines are thicker
(``lab.theme`` gives ``ui.chart`` a projector style through ``projector_style``) and each chart is one
screen tall, so the page's key chart is in the first screen at 1920x1080 and at 150% browser zoom.
Everything else still comes from the same URL parameters: the teacher's link minus ``present`` is the
students' link (``student_link``).
"""
from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

PARAM = "present"
SECTION = "section"  # ?section=<anchor>: open the page scrolled to that heading
_TRUE = {"1", "true", "yes", "on"}


def presenting() -> bool:
    """True when the current link asks for presenter mode (``?present=1``; also true / yes / on)."""
    try:
        raw = st.query_params.get(PARAM)
    except Exception:  # noqa: BLE001  (no script run context: a plain Python import, a notebook)
        return False
    return raw is not None and str(raw).strip().lower() in _TRUE


def student_params(params: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    """The query parameters of the students' link: the teacher's ones minus ``present``."""
    return {k: v for k, v in params.items() if k != PARAM}
