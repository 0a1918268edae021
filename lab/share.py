"""Share with the class: the current view's link as text and as a QR code big enough to scan from the back row.

Usage (app.py draws the toolbar on every page; pages need nothing)::

    from lab import share
    url = share.students_link("http://10.0.0.5:8501/vanishing", {"vg_len": ["300"], "present": ["1"]})
    # -> "http://10.0.0.5:8501/vanishing?vg_len=300"   (the teacher's presenter flag dropped)
    png = share.qr_png(url)            # PNG bytes (segno), one module = QR_SCALE px

The link is the page's own URL parameters (every control is bound to the URL, lab.controls), so a student who opens
it sees exactly the teacher's view, without presenter mode.
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import segno
import streamlit as st

from lab import present
from lab.theme import PHONE_MAX_PX

QR_SCALE = 14        # px per QR module: a 41-module code (a typical lab link) is ~690 px with its border
QR_SHOWN_PX = 560    # drawn size in the dialog: on a 3 m wide projected 1920 px screen a module is ~2 cm
LINK_TOO_LONG = 120  # characters; longer links still work, but are hard to read out or type


def students_link(base_url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    """``base_url`` (scheme, host, page path) with the query parameters minus ``present``, in a stable order."""
    kept = present.student_params(params)
    pairs = [(k, v) for k in sorted(kept) for v in ([kept[k]] if isinstance(kept[k], str) else kept[k])]
    query = urlencode(pairs, safe=",")
    return base_url.rstrip("?") + (f"?{query}" if query else "")


def qr_png(text: str, *, scale: int = QR_SCALE) -> bytes:
    """A QR code of ``text`` as PNG bytes: error correction M (still reads with ~15% of it hidden or blurred),
    the standard 4-module quiet border, black on white."""
    buf = io.BytesIO()
    segno.make(text, error="m", boost_error=False).save(buf, kind="png", scale=scale, border=4, dark="black",
                                                        light="white")
    return buf.getvalue()


def current_link() -> str:
    """The students' link of the view on screen now (this page's URL as the browser sees it, the current URL
    parameters, no ``present``)."""
    base = st.context.url or ""
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    return students_link(base, params)


@st.dialog("Share with the class", width="large")
def _share_dialog() -> None:
    url = current_link()
    st.markdown("Students scan the code or type the link: they get **this view** with its settings "
                "(without presenter mode).")
    st.code(url, language=None, wrap_lines=True)
    if len(url) > LINK_TOO_LONG:
        st.caption(f"This link is {len(url)} characters long: the QR code still works.")
    with st.container(key="lab_share_qr"):   # at most the dialog's width (_TOOLBAR_CSS): a cut code does not scan
        st.image(qr_png(url), width=QR_SHOWN_PX, caption="Scan with a phone camera")


def share_button() -> None:
    """The "Share with the class" button; it opens the dialog with the link and its QR code."""
    if st.button("Share with the class", key="lab_share", icon=":material/qr_code_2:",
                 help="The link of this view, and its QR code"):
        _share_dialog()


# The toolbar floats in the app's header bar (fixed, top right), so it takes no room above a page's key chart.
# On a phone the header has no room for it (it would cover the sidebar's open button, wrap to two lines below the
# header and sit on the text scrolling under it): there it is an ordinary row at the top of the page, which
# scrolls away with the page.
_TOOLBAR_CSS = f"""<style>
.st-key-lab_toolbar {{ position: fixed; top: 0.6rem; right: 3.8rem; z-index: 999991; width: auto !important; }}
.st-key-lab_toolbar button, .st-key-lab_toolbar a {{ background: var(--st-background-color, #fff); }}
.st-key-lab_share_qr [data-testid="stImage"] * {{ max-width: 100%; }}
.st-key-lab_share_qr img {{ height: auto; }}
@media (max-width: {PHONE_MAX_PX}px) {{
  .st-key-lab_toolbar {{ position: static; flex-wrap: wrap; row-gap: 0.25rem; }}
}}
</style>"""


def toolbar(page: str) -> None:
    """On every page (app.py calls it before the page): "Share with the class" and, except on the lesson itself, a
    link to the lesson step that introduces ``page`` (a file stem)."""
    from lab.models.lesson import step_for_page

    st.html(_TOOLBAR_CSS)
    with st.container(key="lab_toolbar", horizontal=True, gap="small", width="content", vertical_alignment="center"):
        if page != "lesson":
            n = step_for_page(page) or 1
            st.page_link("pages/lesson.py", label=f"Lesson, step {n}", icon=":material/school:",
                         query_params={"lesson_step": str(n)}, help="The guided lesson, at the step about this page")
        share_button()
