"""Shared page pieces: page header, charts with their "how to read this" text, overflow notes, data export.

Usage guide (for page authors)
------------------------------
::

    from lab import ui

    ui.page_header("Vanishing gradients", "One or two sentences: what this page shows and what to try.")
    ui.chart(fig, key="vg_norms",
             how_to_read="Each line is one cell... The dashed line is the bound σ^k.",   # 1-2 sentences, required
             predict="Before you move the slider: will the GRU line fall faster or slower than the RNN's?")
    ui.nonfinite_note({"RNN": r.nonfinite_from[0], "GRU": g.nonfinite_from[0]})   # nothing if all are -1
    ui.headline("After 50 steps the RNN keeps 1e-12 of its gradient; the GRU keeps 0.3.")
    ui.download_arrays("Download these numbers (CSV)", {"k": k, "rnn": rnn, "gru": gru}, "vg_norms.csv", key="vg_dl")

Predict first, then reveal (put the question BEFORE the number that answers it)::

    guess = ui.predict("Will the GRU's line fall like the RNN's?", {"falls": "It falls too", "stays": "It stays up"},
                       key="home_guess")                     # the chosen option key, or None before answering
    ui.reveal(f"At bias 0 the GRU keeps **{sci(share)}** 99 steps back: it falls too.", key="home_answer")

``reveal`` shows the answering callout at once on ordinary pages, and hides it behind a "Reveal the answer" button
in presenter mode (``?present=1``), in the lesson (``hidden=True``) and when the student switched on "Hide answers
until I reveal them" (``HIDE_ANSWERS``, a session setting in the sidebar). Once revealed it stays for the session.

``chart`` renders with ``theme="streamlit"`` so the chart follows the app's light/dark theme; the figure's own
settings (trace colours from lab.theme, font sizes, line widths) are kept. Build figures with
``lab.figures.common.base_figure`` so they carry the lab template.

A page file stays thin: controls (lab.controls) -> cached engine call (lab.cache) -> figure builder
(lab/figures/<topic>.py) -> ``ui.chart``. No numerics in pages.
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lab import present
from lab.theme import PICTURE_KEYS

HIDE_ANSWERS = "_lab_hide_answers"  # session_state: True = every reveal() waits for its button

PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},  # crisp PNGs for slides
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def page_header(title: str, intro: str, *, icon: str | None = None) -> None:
    """Page title and a short intro (markdown, 1-3 sentences)."""
    st.title(f"{icon} {title}" if icon else title)
    st.markdown(intro)


def chart(fig: go.Figure, key: str, how_to_read: str, predict: str | None = None, *, alt: str | None = None,
          height: int | None = None, container=None) -> None:
    """A Plotly chart with its reading guide.

    predict: an optional "predict first" question, shown ABOVE the chart so students read it before the curve.
    how_to_read: 1-2 sentences shown under the chart (required: every chart says how to read it)."""
    if not how_to_read or not how_to_read.strip():
        raise ValueError("how_to_read: every chart needs a 1-2 sentence reading guide")
    box = container if container is not None else st.container()
    with box:
        if predict:
            question(predict)
        title = fig.layout.title.text if fig.layout.title and fig.layout.title.text else None
        kwargs = {}
        if height is not None:
            kwargs["height"] = height
        if present.presenting():   # projector text and lines; presenter mode sizes the chart to the screen
            fig, kwargs["height"] = present.projector_style(fig), "stretch"
        st.plotly_chart(fig, width="stretch", key=key, theme="streamlit", config=PLOTLY_CONFIG,
                        alt=alt or title or how_to_read.split(".")[0], **kwargs)
        st.markdown(f":material/visibility: **How to read this.** {how_to_read}")


def picture(svg: str, how_to_read: str, *, alt: str, width: int | str = "content", container=None,
            narrow: str | None = None, key: str | None = None) -> None:
    """A drawn figure (an SVG document; "content": its own width, narrower in a narrow column) with its reading
    guide under it. A picture, not a chart: when it changes the browser only swaps an image (a changed Plotly
    chart costs it ~70-100 ms per rerun).

    narrow: the same figure drawn for a column narrower than ``lab.theme.NARROW_PICTURE_PX`` (a phone), where the
    wide one's text would shrink below readable; both are sent and the page's CSS shows the one that fits
    (``key`` names them)."""
    if not how_to_read or not how_to_read.strip():
        raise ValueError("how_to_read: every figure needs a 1-2 sentence reading guide")
    box = container if container is not None else st.container()
    if narrow is None:
        box.image(svg, width=width, alt=alt)
    else:
        if not key:
            raise ValueError("picture: a narrow drawing needs a key")
        both = box.container(key=f"{PICTURE_KEYS[0]}{key}")
        both.container(key=f"{PICTURE_KEYS[1]}{key}").image(svg, width=width, alt=alt)
        both.container(key=f"{PICTURE_KEYS[2]}{key}").image(narrow, width=width, alt=alt)
    box.markdown(f":material/visibility: **How to read this.** {how_to_read}")


def question(text: str, *, container=None) -> None:
    """A "Predict first" question in words (no choices), above what answers it."""
    (container or st).markdown(f":material/psychology_alt: **Predict first.** {text}")


def nonfinite_note(nonfinite_from: Mapping[str, int], *, what: str = "hidden state", container=None) -> bool:
    """Warn, per series name, where its values stopped being finite (``nonfinite_from`` = first 0-based step, -1 =
    finite). Returns True if a warning was shown."""
    bad = {name: int(k) for name, k in nonfinite_from.items() if int(k) >= 0}
    if not bad:
        return False
    parts = "; ".join(f"{name} from step {k + 1}" for name, k in bad.items())
    (container or st).warning(
        f"Overflow: the {what} became inf/NaN ({parts}). Those steps are drawn at the top edge of the log charts "
        "(▲ markers). Lower the largest singular value or the input amplitude to stay in range.",
        icon=":material/warning:",
    )
    return True


def headline(text: str, *, container=None) -> None:
    """A one-line takeaway in words, emphasised (e.g. the numbers behind a chart)."""
    (container or st).info(text, icon=":material/lightbulb:")


def _csv_columns(columns: Mapping[str, np.ndarray]) -> tuple[list[str], list[np.ndarray]]:
    """The names and the 1-D arrays of ``columns``; ValueError unless all have the same length."""
    names = list(columns)
    cols = [np.asarray(columns[n]).ravel() for n in names]
    if len({c.shape[0] for c in cols}) > 1:
        raise ValueError(f"columns: all must have the same length, got {dict(zip(names, [c.shape[0] for c in cols]))}")
    return names, cols


def arrays_to_csv(columns: Mapping[str, np.ndarray]) -> str:
    """1-D arrays of equal length -> CSV text with a header row (full float precision)."""
    names, cols = _csv_columns(columns)
    buf = io.StringIO()
    buf.write(",".join(names) + "\n")
    for row in zip(*cols):
        buf.write(",".join(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v) for v in row) + "\n")
    return buf.getvalue()


def download_arrays(label: str, columns: Mapping[str, np.ndarray], file_name: str, *, key: str,
                    container=None) -> None:
    """A download button for the numbers behind a chart (CSV, one column per array). The CSV is written when the
    button is pressed (Streamlit calls ``data`` then): given as text, it was built on every rerun and the browser
    fetched it again after every slider move."""
    _csv_columns(columns)                                    # a bad table fails here, in the page, not at the press
    box = container or present.controls(label="Download")   # presenter mode: collapsed, out of the projector's way
    box.download_button(label, lambda: arrays_to_csv(columns), file_name=file_name, mime="text/csv", key=key,
                        icon=":material/download:", on_click="ignore")


def _option_keys(choices: Sequence[str] | Mapping[str, str]) -> tuple[list[str], Mapping[str, str]]:
    if isinstance(choices, Mapping):
        return list(choices), choices
    return list(choices), {c: c for c in choices}


def predict(question: str, choices: Sequence[str] | Mapping[str, str], key: str, *, container=None,
            disabled: bool = False, horizontal: bool = False) -> str | None:
    """A "predict first" question with choices, nothing chosen at first; returns the chosen choice (its key when
    ``choices`` maps short keys to labels), or None while unanswered.

    The answer lives in this session only (never in the link: the teacher's link must not carry a student's guess).
    horizontal: the choices in a row (short choices above a key chart: it starts higher on the screen)."""
    keys, labels = _option_keys(choices)
    if not keys:
        raise ValueError("choices: a prediction needs at least one choice")
    box = container if container is not None else st
    return box.radio(f":material/psychology_alt: **Predict first.** {question}", keys, index=None, key=key,
                     format_func=lambda k: labels[k], disabled=disabled, horizontal=horizontal)


def answers_hidden(hidden: bool | None = None) -> bool:
    """Whether reveal() waits for its button: ``hidden`` if given, else in presenter mode or when the student
    asked to hide answers."""
    if hidden is not None:
        return hidden
    return present.presenting() or bool(st.session_state.get(HIDE_ANSWERS, False))


def _reveal_state(key: str) -> str:
    return f"_lab_revealed_{key}"


def reveal(answer_markdown: str, key: str, *, hidden: bool | None = None, ready: bool = True,
           label: str = "Reveal the answer", not_ready: str = "Answer the question first.", container=None) -> bool:
    """The answering callout, behind a Reveal button when answers are hidden (see ``answers_hidden``).

    ready: False keeps the button disabled (e.g. until the student chose a prediction), with ``not_ready`` as help.
    Returns True when the answer is shown."""
    box = container if container is not None else st.container()
    state = _reveal_state(key)
    shown = not answers_hidden(hidden) or st.session_state.get(state, False)
    with box:
        if not shown:
            st.button(label, key=key, icon=":material/visibility:", disabled=not ready,
                      help=None if ready else not_ready, on_click=_set_true, args=(state,))
            return False
        st.success(answer_markdown, icon=":material/check_circle:")
    return True


def _set_true(state_key: str) -> None:
    st.session_state[state_key] = True


def forget_reveal(key: str) -> None:
    """Hide a revealed answer again (e.g. when the question's settings changed)."""
    st.session_state.pop(_reveal_state(key), None)
