"""Shared controls: every widget is keyed and bound to the URL, and bad URL values fall back to the nearest valid one.

Usage guide (for page authors)
------------------------------
::

    from lab import controls as C

    T = C.slider("Sequence length T", "vg_len", 10, 500, 100, step=10, help="...")      # int slider
    s = C.slider("Largest singular value", "vg_sigma", 0.1, 3.0, 1.0, step=0.05)         # float slider
    k = C.select("Cell", "vg_cell", ["rnn", "gru", "lstm"], "gru", labels=CELL_LABELS)  # dropdown
    k = C.select("Loss", "vg_loss", ["last", "all"], "last", style="segmented")         # buttons
    ks = C.multiselect("Cells", "vg_cells", ["rnn", "gru", "lstm"], ["rnn", "gru"], style="pills")
    on = C.toggle("Clip gradients", "vg_clip", False)
    n = C.number("Seed", "vg_seed", 0, 9999, 0)
    name = C.text("Run name", "tr_name", "run", max_chars=40)

    # shared pickers (key = f"{prefix}_<name>", so give each page its own prefix: vg, st, ge, tr, home)
    kinds = C.cell_kinds("vg", options=("rnn", "gru", "lstm"), default=("rnn", "gru", "lstm"))
    kind = C.cell_kind("st", default="gru")
    sig = C.signal_picker("vg", default="impulse")
    seed = C.seed("vg")
    init = C.init_controls("vg")            # InitChoice(init="pytorch", scale=None | float)
    gb = C.gate_bias_controls("vg", chrono_tmax=T)   # GateBias(update_bias=0.0, chrono=None | int)

Every helper takes ``container=`` (default ``st``; pass ``st.sidebar`` or a column) and ``help=``.

Rules
-----
* ``key`` is the URL parameter name and is app-wide: prefix it with the page (``vg_len`` on pages/vanishing.py).
* The widget's default never appears in the URL (Streamlit drops it); any other value does, so the address bar is
  always a link that reproduces the view.
* URL values are checked HERE, before the widget is created. Streamlit 1.67 itself silently replaces an
  out-of-range or malformed bound value with the widget default (``?vg_len=9999`` -> 100, ``?vg_len=abc`` -> 100),
  accepts off-step floats as they are, and truncates ``250.7`` to 250 for an int slider. We instead use the
  NEAREST valid value (9999 -> 500, 250.7 -> 250 or 260 whichever step is nearer, "GRU" -> "gru", 1/yes -> True)
  and show a ``st.warning`` under the widget naming the parameter, what it got and what is used. The note stays
  until the user changes that control.
* app.py calls ``flush_url_fixes()`` after the page (one extra rerun only when a link value was corrected and
  Streamlit had accepted its own reading of it); pages need do nothing.
* Do not read or write ``st.query_params`` for bound keys yourself; do not assign ``st.session_state[key]`` after
  the widget is drawn. To change a control programmatically (e.g. a preset button), assign
  ``st.session_state[key]`` in an ``on_click`` callback.

The parsing functions (``nearest_number``, ``nearest_option``, ``nearest_options``, ``parse_bool``,
``nearest_text``) are pure and unit-tested; the widget helpers only wire them to Streamlit.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from lab.theme import CELL_LABELS

_FIXES = "_lab_url_fixes"  # session_state: key -> {"raw": [...], "value": v, "message": str}
_PENDING = "_lab_url_pending"  # session_state: key -> value to assign before the widget on the next run

# -----------------------------------------------------------------------------------------------------------------
# Pure parsing: raw URL strings -> (nearest valid value, problem text or None)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _step_decimals(step: float) -> int:
    """Decimals needed to print values on a grid of this step (0.05 -> 2)."""
    s = f"{step:.10f}".rstrip("0")
    return len(s.split(".")[1]) if "." in s else 0


def snap(x: float, lo: float, hi: float, step: float, integer: bool) -> int | float:
    """Nearest point of the grid lo, lo+step, ..., within [lo, hi]."""
    x = min(max(x, lo), hi)
    k = round((x - lo) / step)
    v = lo + k * step
    if v > hi + 1e-12:
        v -= step
    if integer:
        return int(round(v))
    return round(float(v), _step_decimals(step) + 1)


def nearest_number(
    raw: str, lo: float, hi: float, step: float, default: float, integer: bool
) -> tuple[int | float, str | None]:
    """Parse one URL string as a number on the slider grid. Returns (value, problem)."""
    text = raw.strip()
    try:
        x = float(text)
    except ValueError:
        return default, f"is not a number; using the default {_fmt(default)}"
    if math.isnan(x):
        return default, f"is not a number; using the default {_fmt(default)}"
    if x == math.inf or x > hi:
        return (int(hi) if integer else hi), f"is above the maximum {_fmt(hi)}; using {_fmt(hi)}"
    if x == -math.inf or x < lo:
        return (int(lo) if integer else lo), f"is below the minimum {_fmt(lo)}; using {_fmt(lo)}"
    v = snap(x, lo, hi, step, integer)
    if abs(v - x) > 1e-9 * max(1.0, abs(x)):
        what = "is not a whole number" if integer and step == 1 else f"is not on the slider's steps of {_fmt(step)}"
        return v, f"{what}; using the nearest value {_fmt(v)}"
    return v, None


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def nearest_option(
    raw: str, options: Sequence[Any], labels: Sequence[str], default: Any
) -> tuple[Any, str | None]:
    """Match a URL string to an option: exact label, then option value or label ignoring case/spaces/_,
    then a unique prefix. Otherwise the default."""
    if raw in labels:
        return options[labels.index(raw)], None
    n = _norm(raw)
    for opt, lab in zip(options, labels):
        if n and (n == _norm(str(opt)) or n == _norm(lab)):
            return opt, f"matched option {lab!r}"
    hits = [o for o, lab in zip(options, labels) if n and (_norm(str(o)).startswith(n) or _norm(lab).startswith(n))]
    if len(hits) == 1:
        return hits[0], f"matched option {labels[options.index(hits[0])]!r}"
    allowed = ", ".join(labels)
    if default is None:
        return None, f"is not one of {allowed}"
    return default, f"is not one of {allowed}; using the default {labels[options.index(default)]!r}"


def nearest_options(
    raw: Sequence[str], options: Sequence[Any], labels: Sequence[str], default: Sequence[Any], min_count: int = 0
) -> tuple[list[Any], str | None]:
    """Multi-select: keep the URL entries that match an option (as in ``nearest_option``), drop the others."""
    chosen: list[Any] = []
    dropped: list[str] = []
    fuzzy = False
    for r in raw:
        if r in labels:
            v = options[labels.index(r)]
        else:
            v, prob = nearest_option(r, options, labels, None)
            if v is None:
                dropped.append(r)
                continue
            fuzzy = True
        if v not in chosen:
            chosen.append(v)
    # keep the options' order
    chosen = [o for o in options if o in chosen]
    if len(chosen) < min_count:
        return list(default), f"has no valid option; using the default {', '.join(labels[options.index(d)] for d in default)}"
    if dropped:
        return chosen, f"dropped unknown {', '.join(map(repr, dropped))}; using {', '.join(labels[options.index(c)] for c in chosen)}"
    if fuzzy:
        return chosen, f"matched {', '.join(labels[options.index(c)] for c in chosen)}"
    return chosen, None


_TRUE = {"true", "1", "yes", "on", "y", "t"}
_FALSE = {"false", "0", "no", "off", "n", "f"}


def parse_bool(raw: str, default: bool) -> tuple[bool, str | None]:
    t = raw.strip().lower()
    if t == "true":
        return True, None
    if t == "false":
        return False, None
    if t in _TRUE:
        return True, "read as on"
    if t in _FALSE:
        return False, "read as off"
    return default, f"is not true/false; using the default {'on' if default else 'off'}"


def nearest_text(raw: str, max_chars: int | None, validate: Callable[[str], str | None] | None, default: str):
    v = raw
    problem = None
    if max_chars is not None and len(v) > max_chars:
        v = v[:max_chars]
        problem = f"is longer than {max_chars} characters; using the first {max_chars}"
    if validate is not None:
        err = validate(v)
        if err:
            return default, f"{err}; using the default {default!r}"
    return v, problem


# -----------------------------------------------------------------------------------------------------------------
# Wiring to Streamlit


def _fixes() -> dict:
    return st.session_state.setdefault(_FIXES, {})


def _pending() -> dict:
    return st.session_state.setdefault(_PENDING, {})


def _before_widget(key: str, fix: Callable[[list[str]], tuple[Any, str | None]]) -> None:
    """Check the URL value of ``key`` before its widget exists; assign the nearest valid value if needed.

    How a correction reaches the widget and the address bar in Streamlit 1.67 (checked in Chromium):
    * Streamlit REJECTS the URL value (out of range, malformed, unknown option): it clears the parameter and the
      ``st.session_state[key]`` assigned here wins.
    * Streamlit ACCEPTS it but differently from us (off-step float, 254.7 truncated to 254 for an int slider): on a
      first load the URL beats session state, so ``_after_widget`` queues the value and ``flush_url_fixes()``
      (app.py, after the page) reruns once; the queued assignment then wins (it is no longer a first load).
    * Streamlit does not write a value assigned on a first load (or on an st.rerun) into the address bar, so
      ``_after_widget`` writes the corrected value into the URL itself; the link then reproduces the view."""
    pend = _pending()
    if key in pend:
        st.session_state[key] = pend.pop(key)
        return
    raw = st.query_params.get_all(key)
    if not raw:
        return
    value, problem = fix(raw)
    if problem is None:
        return
    fixes = _fixes()
    old = fixes.get(key)
    if old is not None and (old["raw"] == raw or _same(old["value"], value)):
        return  # already handled (Streamlit may have rewritten the URL meanwhile); never fight the user
    st.session_state[key] = value
    shown = raw[0] if len(raw) == 1 else "&".join(raw)
    fixes[key] = {"raw": raw, "value": value, "message": f"Link parameter `{key}={shown}` {problem}."}


def _after_widget(key: str, got: Any, container: Any, url_value: Callable[[Any], str | list[str] | None]) -> None:
    """Show the note for a corrected URL value while the widget holds the corrected value; forget it once the user
    has changed the control. ``url_value(value)`` is how the value is spelled in the URL (None = the default,
    which Streamlit keeps out of the URL)."""
    fixes = _fixes()
    fix = fixes.get(key)
    if fix is None:
        return
    if _same(got, fix["value"]):
        fix["shown"] = True
        if not fix.get("url_written"):
            fix["url_written"] = True
            _write_url(key, url_value(got))
        container.warning(fix["message"], icon=":material/link:")
    elif not fix.get("shown"):
        _pending()[key] = fix["value"]  # Streamlit seeded its own reading of the URL; apply ours on a rerun
    elif key not in _pending():
        del fixes[key]


def _write_url(key: str, value: str | list[str] | None) -> None:
    """Put the corrected value into the browser's address bar (Streamlit's own mechanism for URL corrections).

    Uses Streamlit internals (QueryParams.set_corrected_value's storage + message); any failure is ignored: the
    page still shows the corrected value and the note, only the address bar keeps the bad value."""
    try:
        from streamlit.runtime.state import get_session_state

        with get_session_state().query_params() as qp:
            if value is None or value == [] or value == "":
                qp.remove_param(key)
            else:
                qp._query_params[key] = value
                qp._send_query_param_msg()
    except Exception:  # pragma: no cover - depends on Streamlit internals
        pass


def flush_url_fixes() -> None:
    """Call once at the end of every run (app.py does, after the page): if a URL value that Streamlit accepted
    had to be corrected, rerun once so the correction is applied (see ``_before_widget``)."""
    if st.session_state.get(_PENDING):
        st.rerun()


def _num_url(default: float) -> Callable[[Any], str | None]:
    def f(v: Any) -> str | None:
        if _same(v, default):
            return None
        if isinstance(v, float) and math.isfinite(v) and v == int(v):
            return str(int(v))
        return str(v)
    return f


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _numeric(min_value, max_value, default, step, *, float_step: float) -> tuple:
    """(integer?, min, max, default, step) for a numeric widget: integer when min, max, default (and step) are ints,
    else all floats; a missing step is 1 for integers and `float_step` for floats."""
    integer = all(isinstance(v, int) and not isinstance(v, bool) for v in (min_value, max_value, default)) and (
        step is None or isinstance(step, int)
    )
    if step is None:
        step = 1 if integer else float_step
    if not integer:
        min_value, max_value, default, step = float(min_value), float(max_value), float(default), float(step)
    return integer, min_value, max_value, default, step


def slider(
    label: str,
    key: str,
    min_value: int | float,
    max_value: int | float,
    default: int | float,
    step: int | float | None = None,
    *,
    help: str | None = None,
    format: str | None = None,
    container: Any = st,
    disabled: bool = False,
) -> int | float:
    """A URL-bound slider. Integer if min, max, default (and step) are ints, else float. Returns the value."""
    integer, min_value, max_value, default, step = _numeric(min_value, max_value, default, step,
                                                            float_step=round((max_value - min_value) / 100, 6))
    _before_widget(key, lambda raw: nearest_number(raw[-1], min_value, max_value, step, default, integer))
    value = container.slider(
        label, min_value=min_value, max_value=max_value, value=default, step=step, key=key,
        bind="query-params", help=help, format=format, disabled=disabled,
    )
    _after_widget(key, value, container, _num_url(default))
    return value


def number(
    label: str,
    key: str,
    min_value: int | float,
    max_value: int | float,
    default: int | float,
    step: int | float | None = None,
    *,
    help: str | None = None,
    format: str | None = None,
    container: Any = st,
) -> int | float:
    """A URL-bound number input (typed value), clamped to [min_value, max_value] on the nearest step."""
    integer, min_value, max_value, default, step = _numeric(min_value, max_value, default, step, float_step=0.01)
    _before_widget(key, lambda raw: nearest_number(raw[-1], min_value, max_value, step, default, integer))
    value = container.number_input(
        label, min_value=min_value, max_value=max_value, value=default, step=step, key=key,
        bind="query-params", help=help, format=format,
    )
    _after_widget(key, value, container, _num_url(default))
    return value


def _labels_for(options: Sequence[Any], labels: Mapping[Any, str] | Callable[[Any], str] | None) -> list[str]:
    if labels is None:
        return [str(o) for o in options]
    if callable(labels):
        return [str(labels(o)) for o in options]
    return [str(labels.get(o, o)) for o in options]


def select(
    label: str,
    key: str,
    options: Sequence[Any],
    default: Any,
    *,
    labels: Mapping[Any, str] | Callable[[Any], str] | None = None,
    style: str = "selectbox",
    help: str | None = None,
    container: Any = st,
) -> Any:
    """A URL-bound single choice. ``style``: "selectbox" (dropdown), "segmented" (buttons, 2-5 options) or
    "radio". The URL holds the option's label; a URL value matching an option's value or label up to case,
    spaces and underscores (or a unique prefix) selects it with a note."""
    options = list(options)
    labs = _labels_for(options, labels)
    fmt = dict(zip(options, labs)).__getitem__
    _before_widget(key, lambda raw: nearest_option(raw[-1], options, labs, default))
    idx = options.index(default)
    if style == "selectbox":
        value = container.selectbox(label, options, index=idx, format_func=fmt, key=key, bind="query-params", help=help)
    elif style == "segmented":
        value = container.segmented_control(
            label, options, default=default, format_func=fmt, key=key, bind="query-params", help=help,
            selection_mode="single", required=True,
        )
    elif style == "radio":
        value = container.radio(label, options, index=idx, format_func=fmt, key=key, bind="query-params", help=help,
                                horizontal=True)
    else:
        raise ValueError(f"style must be 'selectbox', 'segmented' or 'radio', got {style!r}")
    if value is None:  # defensive: a cleared segmented control
        value = default
    _after_widget(key, value, container, lambda v: None if v == default else fmt(v))
    return value


def multiselect(
    label: str,
    key: str,
    options: Sequence[Any],
    default: Sequence[Any],
    *,
    labels: Mapping[Any, str] | Callable[[Any], str] | None = None,
    style: str = "pills",
    min_selections: int = 1,
    help: str | None = None,
    container: Any = st,
) -> list[Any]:
    """A URL-bound multiple choice, ``style`` "pills" (buttons) or "dropdown". Returns the chosen options in the
    options' order. If fewer than ``min_selections`` are chosen, the page gets the default back and a note."""
    options = list(options)
    labs = _labels_for(options, labels)
    fmt = dict(zip(options, labs)).__getitem__
    _before_widget(key, lambda raw: nearest_options(raw, options, labs, default, min_selections))
    if style == "pills":
        value = container.pills(label, options, default=list(default), format_func=fmt, selection_mode="multi",
                                key=key, bind="query-params", help=help)
    elif style == "dropdown":
        value = container.multiselect(label, options, default=list(default), format_func=fmt, key=key,
                                      bind="query-params", help=help)
    else:
        raise ValueError(f"style must be 'pills' or 'dropdown', got {style!r}")
    value = [o for o in options if o in (value or [])]
    _after_widget(key, value, container,
                  lambda v: None if list(v) == [o for o in options if o in default] else [fmt(o) for o in v])
    if len(value) < min_selections:
        container.info(f"Choose at least {min_selections}; showing {', '.join(labs[options.index(d)] for d in default)}.",
                       icon=":material/info:")
        return list(default)
    return value


def toggle(label: str, key: str, default: bool = False, *, help: str | None = None, container: Any = st) -> bool:
    """A URL-bound on/off switch (URL: true/false; 1/0, yes/no, on/off are read with a note)."""
    _before_widget(key, lambda raw: parse_bool(raw[-1], default))
    value = container.toggle(label, value=default, key=key, bind="query-params", help=help)
    _after_widget(key, value, container, lambda v: None if v == default else str(bool(v)).lower())
    return value


def text(
    label: str,
    key: str,
    default: str = "",
    *,
    max_chars: int | None = None,
    validate: Callable[[str], str | None] | None = None,
    help: str | None = None,
    container: Any = st,
) -> str:
    """A URL-bound text input. ``validate(text) -> error message or None``: invalid URL text falls back to the
    default with a note; invalid typed text is returned as typed (the page decides; use ``validate`` there too)."""
    _before_widget(key, lambda raw: nearest_text(raw[-1], max_chars, validate, default))
    value = container.text_input(label, value=default, max_chars=max_chars, key=key, bind="query-params", help=help)
    _after_widget(key, value, container, lambda v: None if v == default else v)
    return value


# -----------------------------------------------------------------------------------------------------------------
# Shared pickers used on several pages. Keys are f"{prefix}_<name>".

try:  # the engine owns the lists; fall back to the documented values if it is not importable yet
    import gru_core as _gc

    CELL_KINDS: tuple[str, ...] = tuple(_gc.CELL_KINDS)
    SIGNALS: tuple[str, ...] = tuple(_gc.SIGNALS)
except Exception:  # pragma: no cover
    CELL_KINDS = ("rnn", "gru", "lstm", "gru_type1", "gru_type2", "gru_type3", "mgu")
    SIGNALS = ("impulse", "step", "sine", "noise", "tokens")

SIGNAL_LABELS = {"impulse": "Impulse", "step": "Step", "sine": "Sine", "noise": "Noise", "tokens": "Random tokens"}
INIT_LABELS = {"pytorch": "PyTorch default", "orthogonal": "Orthogonal", "gaussian": "Gaussian"}


def cell_kinds(
    prefix: str,
    options: Sequence[str] = ("rnn", "gru", "lstm"),
    default: Sequence[str] = ("rnn", "gru", "lstm"),
    *,
    label: str = "Cells to compare",
    help: str | None = "Each chosen cell gets its own colour, the same on every page.",
    container: Any = st,
) -> list[str]:
    """Several cell kinds (pills). Key ``{prefix}_cells``."""
    return multiselect(label, f"{prefix}_cells", options, default, labels=CELL_LABELS, style="pills",
                       help=help, container=container)


def cell_kind(
    prefix: str,
    options: Sequence[str] = CELL_KINDS,
    default: str = "gru",
    *,
    label: str = "Cell",
    help: str | None = None,
    container: Any = st,
) -> str:
    """One cell kind. Key ``{prefix}_cell``. Buttons for up to 5 options, else a dropdown."""
    style = "segmented" if len(options) <= 5 else "selectbox"
    return select(label, f"{prefix}_cell", options, default, labels=CELL_LABELS, style=style, help=help,
                  container=container)


def signal_picker(
    prefix: str,
    default: str = "impulse",
    *,
    options: Sequence[str] = SIGNALS,
    label: str = "Input signal",
    help: str | None = "What is fed into the cell at each step (gru_core.signal).",
    container: Any = st,
) -> str:
    """Input signal name from ``gru_core.SIGNALS``. Key ``{prefix}_signal``."""
    return select(label, f"{prefix}_signal", options, default, labels=SIGNAL_LABELS, help=help, container=container)


def seed(prefix: str, default: int = 0, *, label: str = "Seed", container: Any = st,
         help: str | None = "Same seed, same weights, on every machine.") -> int:
    """Random seed 0..9999. Key ``{prefix}_seed``."""
    return int(number(label, f"{prefix}_seed", 0, 9999, default, 1, help=help, container=container))


@dataclass(frozen=True)
class InitChoice:
    init: str  # "pytorch" | "orthogonal" | "gaussian"
    scale: float | None  # largest singular value of each recurrent block, or None (as initialised)


def init_controls(
    prefix: str,
    default_init: str = "pytorch",
    default_scale: float = 1.0,
    rescale_default: bool = False,
    *,
    scale_range: tuple[float, float] = (0.1, 3.0),
    container: Any = st,
) -> InitChoice:
    """Recurrent weight init and (optionally) its largest singular value.

    Keys ``{prefix}_init``, ``{prefix}_rescale`` (toggle), ``{prefix}_sigma`` (slider, shown when rescaling)."""
    init = select("Recurrent weight init", f"{prefix}_init", ("pytorch", "orthogonal", "gaussian"), default_init,
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


def gate_bias_controls(
    prefix: str,
    default_bias: float = 0.0,
    *,
    chrono_tmax: int | None = None,
    bias_range: tuple[float, float] = (-4.0, 8.0),
    container: Any = st,
) -> GateBias:
    """GRU update-gate bias slider, plus a chrono-init toggle when ``chrono_tmax`` is given.

    Keys ``{prefix}_bias`` and ``{prefix}_chrono``. With chrono on, the bias slider is hidden (chrono sets it)."""
    use_chrono = False
    if chrono_tmax is not None:
        use_chrono = toggle(f"Chrono init (T_max = {chrono_tmax})", f"{prefix}_chrono", False, container=container,
                            help="Tallec & Ollivier 2018: keep-bias ~ log U[1, T_max-1], so units remember for "
                                 "up to T_max steps.")
    if use_chrono:
        return GateBias(0.0, int(chrono_tmax))
    b = slider("Update-gate bias (keep memory +)", f"{prefix}_bias", bias_range[0], bias_range[1], default_bias, 0.25,
               container=container, format="%.2f",
               help="Added to the update gate's bias. Positive: the gate stays near 'keep', h_t ≈ h_{t-1}, "
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
    options = list(options)
    labs = _labels_for(options, labels)
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
    _before_widget(key, fix)
    fmt = dict(zip(options, labs)).__getitem__
    value = container.select_slider(label, options, value=default, format_func=fmt, key=key, bind="query-params",
                                    help=help)
    _after_widget(key, value, container, lambda v: None if v == default else fmt(v))
    return value
