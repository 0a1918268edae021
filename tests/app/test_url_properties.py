"""Property: ANY text in ANY link parameter of ANY page gives a working page, never an exception, and a value that is
not valid as it stands is replaced by the nearest valid one with a visible note naming the parameter.

The parameters are found, not listed: each page of app.py is run once at its defaults and once with every switch on
(which shows the controls a switch reveals), and every control lab.controls drew is read from
``lab.controls.REGISTRY``. A new control on a new page is covered without editing this file.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from lab import controls as C
from scripts.serve import app_pages
from tests.app.conftest import exceptions, new_app, warnings_text

PAGES = app_pages()
Found = tuple[dict[str, str], dict[str, C.Control]]   # (link values that reveal the controls, {key: Control})
_FOUND: dict[str, list[Found]] = {}


def run_page(page: str, query: dict):
    """One fresh session opening ``/page?query`` (app.py's navigation, as a browser would)."""
    at = new_app(**query)
    at.switch_page(f"pages/{page}.py")
    return at.run()


def drawn(page: str, query: dict) -> dict[str, C.Control]:
    C.REGISTRY.clear()
    at = run_page(page, query)
    assert not exceptions(at), f"/{page}?{query}: {exceptions(at)}"
    return dict(C.REGISTRY)


def page_controls(page: str) -> list[Found]:
    """The page's controls at its defaults, and those that only appear with every switch on (with the switches)."""
    if page not in _FOUND:
        plain = drawn(page, {})
        switches = {k: "true" for k, c in plain.items() if c.kind == "toggle"}
        more = {k: c for k, c in drawn(page, switches).items() if k not in plain} if switches else {}
        _FOUND[page] = [({}, plain)] + ([(switches, more)] if more else [])
    return _FOUND[page]


NASTY = ["inf", "-inf", "+inf", "Infinity", "1e400", "-1e400", "1e-400", "nan", "NaN", "-nan", "", " ", "0x1F",
         "1e308", "9" * 400, "-0", "0.1e1", "1,5", "true", "None", "[]", "%00", "\x00", "é", "∞", "🙂" * 3, "a" * 3000]
NUMBERS = hs.one_of(hs.floats(allow_nan=True, allow_infinity=True).map(repr),
                    hs.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{x:.17g}"),
                    hs.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str))
VALUES = hs.one_of(hs.sampled_from(NASTY), NUMBERS, hs.text(max_size=40))


def check(page: str, found: Found, values: dict[str, list[str]]) -> None:
    """Open the page with these link values (on top of the context that shows them): no exception; a note for
    each value that is not valid as it stands, on every control the run drew (other values can hide a control:
    a forecast step k exists only once a model is trained)."""
    context, controls = found
    raws = {k: v if controls[k].kind == "choices" else v[-1:] for k, v in values.items()}
    query = {**context, **{k: v if controls[k].kind == "choices" else v[0] for k, v in raws.items()}}
    C.REGISTRY.clear()
    at = run_page(page, query)
    assert not exceptions(at), f"/{page}?{query}: {exceptions(at)}"
    notes = warnings_text(at)
    for key, raw in raws.items():
        if key in C.REGISTRY and C.REGISTRY[key].parse(raw)[1] is not None:
            assert any(f"`{key}=" in n for n in notes), f"/{page}?{key}={raw}: no note; notes: {notes}"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_link_parameters(page):
    assert page_controls(page)[0][1], f"{page}: no URL-linked control found"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("raw", ["inf", "-inf", "1e400", "nan", "abc"])
def test_every_parameter_at_once_with_a_non_finite_or_malformed_value(page, raw):
    """The values of issue 12's crash links (/vanishing?vg_seed=inf, ...), in every parameter of the page at once."""
    for found in page_controls(page):
        check(page, found, {k: [raw] for k in found[1]})


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=hs.data())
def test_any_text_in_any_link_parameter_gives_a_working_page_and_a_note(data):
    page = data.draw(hs.sampled_from(PAGES), label="page")
    found = data.draw(hs.sampled_from(page_controls(page)), label="context")
    chosen = data.draw(hs.lists(hs.sampled_from(sorted(found[1])), min_size=1, max_size=3, unique=True), label="keys")
    check(page, found, {k: data.draw(hs.lists(VALUES, min_size=1, max_size=3), label=k) for k in chosen})
