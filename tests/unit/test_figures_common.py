"""lab.figures.common: honest log axes (exact zeros and inf/NaN drawn at the floor/ceiling, true values kept),
heatmaps, the base figure and the number words."""
import math

import numpy as np
import pytest

from lab.figures.common import (base_figure, decode, finish_log_axis, log10_safe, log_axis, log_display, log_line,
                                log_heatmap, log_limits, panel_axes, panel_figure, sci, steps_back, validate_figure)
from lab.theme import CELL_COLORS, FONT_SIZE, TEMPLATE_NAME, TICK_SIZE


def test_log_limits_pad_half_a_decade_around_positive_finite_values():
    floor, ceil = log_limits(np.array([1e-12, 0.0, np.inf, 3.0]))
    assert floor == 1e-13 and ceil == 10.0
    assert log_limits(np.array([0.0, np.nan])) == (1e-16, 1.0)


def test_log_limits_are_floats_even_for_huge_ceilings():
    floor, ceil = log_limits(np.array([1e-3, 1e38]))
    assert type(floor) is float and type(ceil) is float and ceil == 1e39   # an int 10**39 breaks orjson


def test_log_display_puts_zeros_at_floor_and_nonfinite_at_ceiling():
    y = np.array([0.5, 0.0, np.inf, np.nan, -np.inf, 1e-5])
    plot, under, over = log_display(y, 1e-8, 10.0)
    assert plot.tolist() == [0.5, 1e-8, 10.0, 10.0, 10.0, 1e-5]
    assert under.tolist() == [False, True, False, False, False, False]
    assert over.tolist() == [False, False, True, True, True, False]


def test_log_line_keeps_true_values_and_marks_underflow_and_overflow():
    y = np.array([1.0, 1e-3, 0.0, 0.0, np.inf])
    floor, ceil = log_limits(y)
    fig = base_figure("t", "k", "norm", log_y=True,
                      data=log_line(np.arange(5), y, name="RNN", color=CELL_COLORS["rnn"], floor=floor, ceil=ceil))
    finish_log_axis(fig, floor, ceil)
    validate_figure(fig)
    line, under, over = fig.data
    assert line.meta["role"] == "line" and line.line.color == CELL_COLORS["rnn"]
    np.testing.assert_array_equal(np.asarray(line.customdata), y)             # the engine's numbers, untouched
    np.testing.assert_array_equal(np.asarray(line.y), [1.0, 1e-3, floor, floor, ceil])  # no gaps
    assert under.meta["role"] == "underflow" and list(under.x) == [2, 3] and list(under.y) == [floor, floor]
    assert over.meta["role"] == "overflow" and list(over.x) == [4] and list(over.y) == [ceil]
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.range == (math.log10(floor), math.log10(ceil))
    texts = [a.text for a in fig.layout.annotations]
    assert any("underflow" in t for t in texts) and any("overflow" in t for t in texts)


def test_finite_line_has_no_extra_markers_or_guide_lines():
    y = np.array([1.0, 0.1, 0.01])
    floor, ceil = log_limits(y)
    fig = base_figure(None, "k", "norm", log_y=True,
                      data=log_line(np.arange(3), y, name="GRU", color=CELL_COLORS["gru"], floor=floor, ceil=ceil))
    finish_log_axis(fig, floor, ceil)
    assert len(fig.data) == 1 and not fig.layout.annotations


def test_small_gradients_survive_serialisation_as_float64():
    """float32 would flush 1e-60 to 0 and show a fake underflow."""
    y = np.array([1.0, 1e-60, 1e-200])
    floor, ceil = log_limits(y)
    fig = base_figure(None, "k", "norm", log_y=True,
                      data=log_line(np.arange(3), y, name="RNN", color="#000000", floor=floor, ceil=ceil))
    js = fig.to_plotly_json()
    np.testing.assert_array_equal(decode(js["data"][0]["y"]), y)


def test_base_figure_uses_lab_template_and_projector_sizes():
    fig = base_figure("Title", "x", "y")
    assert fig.layout.template.layout.colorway[0] == "#0072B2"
    assert fig.layout.font.size == FONT_SIZE >= 16
    assert fig.layout.xaxis.tickfont.size == TICK_SIZE >= 16
    assert fig.layout.title.text == "Title"
    import plotly.io as pio
    assert TEMPLATE_NAME in pio.templates


def test_log_heatmap_holds_log10_of_values_with_honest_extremes():
    z = np.array([[1.0, 1e-4], [0.0, np.inf]])
    hm = log_heatmap(z, floor=1e-6, ceil=10.0)
    np.testing.assert_allclose(np.asarray(hm.z), [[0.0, -4.0], [-6.0, 1.0]])
    assert hm.zmin == -6 and hm.zmax == 1
    assert hm.text[1][0] == "exactly 0 (underflow)" and hm.text[1][1] == "inf (overflow)"
    np.testing.assert_array_equal(log10_safe(np.array([-1e-3]), 1e-6, 1.0), [-3.0])


@pytest.mark.parametrize("v, words", [(0.3, "0.3"), (1e-12, "1e-12"), (3.456e-12, "3.5e-12"), (0.0, "exactly 0"),
                                      (float("inf"), "inf (overflow)"), (float("nan"), "NaN (overflow)"),
                                      (12.0, "12")])
def test_sci_numbers_in_words(v, words):
    assert sci(v) == words


def test_steps_back_counts_distance_from_the_last_step():
    assert steps_back(4).tolist() == [3, 2, 1, 0]


def test_validate_figure_catches_a_misspelt_property():
    import plotly.graph_objects as go
    fig = go.Figure(_validate=False, layout=dict(xaxis=dict(tickfnot=dict(size=3))))  # accepted silently...
    with pytest.raises(ValueError, match="tickfnot"):                                  # ...but not here
        validate_figure(fig)


def test_log_axis_on_a_panel_marks_that_panel():
    traces = log_line(np.arange(3), np.array([1.0, 0.0, np.inf]), name="a", color="#000000", floor=1e-3, ceil=10.0,
                      **panel_axes(2))
    keys, shapes, notes = log_axis(1e-3, 10.0, traces, axis="2")
    fig = panel_figure(2, data=traces, layout=dict(yaxis2=keys, shapes=shapes, annotations=notes))
    validate_figure(fig)
    assert fig.layout.yaxis2.type == "log" and fig.layout.yaxis.type != "log"
    assert list(fig.layout.yaxis2.range) == [-3.0, 1.0]
    assert {s.yref for s in fig.layout.shapes} == {"y2"} and len(notes) == 2   # floor and ceiling both labelled


def test_log_axis_adds_no_guides_when_nothing_underflows_or_overflows():
    traces = log_line(np.arange(3), np.array([1.0, 0.5, 2.0]), name="a", color="#000000", floor=1e-3, ceil=10.0)
    assert log_axis(1e-3, 10.0, traces)[1:] == ([], [])


def test_projector_style_enlarges_every_legend_of_a_stacked_figure():
    import plotly.graph_objects as go

    from lab import present
    from lab.theme import LEGEND_SIZE, PROJECTOR_TEXT_SCALE

    fig = go.Figure(layout=dict(legend=dict(font=dict(size=LEGEND_SIZE)), legend2=dict(font=dict(size=LEGEND_SIZE))))
    out = present.projector_style(fig)
    want = round(LEGEND_SIZE * PROJECTOR_TEXT_SCALE)
    assert out.layout.legend.font.size == want and out.layout.legend2.font.size == want
    assert fig.layout.legend2.font.size == LEGEND_SIZE          # the page's own figure is left as it was
