"""Make every page run through app.py's navigation, even as the first request to a fresh server.

Streamlit 1.67 decides once per process, when the first session starts, whether the app is an old-style (v1)
multipage app: it is if a `pages/` folder sits beside the main script, until some run calls `st.navigation`. So
the first link a fresh server receives, e.g. `/gate_explorer?ge_mode=multi`, runs `pages/gate_explorer.py` on its
own: no app.py, the legacy sidebar ("app", "gate explorer", ...), no page config, no URL fixes, and it stays so
for every session until someone opens the home page. `ensure_routed()`, the first call of every page, notices
that case, switches the process to app.py's navigation and reruns: app.py then runs the same page (page hashes
depend only on the URL path, which is the file stem for both) with the same query parameters.
"""
from __future__ import annotations

import streamlit as st


def ensure_routed() -> None:
    """Call first in every page file: rerun through app.py when the legacy pages/ router started this script."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:                      # a future Streamlit without the v1 router: nothing to do
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
