"""Presenter mode (``?present=1``) in AppTest: every control a page draws in its body (not the sidebar) sits in a
collapsed expander (``lab.present.controls``), on every page and all the way down, not only in the first screen; on
an ordinary link the same controls stand in the open, with no expander added. What stays open on purpose: the
header's "Share with the class", the "Predict first" choices, Reveal buttons and the lesson's Back / Next."""
from __future__ import annotations

import pytest

from lab import present
from scripts.serve import app_pages
from tests.app.conftest import exceptions, run_app

WIDGETS = {"audio_input", "button", "button_group", "camera_input", "chat_input", "checkbox", "color_picker",
           "data_editor", "date_input", "datetime_input", "download_button", "feedback", "file_uploader", "menu_button",
           "multiselect", "number_input", "pills", "radio", "segmented_control", "select_slider", "selectbox", "slider",
           "text_area", "text_input", "time_input", "toggle"}
KEPT = {"lab_share", "lesson_back", "lesson_next"}


def kept_open(node) -> bool:
    label = str(getattr(node, "label", ""))
    return (getattr(node, "key", None) in KEPT or (node.type == "radio" and "Predict first" in label)
            or (node.type == "button" and label.startswith("Reveal")))


def in_the_open(block) -> list[str]:
    """Keys (or labels) of the widgets under ``block`` outside any collapsed expander, minus ``kept_open`` ones."""
    out = []
    for node in block.children.values():
        if getattr(node, "children", None) is not None:
            if not (node.type == "expander" and not node.proto.expanded):
                out += in_the_open(node)
        elif node.type in WIDGETS and not kept_open(node):
            out.append(getattr(node, "key", None) or str(getattr(node, "label", node.type)))
    return out


def expander_labels(block) -> list[str]:
    return [e.label for e in block.get("expander")]


@pytest.mark.parametrize("page", app_pages())
def test_presenter_mode_puts_every_body_control_in_a_collapsed_expander(page):
    at = run_app(page, present="1")
    assert not exceptions(at), exceptions(at)
    assert in_the_open(at.main) == []


@pytest.mark.parametrize("page", ["home", "step_through", "gate_explorer", "lesson"])
def test_an_ordinary_link_shows_the_same_controls_in_the_open(page):
    at = run_app(page)
    assert not exceptions(at), exceptions(at)
    assert present.CONTROLS_LABEL not in expander_labels(at.main)
    assert in_the_open(at.main)          # the body controls are there, not tucked away
