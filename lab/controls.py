"""Shared controls: every widget is keyed and linked to the URL; a bad URL value falls back to the nearest valid one.

Usage guide (for page authors)
------------------------------
::

    from lab import controls as C

    T = C.slider("Sequence length T", "vg_len", 10, 500, 100, step=10, help="...")      # int slider
    s = C.slider("Largest singular value", "vg_sigma", 0.1, 3.0, 1.0, step=0.05)         # float slider
    k = C.select("Cell", "vg_cell", ["rnn", "gru", "lstm"], "gru", labels=CELL_LABELS)  # dropdown
    k = C.select("Loss", "vg_loss", ["last", "all"], "last", style="segmented")         # buttons (or "radio")
    r = C.select("Clamp r", "ge_clamp_r", [None, 1.0, 0.0], None, values={None: "off", 1.0: "1", 0.0: "0"})
    ks = C.multiselect("Cells", "vg_cells", ["rnn", "gru", "lstm"], ["rnn", "gru"], style="pills")
    on = C.toggle("Clip gradients", "vg_clip", False)
    n = C.number("Seed", "vg_seed", 0, 9999, 0)
    name = C.text("Run name", "tr_name", "run", max_chars=40)

    # shared pickers (key = f"{prefix}_<name>", so give each page its own prefix: vg, st, ge, tr, home)
    kinds = C.cell_kinds("vg", options=("rnn", "gru", "lstm"), default=("rnn", "gru", "lstm"))
    sig = C.signal_picker("vg", default="impulse")
    seed = C.seed("vg")
    init = C.init_controls("vg")            # InitChoice(init="pytorch", scale=None | float)
    gb = C.gate_bias_controls("vg", chrono_tmax=T)   # GateBias(update_bias=0.0, chrono=None | int)
    C.preset_menu("Presets", "vg_preset", {"Exploding RNN": {"vg_sigma": 1.5}, ...})
    view, box = C.tabs("vg_view", {"grad": "Gradient", "gates": "Update gate"})   # only the open tab runs

Every helper takes ``container=`` (default ``st``; pass ``st.sidebar`` or a column) and ``help=``.

Controls that rerun only what they drive (the sidebar of a page, a row of settings above a chart)::

    def sidebar() -> dict:                       # ONE function draws the controls and returns their values
        sb = C.panel(st.sidebar)                 # draw the controls' own notes through the panel too
        return {"T": C.slider("Sequence length T", "vg_len", 10, 500, 100, container=sb), ...}

    @st.fragment(key="vg_body")
    def body() -> None:
        with C.reading("vg_body"):               # the same code, drawing nothing: the values as they stand
            values = sidebar()
        ...                                      # compute and draw from the values

    with C.driving("vg_body"):                   # the full run draws them; a move reruns body() alone
        sidebar()
    body()

A move of a driven control reruns only the fragment (Streamlit's ``st.rerun(key)`` in its on_change), so the
browser does not redraw the controls themselves; when the controls would look different (one appears or goes, a
label or range follows another control, a link note goes away) the fragment reruns the whole page instead.

Rules
-----
* ``key`` is the URL parameter name and is app-wide: prefix it with the page (``vg_len`` on pages/vanishing.py).
* A control at its default is not in the URL; any other value is, so the address bar always reproduces the view.
* Numbers, switches and text use Streamlit's ``bind="query-params"``. Choices (select, radio, segmented, pills,
  multiselect) are kept in the URL through ``st.query_params`` as SHORT words: ``values=`` maps an option to its
  word, else the option itself when it is a short word or number (``ge_clamp_r=1``, ``vg_view=phase``). A link
  holding an option's label (older links) still selects it, and the URL is rewritten to the short word.
* Every URL value is read HERE before the widget exists: a value that is not valid becomes the NEAREST valid one
  (9999 -> 500, 250.7 -> 250 or 260 whichever step is nearer, inf -> the maximum, "GRU " -> gru, yes -> on), with a
  ``st.warning`` under the widget naming the parameter, what it got and what is used, until the control is moved.
  The corrected value is written into the address bar too (numbers, switches and text: one extra run, started
  before the widget exists, see ``_read_bound``). app.py calls ``flush_url_fixes()`` after the page: it reruns once
  after a correction Streamlit could not take from the link, and drops the choices of other pages from the URL.
* Never read or write ``st.query_params`` for these keys yourself, nor ``st.session_state[key]`` after the widget
  is drawn. To change a control from code (a preset), assign ``st.session_state[key]`` in an ``on_click`` callback.
* ``REGISTRY`` holds every control drawn in this process (key -> kind and URL parser): the property test
  (tests/app/test_url_properties.py) finds every page's parameters there.

The parsing functions (``nearest_number``, ``nearest_option``, ``nearest_options``, ``parse_bool``,
``nearest_text``, ``snap``) are pure and unit-tested; the widget helpers wire them to Streamlit.
"""
from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from lab.theme import CELL_LABELS

# -----------------------------------------------------------------------------------------------------------------
# Pure parsing: raw URL strings -> (nearest valid value, problem text or None)


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _step_decimals(step: float) -> int:
    """Decimals needed to print values on a grid of this step (0.05 -> 2)."""
    s = f"{step:.10f}".rstrip("0")
    return len(s.split(".")[1]) if "." in s else 0


def snap(x: float, lo: float, hi: float, step: float, integer: bool) -> int | float:
    """Nearest point of the grid lo, lo+step, ..., within [lo, hi]."""
    x = min(max(x, lo), hi)
    v = lo + round((x - lo) / step) * step
    if v > hi + 1e-12:
        v -= step
    return int(round(v)) if integer else round(float(v), _step_decimals(step) + 1)


def nearest_number(raw: str, lo: float, hi: float, step: float, default: float,
                   integer: bool) -> tuple[int | float, str | None]:
    """One URL string as a number on the grid lo, lo+step, ..., hi. Returns (value, problem or None)."""
    try:
        x = float(raw.strip())
    except ValueError:
        x = math.nan
    if math.isnan(x):
        return default, f"is not a number; using the default {_fmt(default)}"
    if x > hi:
        return (int(hi) if integer else hi), f"is above the maximum {_fmt(hi)}; using {_fmt(hi)}"
    if x < lo:
        return (int(lo) if integer else lo), f"is below the minimum {_fmt(lo)}; using {_fmt(lo)}"
    v = snap(x, lo, hi, step, integer)
    if abs(v - x) > 1e-9 * max(1.0, abs(x)):
        what = "is not a whole number" if integer and step == 1 else f"is not on the slider's steps of {_fmt(step)}"
        return v, f"{what}; using the nearest value {_fmt(v)}"
    return v, None


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def url_words(options: Sequence[Any], values: Mapping[Any, str] | None = None) -> list[str]:
    """The short URL word of each option: ``values[option]``, else the option itself when it is a short word or
    number (``"gru"``, ``1``, ``0.001``), else a slug of it; the option's index where two would coincide."""
    words = []
    for i, o in enumerate(options):
        w = values[o] if values and o in values else _fmt(o)
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,24}", w):
            w = re.sub(r"[^a-z0-9]+", "-", w.lower()).strip("-")[:24] or str(i)
        words.append(w if w not in words else str(i))
    return words


def nearest_option(raw: str, options: Sequence[Any], labels: Sequence[str], default: Any,
                   words: Sequence[str] | None = None) -> tuple[Any, str | None]:
    """Match a URL string to an option: its URL word or its label (older links) exactly, then word, value or label
    ignoring case, spaces and punctuation, then a unique prefix. Otherwise the default (None: no match)."""
    words = list(words) if words is not None else url_words(options)
    for names in (words, labels):
        if raw in names:
            return options[list(names).index(raw)], None
    n = _norm(raw)
    keys = [(o, {_norm(w), _norm(str(o)), _norm(lab)}) for o, w, lab in zip(options, words, labels)]
    hits = [o for o, ks in keys if n in ks] or [o for o, ks in keys if n and any(k.startswith(n) for k in ks)]
    if n and len(hits) == 1:
        return hits[0], f"matched option {labels[list(options).index(hits[0])]!r}"
    allowed = ", ".join(labels)
    if default is None:
        return None, f"is not one of {allowed}"
    return default, f"is not one of {allowed}; using the default {labels[list(options).index(default)]!r}"


def nearest_options(raw: Sequence[str], options: Sequence[Any], labels: Sequence[str], default: Sequence[Any],
                    min_count: int = 0, words: Sequence[str] | None = None) -> tuple[list[Any], str | None]:
    """Multi-select: keep the URL entries that match an option (as in ``nearest_option``), drop the others."""
    found = [(r, *nearest_option(r, options, labels, None, words)) for r in raw]
    chosen = [o for o in options if any(v == o for _, v, _ in found if v is not None)]
    dropped = [r for r, v, _ in found if v is None]
    names = ", ".join(labels[list(options).index(c)] for c in chosen)
    if len(chosen) < min_count:
        return list(default), ("has no valid option; using the default "
                               + ", ".join(labels[list(options).index(d)] for d in default))
    if dropped:
        return chosen, f"dropped unknown {', '.join(map(repr, dropped))}; using {names}"
    if any(p for _, v, p in found if v is not None):
        return chosen, f"matched {names}"
    return chosen, None


_TRUE = {"true", "1", "yes", "on", "y", "t"}
_FALSE = {"false", "0", "no", "off", "n", "f"}


def parse_bool(raw: str, default: bool) -> tuple[bool, str | None]:
    """'true' / 'false' as is; 1/0, yes/no, on/off read with a note; anything else the default with a note."""
    t = raw.strip().lower()
    if t in ("true", "false"):
        return t == "true", None
    if t in _TRUE | _FALSE:
        return t in _TRUE, f"read as {'on' if t in _TRUE else 'off'}"
    return default, f"is not true/false; using the default {'on' if default else 'off'}"


def nearest_text(raw: str, max_chars: int | None, validate: Callable[[str], str | None] | None,
                 default: str) -> tuple[str, str | None]:
    """The URL text cut to ``max_chars``; the default when ``validate(text)`` returns an error message."""
    v, problem = raw, None
    if max_chars is not None and len(v) > max_chars:
        v, problem = v[:max_chars], f"is longer than {max_chars} characters; using the first {max_chars}"
    err = validate(v) if validate is not None else None
    if err:
        return default, f"{err}; using the default {default!r}"
    return v, problem


# -----------------------------------------------------------------------------------------------------------------
# The link state of a session (st.session_state, under names no page uses)

_FIXES, _PENDING, _SEEN, _WRITTEN, _DRAWN, _RERAN = (f"_lab_url_{n}" for n in
                                                     ("fixes", "pending", "seen", "written", "drawn", "reran"))


@dataclass(frozen=True)
class Control:
    """A URL-linked control: its kind ("slider", "number", "choice", "choices", "toggle", "text") and its parser,
    ``parse(raw values) -> (value, problem or None)``."""
    key: str
    kind: str
    parse: Callable[[list[str]], tuple[Any, str | None]] = field(compare=False)


REGISTRY: dict[str, Control] = {}


def _session(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def _register(key: str, kind: str, parse: Callable[[list[str]], tuple[Any, str | None]]) -> None:
    REGISTRY[key] = Control(key, kind, parse)
    _session(_DRAWN)[key] = kind


def _note(key: str, raw: list[str], value: Any, problem: str) -> None:
    shown = raw[0] if len(raw) == 1 else "&".join(raw)
    _session(_FIXES)[key] = {"value": value, "message": f"Link parameter `{key}={shown}` {problem}.", "shown": False}


def _show_note(key: str, got: Any, container: Any) -> None:
    """The note for a corrected link value, while the control holds that value; forgotten once it is moved."""
    fixes = _session(_FIXES)
    fix = fixes.get(key)
    if fix is None:
        return
    if _same(got, fix["value"]):
        fix["shown"] = True
        container.warning(fix["message"], icon=":material/link:")
    elif fix["shown"]:
        del fixes[key]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


# -----------------------------------------------------------------------------------------------------------------
# Keyed reruns: controls drawn by the full run that rerun only the fragment they drive

# What each widget returns when read back, from its arguments: the argument that holds its default.
_DEFAULT_OF = {"slider": "value", "number_input": "value", "toggle": "value", "text_input": "value",
               "select_slider": "value", "segmented_control": "default", "pills": "default",
               "multiselect": "default", "selectbox": "index", "radio": "index"}
_MODE = threading.local()      # the script thread's mode: None, ("drive", key, calls) or ("read", key, calls)
_DRIVEN = "_lab_driven_"       # + fragment key: the control calls of the last full run, in session state
# False: a driven control reruns the whole page, as any control outside a fragment does. AppTest sets it (in
# tests/app/conftest.py): AppTest keeps only the elements of the last run, so a run of the driven fragment alone
# would leave it without the rest of the page. The fragment reads its controls back the same way either way.
KEYED_RERUNS = True


def _mode() -> tuple | None:
    return getattr(_MODE, "now", None)


def _reading() -> bool:
    return (_mode() or ("",))[0] == "read"


class _Panel:
    """A container seen through the current mode. Drive: draws into ``box`` and gives every widget an
    ``on_change`` that reruns only the driven fragment. Read: draws nothing and returns each widget's value from
    session state. Both record every call (name, arguments), so a fragment can tell when the controls themselves
    would change."""

    def __init__(self, box: Any):
        self._box = box

    def __getattr__(self, name: str) -> Callable:
        return lambda *args, **kw: self._call(name, args, kw)

    def __enter__(self) -> _Panel:                 # ``with column:`` as with Streamlit's own containers
        if not _reading():
            self._box.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if not _reading():
            self._box.__exit__(*exc)

    def _call(self, name: str, args: tuple, kw: dict) -> Any:
        mode, target, calls = _mode()
        calls.append((name, repr(args), repr({k: v for k, v in kw.items() if not callable(v)})))
        if name in ("columns", "container", "expander", "popover"):     # a box in a box: seen the same way
            if mode == "read":
                return [self] * _count(args) if name == "columns" else self
            out = getattr(self._box, name)(*args, **kw)
            return [_Panel(b) for b in out] if isinstance(out, list) else _Panel(out)
        if mode == "read":
            return _read_back(name, args, kw) if name in _DEFAULT_OF else None
        if name in _DEFAULT_OF:
            kw["on_change"] = _redirect(target, kw.get("on_change"))
        return getattr(self._box, name)(*args, **kw)


def _count(args: tuple) -> int:
    spec = args[0] if args else 1
    return spec if isinstance(spec, int) else len(spec)


def _read_back(name: str, args: tuple, kw: dict) -> Any:
    """A widget's value as it stands (the driven fragment reruns after the move): its state, else its default."""
    if kw["key"] in st.session_state:
        return st.session_state[kw["key"]]
    if name in ("selectbox", "radio"):
        return list(args[1])[kw.get("index", 0)]
    return kw.get(_DEFAULT_OF[name])


def _redirect(target: str, own: Callable | None) -> Callable:
    def on_change() -> None:
        if own is not None:
            own()
        if KEYED_RERUNS:
            st.rerun(target)        # only the driven fragment reruns: the control is already drawn at its new value
    return on_change


def panel(box: Any) -> Any:
    """``box`` (``st``, ``st.sidebar``, a column) as the current mode sees it; ``box`` itself outside any mode.
    Pages pass it to controls and draw the controls' own notes through it, inside ``driving`` / ``reading``."""
    return box if _mode() is None or isinstance(box, _Panel) else _Panel(box)


@contextmanager
def _recording(mode: str, fragment_key: str) -> Iterator[list]:
    """The script thread in ``mode`` for ``fragment_key``; yields the list the panels record the control calls in."""
    calls: list = []
    _MODE.now = (mode, fragment_key, calls)
    try:
        yield calls
    finally:
        _MODE.now = None


@contextmanager
def driving(fragment_key: str) -> Iterator[None]:
    """The controls drawn inside rerun only the fragment ``@st.fragment(key=fragment_key)`` when moved (not the
    page, and not themselves: the server runs and sends only that fragment), and that fragment reads them back
    with ``reading(fragment_key)``. Call it in the full run, before the fragment."""
    with _recording("drive", fragment_key) as calls:
        yield
    st.session_state[_DRIVEN + fragment_key] = calls


@contextmanager
def reading(fragment_key: str) -> Iterator[None]:
    """Inside the fragment: the same control code as in ``driving`` returns the controls' current values and draws
    nothing. When the controls would look different now (one appears or goes, a label, range or note changes),
    the whole page reruns, so they are redrawn."""
    with _recording("read", fragment_key) as calls:
        yield
    if calls != st.session_state.get(_DRIVEN + fragment_key):
        st.rerun()


# -----------------------------------------------------------------------------------------------------------------
# Bound widgets (bind="query-params"): numbers, switches, text


def _read_bound(key: str, kind: str, parse: Callable[[list[str]], tuple[Any, str | None]]) -> None:
    """Before a bound widget: a link value that is not valid as it stands becomes the nearest valid value.

    The corrected value is written into the link and the script reruns at once, before the widget exists: that run
    seeds the widget from the corrected link, so the address bar shows it (Streamlit only writes a bound value
    into the URL on a run that follows a browser event, never on a run started by ``st.rerun``). Where the key is
    bound already (the browser's back button to a bad link), Streamlit drops the value it rejects and the value
    assigned here is used; ``flush_url_fixes`` reruns once so that run's assignment wins."""
    if _reading():
        return
    _register(key, kind, parse)
    pending = _session(_PENDING)
    if key in pending:
        st.session_state[key] = pending.pop(key)
        return
    raw = st.query_params.get_all(key)
    if not raw or _session(_SEEN).get(key) == raw:
        return
    _session(_SEEN)[key] = raw
    value, problem = parse(raw)
    if problem is not None:
        st.session_state[key] = pending[key] = value
        _note(key, raw, value, problem)
        _rewrite_link(key, value)


def _url_text(value: Any) -> str:
    """A bound widget's value as Streamlit writes it in a link (6.0 -> "6", True -> "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _rewrite_link(key: str, value: Any) -> None:
    """Put the corrected value in the link and rerun now, while no widget is bound to ``key`` yet (see
    ``_read_bound``); nothing when Streamlit refuses because a widget is bound to it already."""
    text = _url_text(value)
    try:
        st.query_params[key] = text
    except StreamlitAPIException:
        return
    _session(_SEEN)[key] = [text]   # the rerun sees this link as read: it must not correct it again
    st.rerun()


def _numeric(min_value, max_value, default, step, *, float_step: float) -> tuple:
    """(integer?, min, max, default, step) for a numeric widget: integer when min, max, default (and step) are ints,
    else all floats; a missing step is 1 for integers and `float_step` for floats."""
    integer = all(isinstance(v, int) and not isinstance(v, bool) for v in (min_value, max_value, default)) and (
        step is None or isinstance(step, int))
    if step is None:
        step = 1 if integer else float_step
    if not integer:
        min_value, max_value, default, step = float(min_value), float(max_value), float(default), float(step)
    return integer, min_value, max_value, default, step


def slider(label: str, key: str, min_value: int | float, max_value: int | float, default: int | float,
           step: int | float | None = None, *, help: str | None = None, format: str | None = None,
           container: Any = st, disabled: bool = False) -> int | float:
    """A URL-bound slider. Integer if min, max, default (and step) are ints, else float. Returns the value."""
    container = panel(container)
    integer, lo, hi, default, step = _numeric(min_value, max_value, default, step,
                                              float_step=round((max_value - min_value) / 100, 6))
    _read_bound(key, "slider", lambda raw: nearest_number(raw[-1], lo, hi, step, default, integer))
    value = container.slider(label, min_value=lo, max_value=hi, value=default, step=step, key=key,
                             bind="query-params", help=help, format=format, disabled=disabled)
    _show_note(key, value, container)
    return value


def number(label: str, key: str, min_value: int | float, max_value: int | float, default: int | float,
           step: int | float | None = None, *, help: str | None = None, format: str | None = None,
           container: Any = st) -> int | float:
    """A URL-bound number input (typed value) on the grid min_value, +step, ..., max_value.

    An integer input is held as a float shown without decimals: Streamlit's integer input raises OverflowError
    on ``?key=inf`` while it reads the link, its float input refuses non-finite values."""
    container = panel(container)
    integer, lo, hi, default, step = _numeric(min_value, max_value, default, step, float_step=0.01)
    _read_bound(key, "number", lambda raw: nearest_number(raw[-1], lo, hi, step, default, integer))

    def on_grid() -> None:                    # a typed 2.5 in an integer input becomes 2 (or the nearest step)
        st.session_state[key] = float(snap(st.session_state[key], lo, hi, step, integer))

    value = container.number_input(label, min_value=float(lo), max_value=float(hi), value=float(default),
                                   step=float(step), key=key, bind="query-params", help=help, on_change=on_grid,
                                   format=format or ("%.0f" if integer else None))
    _show_note(key, value, container)
    return int(round(value)) if integer else value


def toggle(label: str, key: str, default: bool = False, *, help: str | None = None, container: Any = st) -> bool:
    """A URL-bound on/off switch (URL: true/false; 1/0, yes/no, on/off are read with a note)."""
    container = panel(container)
    _read_bound(key, "toggle", lambda raw: parse_bool(raw[-1], default))
    value = container.toggle(label, value=default, key=key, bind="query-params", help=help)
    _show_note(key, value, container)
    return value


def text(label: str, key: str, default: str = "", *, max_chars: int | None = None,
         validate: Callable[[str], str | None] | None = None, help: str | None = None, container: Any = st) -> str:
    """A URL-bound text input. ``validate(text) -> error message or None``: invalid URL text falls back to the
    default with a note; invalid typed text is returned as typed (the page decides; use ``validate`` there too)."""
    container = panel(container)
    _read_bound(key, "text", lambda raw: nearest_text(raw[-1], max_chars, validate, default))
    value = container.text_input(label, value=default, max_chars=max_chars, key=key, bind="query-params", help=help)
    _show_note(key, value, container)
    return value


# -----------------------------------------------------------------------------------------------------------------
# Choices: short URL words through st.query_params


@dataclass(frozen=True)
class _Choice:
    """Options with their labels and URL words; ``spell(value)`` is the URL form of a value (None or a list)."""
    options: list
    labels: list[str]
    words: list[str]

    def spell(self, value: Any, default: Any) -> str | list[str] | None:
        if isinstance(default, (list, tuple)):
            chosen = [w for o, w in zip(self.options, self.words) if o in value]
            return None if chosen == [w for o, w in zip(self.options, self.words) if o in default] else chosen
        return None if value == default else self.words[self.options.index(value)]

    def fmt(self, o: Any) -> str:
        return self.labels[self.options.index(o)]


def _choice(options: Sequence[Any], labels: Mapping[Any, str] | Callable[[Any], str] | None,
            values: Mapping[Any, str] | None) -> _Choice:
    options = list(options)
    if labels is None:
        labs = [str(o) for o in options]
    else:
        labs = [str(labels(o)) if callable(labels) else str(labels.get(o, o)) for o in options]
    return _Choice(options, labs, url_words(options, values))


def _read_choice(key: str, kind: str, parse: Callable[[list[str]], tuple[Any, str | None]],
                 default: Any) -> None:
    """Before a choice widget: take the URL's value when the URL changed since this session last wrote it (a new
    link, or the browser's back button), as the nearest valid option."""
    if _reading():
        return
    _register(key, kind, parse)
    raw = st.query_params.get_all(key)
    written = _session(_WRITTEN).get(key)
    if raw == (written or []):
        return
    value, problem = parse(raw) if raw else (default, None)
    st.session_state[key] = list(value) if isinstance(value, (list, tuple)) else value
    if problem is not None:
        _note(key, raw, value, problem)


def _write_choice(key: str, spelled: str | list[str] | None) -> None:
    """After a choice widget: the URL holds its short word(s), or nothing at the default."""
    words = [] if spelled is None else ([spelled] if isinstance(spelled, str) else list(spelled))
    if st.query_params.get_all(key) != words:
        if words:
            st.query_params[key] = words if isinstance(spelled, list) else spelled
        else:
            del st.query_params[key]
    _session(_WRITTEN)[key] = words


def select(label: str, key: str, options: Sequence[Any], default: Any, *,
           labels: Mapping[Any, str] | Callable[[Any], str] | None = None, values: Mapping[Any, str] | None = None,
           style: str = "selectbox", help: str | None = None, container: Any = st) -> Any:
    """A URL-linked single choice. ``style``: "selectbox" (dropdown), "segmented" (buttons, 2-5 options) or
    "radio". The URL holds the option's short word (``values``, or the option itself); see the module rules."""
    container, c = panel(container), _choice(options, labels, values)
    _read_choice(key, "choice", lambda raw: nearest_option(raw[-1], c.options, c.labels, default, c.words), default)
    common = dict(format_func=c.fmt, key=key, help=help)
    if style == "selectbox":
        value = container.selectbox(label, c.options, index=c.options.index(default), **common)
    elif style == "segmented":
        value = container.segmented_control(label, c.options, default=default, selection_mode="single",
                                            required=True, **common)
    elif style == "radio":
        value = container.radio(label, c.options, index=c.options.index(default), horizontal=True, **common)
    else:
        raise ValueError(f"style must be 'selectbox', 'segmented' or 'radio', got {style!r}")
    value = default if value is None else value
    _write_choice(key, c.spell(value, default))
    _show_note(key, value, container)
    return value


def multiselect(label: str, key: str, options: Sequence[Any], default: Sequence[Any], *,
                labels: Mapping[Any, str] | Callable[[Any], str] | None = None,
                values: Mapping[Any, str] | None = None, style: str = "pills", min_selections: int = 1,
                max_selections: int | None = None, help: str | None = None, container: Any = st) -> list[Any]:
    """A URL-linked multiple choice, ``style`` "pills" (buttons) or "dropdown". Returns the chosen options in the
    options' order; with fewer than ``min_selections`` chosen the page gets the default back and a note, with more
    than ``max_selections`` the first ``max_selections`` and a note."""
    container, c, default = panel(container), _choice(options, labels, values), list(default)
    _read_choice(key, "choices", lambda raw: nearest_options(raw, c.options, c.labels, default, min_selections,
                                                             c.words), default)
    if style == "pills":
        value = container.pills(label, c.options, default=default, format_func=c.fmt, selection_mode="multi",
                                key=key, help=help)
    elif style == "dropdown":
        value = container.multiselect(label, c.options, default=default, format_func=c.fmt, key=key, help=help)
    else:
        raise ValueError(f"style must be 'pills' or 'dropdown', got {style!r}")
    value = [o for o in c.options if o in (value or [])]
    _write_choice(key, c.spell(value, default))
    _show_note(key, value, container)
    if len(value) < min_selections:
        container.info(f"Choose at least {min_selections}; showing {', '.join(map(c.fmt, default))}.",
                       icon=":material/info:")
        return default
    if max_selections is not None and len(value) > max_selections:
        value = value[:max_selections]
        container.info(f"At most {max_selections} at once, so every chart stays readable; using "
                       f"{', '.join(map(c.fmt, value))}.", icon=":material/info:")
    return value


def tabs(key: str, views: Mapping[str, str], *, default: str | None = None, container: Any = st) -> tuple[str, Any]:
    """URL-linked tabs of which only the open one runs: ``views`` maps each tab's URL word to its label.

    Returns ``(word of the open tab, its container)``; the page draws only that tab's body, so a move reruns one
    view, not all of them. The URL holds the open tab's word (``tr_view=grad``), nothing at the default (the first
    tab); an unknown word opens the nearest tab with a note. A control that drives several tabs belongs ABOVE the
    tabs: a control inside a closed tab is not drawn, so it returns to its default."""
    words, labels = list(views), list(views.values())
    default = views[default or words[0]]
    c = _Choice(labels, labels, words)
    _read_choice(key, "choice", lambda raw: nearest_option(raw[-1], c.options, c.labels, default, c.words), default)
    boxes = container.tabs(labels, key=key, default=default, on_change="rerun")
    i = next((i for i, b in enumerate(boxes) if b.open), labels.index(default))
    _write_choice(key, c.spell(labels[i], default))
    _show_note(key, labels[i], boxes[i])
    return words[i], boxes[i]


def flush_url_fixes() -> None:
    """Call once at the end of every full run (app.py does, after the page).

    After a link value was corrected: rerun once, so the correction is applied and written into the address bar
    (see ``_read_bound``). And drop from the URL the choices of controls not drawn on this run (another page's)."""
    drawn = st.session_state.pop(_DRAWN, {})
    for key, control in REGISTRY.items():
        if control.kind.startswith("choice") and key not in drawn and key in st.query_params:
            del st.query_params[key]
            _session(_WRITTEN).pop(key, None)
    pending = _session(_PENDING)
    if pending and not st.session_state.get(_RERAN):
        st.session_state[_RERAN] = True
        st.rerun()
    pending.clear()
    st.session_state[_RERAN] = False


# -----------------------------------------------------------------------------------------------------------------
# Shared pickers used on several pages. Keys are f"{prefix}_<name>".

SIGNAL_LABELS = {"impulse": "Impulse", "step": "Step", "sine": "Sine", "noise": "Noise", "tokens": "Random tokens"}
INIT_LABELS = {"pytorch": "PyTorch default", "orthogonal": "Orthogonal", "gaussian": "Gaussian"}


def cell_kinds(prefix: str, options: Sequence[str] = ("rnn", "gru", "lstm"),
               default: Sequence[str] = ("rnn", "gru", "lstm"), *, label: str = "Cells to compare",
               help: str | None = "Each chosen cell gets its own colour, the same on every page.",
               max_selections: int | None = None, container: Any = st) -> list[str]:
    """Several cell kinds (pills). Key ``{prefix}_cells``."""
    return multiselect(label, f"{prefix}_cells", options, default, labels=CELL_LABELS, style="pills",
                       max_selections=max_selections, help=help, container=container)


def signal_picker(prefix: str, default: str = "impulse", *, options: Sequence[str] = tuple(SIGNAL_LABELS),
                  label: str = "Input signal", help: str | None = "What is fed into the cell at each step.",
                  container: Any = st) -> str:
    """Input signal name (one of ``gru_core.SIGNALS``). Key ``{prefix}_signal``."""
    return select(label, f"{prefix}_signal", options, default, labels=SIGNAL_LABELS, help=help, container=container)


def seed(prefix: str, default: int = 0, *, label: str = "Seed", container: Any = st,
         help: str | None = "Same seed, same weights, on every machine.") -> int:
    """Random seed 0..9999. Key ``{prefix}_seed``."""
    return int(number(label, f"{prefix}_seed", 0, 9999, default, 1, help=help, container=container))


@dataclass(frozen=True)
class InitChoice:
    init: str  # "pytorch" | "orthogonal" | "gaussian"
    scale: float | None  # largest singular value of each recurrent block, or None (as initialised)


def init_controls(prefix: str, default_init: str = "pytorch", default_scale: float = 1.0,
                  rescale_default: bool = False, *, scale_range: tuple[float, float] = (0.1, 3.0),
                  container: Any = st) -> InitChoice:
    """Recurrent weight init and (optionally) its largest singular value.

    Keys ``{prefix}_init``, ``{prefix}_rescale`` (toggle), ``{prefix}_sigma`` (slider, shown when rescaling)."""
    init = select("Recurrent weight init", f"{prefix}_init", tuple(INIT_LABELS), default_init,
                  labels=INIT_LABELS, style="segmented", container=container,
                  help="PyTorch default: uniform in ±1/√H. Orthogonal: all singular values 1. Gaussian: N(0, 1/H).")
    rescale = toggle("Set largest singular value of W_hh", f"{prefix}_rescale", rescale_default, container=container,
                     help="Rescale each recurrent weight block so its largest singular value is σ.")
    scale = None
    if rescale:
        scale = float(slider("σ_max(W_hh)", f"{prefix}_sigma", scale_range[0], scale_range[1], default_scale, 0.05,
                             container=container, format="%.2f",
                             help="Below 1 the plain RNN's gradient shrinks each step; above 1 it can grow."))
    return InitChoice(init, scale)


@dataclass(frozen=True)
class GateBias:
    update_bias: float  # added to the keep side of the update gate (positive = keep memory)
    chrono: int | None  # chrono init T_max, or None


def gate_bias_controls(prefix: str, default_bias: float = 0.0, *, chrono_tmax: int | None = None,
                       tmax_name: str | None = None, bias_range: tuple[float, float] = (-4.0, 8.0),
                       container: Any = st) -> GateBias:
    """GRU update-gate bias slider, plus a chrono-init toggle when ``chrono_tmax`` is given (its label names
    ``tmax_name``, e.g. "T", when given, else the number: a label that follows another control redraws the page).

    Keys ``{prefix}_bias`` and ``{prefix}_chrono``. With chrono on, the bias slider is hidden (chrono sets it)."""
    if chrono_tmax is not None and toggle(
            f"Chrono init (T_max = {tmax_name or chrono_tmax})", f"{prefix}_chrono", False, container=container,
            help="Tallec & Ollivier 2018: keep-bias ~ log U[1, T_max-1], so units remember for up to T_max steps."):
        return GateBias(0.0, int(chrono_tmax))
    b = slider("Update-gate bias (keep memory +)", f"{prefix}_bias", bias_range[0], bias_range[1], default_bias, 0.25,
               container=container, format="%.2f",
               help="Added to the update gate's bias. Positive: the gate stays near 'keep', h_t ≈ h_(t−1), "
                    "and the gradient flows back through the direct path.")
    return GateBias(float(b), None)


def preset_menu(label: str, key: str, presets: Mapping[str, Mapping[str, Any]], *, help: str | None = None,
                container: Any = st) -> str | None:
    """A page's presets as ONE menu button: choosing a preset sets every control it names (through session state,
    so the address bar follows). Like ``st.button`` it is a trigger, never a stored value, so a slider moved right
    after a preset can not re-apply it. Returns the preset chosen on this run, or None.

    One element, not a button per preset: every element costs the browser a render pass on each rerun (vanishing
    page, 40 presses: 1.57x the trivial app with 8 preset buttons, 1.37x without them)."""

    def _apply() -> None:
        name = st.session_state.get(key)
        if name is not None:
            for k, v in presets[name].items():
                st.session_state[k] = v

    return container.menu_button(label, list(presets), key=key, on_click=_apply, help=help,
                                 icon=":material/playlist_play:")


def select_slider(label: str, key: str, options: Sequence[Any], default: Any, *,
                  labels: Mapping[Any, str] | Callable[[Any], str] | None = None, help: str | None = None,
                  container: Any = st) -> Any:
    """A URL-bound slider over the given options only (e.g. the training snapshots that exist), so every position
    shows something different. ``default`` (and a stale value kept from other options) snaps to the nearest
    option; for numeric options a URL number snaps to the nearest one with a note. When the options change (a run
    that is still training), a slider left at its default follows the new default."""
    container, options = panel(container), list(options)
    labs = _choice(options, labels, None).labels
    numeric = all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in options)

    def nearest(x: Any) -> Any:
        return min(options, key=lambda o: abs(o - x)) if numeric and isinstance(x, (int, float)) else options[-1]

    default = default if default in options else nearest(default)

    def fix(raw: list[str]) -> tuple[Any, str | None]:
        try:
            x = float(raw[-1])
        except ValueError:
            x = math.nan
        if not (numeric and math.isfinite(x)):
            return nearest_option(raw[-1], options, labs, default)
        v = nearest(x)
        return v, None if v == x else f"is not one of the points that exist; using the nearest, {labs[options.index(v)]}"

    last_default = st.session_state.get(f"_lab_default_{key}")
    if key in st.session_state and (st.session_state[key] == last_default or st.session_state[key] not in options):
        st.session_state[key] = default if st.session_state[key] == last_default else nearest(st.session_state[key])
    st.session_state[f"_lab_default_{key}"] = default
    _read_bound(key, "select_slider", fix)
    fmt = dict(zip(options, labs)).__getitem__
    value = container.select_slider(label, options, value=default, format_func=fmt, key=key, bind="query-params",
                                    help=help)
    _show_note(key, value, container)
    return value
