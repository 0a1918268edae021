"""Figures of the step-through page hold the engine's numbers: the cell diagram's parts carry (and are coloured by)
the values of the chosen step and unit; the context and convention charts hold the recorded series."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from plotly.colors import sample_colorscale

import gru_core
from lab import equations as E
from lab import inside_gru as G
from lab.figures import stepper as S

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def run():
    cell = gru_core.make_cell("gru", 1, 3, seed=0)
    return G.run(cell, gru_core.signal("sine", 20, 1, period=12.0))


def _terms(run, t=6, j=1, mix="torch", reset="after"):
    return E.step_terms(run.params, run.x[t - 1], run.h_prev(t), j, t=t, mix=mix, reset=reset)


def _parts(svg):
    """(values, fill colours) of the diagram's parts, read from the SVG's elements (not from diagram_values)."""
    root = ET.fromstring(svg)
    parts = [g for g in root.iter(f"{SVG}g") if g.get("class") == "part"]
    return ({g.get("data-key"): float(g.get("data-value")) for g in parts},
            {g.get("data-key"): g.find(f"{SVG}circle").get("fill") for g in parts})


def test_diagram_parts_hold_the_engine_values_of_the_step(run):
    t, j = 6, 1
    fig = S.cell_diagram(_terms(run, t, j))
    values, _ = _parts(fig)
    assert values["r"] == pytest.approx(run.r[t - 1, j], abs=1e-14)
    assert values["z"] == pytest.approx(run.z[t - 1, j], abs=1e-14)
    assert values["n"] == pytest.approx(run.n[t - 1, j], abs=1e-14)
    assert values["h"] == pytest.approx(run.h[t - 1, j], abs=1e-14)
    assert values["h_prev"] == pytest.approx(run.h[t - 2, j], abs=1e-15)
    assert values["x"] == pytest.approx(run.x[t - 1, 0])
    z, hp, n = run.z[t - 1, j], run.h[t - 2, j], run.n[t - 1, j]
    assert values["keep"] == pytest.approx(z * hp, abs=1e-14)             # PyTorch: z * h_{t-1}
    assert values["write"] == pytest.approx((1 - z) * n, abs=1e-14)        # PyTorch: (1 - z) * n
    assert values["one_minus"] == pytest.approx(1 - z, abs=1e-14)
    assert f"step t = {t}" in fig and f"unit {j + 1}" in fig          # the title
    assert S.diagram_values(fig) == _parts(fig)


def test_diagram_colours_follow_the_values(run):
    s = _terms(run)
    _, colors = _parts(S.cell_diagram(s))
    assert colors["z"] == sample_colorscale(S.GATE_SCALE, [s.z])[0]
    assert colors["r"] == sample_colorscale(S.GATE_SCALE, [s.r])[0]
    assert colors["h"] == sample_colorscale(S.STATE_SCALE, [(s.h + 1) / 2])[0]
    assert S.gate_color(1.0) == sample_colorscale(S.GATE_SCALE, [1.0])[0]
    assert S.gate_color(2.0) == S.gate_color(1.0) and S.state_color(-5.0) == S.state_color(-1.0)   # clipped
    assert S.gate_color(float("nan")) == S.NEUTRAL


def test_diagram_changes_with_the_step(run):
    a, _ = _parts(S.cell_diagram(_terms(run, t=3)))
    b, _ = _parts(S.cell_diagram(_terms(run, t=4)))
    assert a["h"] == pytest.approx(b["h_prev"], abs=1e-15)           # h_3 becomes the h_{t-1} of step 4
    assert a["z"] != b["z"]


def test_wiki_diagram_moves_one_minus_onto_the_memory_line(run):
    cell = G.relabel_mix(gru_core.make_cell("gru", 1, 3, seed=0), "wiki")
    wrun = G.run(cell, run.x)
    s = _terms(wrun, mix="wiki")
    values, _ = _parts(S.cell_diagram(s))
    assert values["keep"] == pytest.approx((1 - s.z) * s.h_prev, abs=1e-15)
    assert values["write"] == pytest.approx(s.z * s.n, abs=1e-15)
    wires = {w.name for w in S.diagram_wires(s)}
    assert {"one_minus→keep", "z→write"} <= wires and "z→keep" not in wires
    torch_wires = {w.name for w in S.diagram_wires(_terms(run))}
    assert {"z→keep", "one_minus→write"} <= torch_wires
    # the same model: the memory line carries the same value in both conventions
    assert values["keep"] == pytest.approx(_parts(S.cell_diagram(_terms(run)))[0]["keep"], abs=1e-14)


def test_diagram_reset_node_shows_where_r_acts(run):
    after = _terms(run, reset="after")
    before = E.step_terms(run.params, run.x[5], run.h_prev(6), 1, t=6, reset="before")
    na = S.diagram_nodes(after)["reset"]
    nb = S.diagram_nodes(before)["reset"]
    assert "W<sub>hn</sub>" in na.label and na.value == pytest.approx(after.r * (after.uh_n + after.b_hn))
    assert nb.label.startswith("r·h") and nb.value == pytest.approx(before.r * before.h_prev)


def test_diagram_with_vector_input_lists_it_and_stays_neutral():
    cell = gru_core.make_cell("gru", 3, 2, seed=1)
    r = G.run(cell, gru_core.signal("tokens", 5, 3))
    node = S.diagram_nodes(E.step_terms(r.params, r.x[1], r.h_prev(2), 0, t=2))["x"]
    assert node.scale == "neutral" and node.label.count(",") == 2


def test_step_context_holds_the_unit_series_and_marks_the_step(run):
    t, j = 7, 2
    fig = S.step_context(run.x, run.r[:, j], run.z[:, j], run.n[:, j], run.h[:, j], t, unit=j)
    by_name = {tr.name: tr for tr in fig.data}
    np.testing.assert_array_equal(by_name["h<sub>t</sub>"].y, run.h[:, j])
    np.testing.assert_array_equal(by_name["z<sub>t</sub>"].y, run.z[:, j])
    np.testing.assert_array_equal(by_name["x<sub>t</sub>"].y, run.x[:, 0])
    marker = by_name[f"step {t}"]
    assert list(marker.x) == [t] * 4
    np.testing.assert_allclose(marker.y, [run.r[t - 1, j], run.z[t - 1, j], run.n[t - 1, j], run.h[t - 1, j]])


def test_convention_figure_overlays_equal_mixes(run):
    cell = gru_core.make_cell("gru", 1, 3, seed=0)
    runs = G.convention_runs(cell, run.x)
    fig = S.convention_figure({k: v.h[:, 0] for k, v in runs.items()}, {k: v.z[:, 0] for k, v in runs.items()},
                              3, unit=0)
    h_lines = {tr.name: np.asarray(tr.y) for tr in fig.data if tr.xaxis == "x"}
    z_lines = {tr.name: np.asarray(tr.y) for tr in fig.data if tr.xaxis == "x2"}
    lab = S.CONVENTION_LABELS
    np.testing.assert_allclose(h_lines[lab[("torch", "after")]], h_lines[lab[("wiki", "after")]], atol=1e-14)
    np.testing.assert_allclose(z_lines[lab[("wiki", "after")]], 1 - z_lines[lab[("torch", "after")]], atol=1e-14)
    assert np.max(np.abs(h_lines[lab[("torch", "after")]] - h_lines[lab[("torch", "before")]])) > 1e-3


def test_every_stepper_chart_is_valid_plotly_with_no_legend_under_the_axes(run):
    from lab.figures.common import validate_figure
    runs = G.convention_runs(gru_core.make_cell("gru", 1, 3, seed=0), run.x)
    figs = [S.step_context(run.x, run.r[:, 0], run.z[:, 0], run.n[:, 0], run.h[:, 0], 4, unit=0),
            S.convention_figure({k: v.h[:, 0] for k, v in runs.items()}, {k: v.z[:, 0] for k, v in runs.items()},
                                4, unit=0)]
    for fig in figs:
        validate_figure(fig)
        assert fig.layout.legend.y is None or fig.layout.legend.y >= 1.0     # never on the "step t" title


@pytest.mark.parametrize("mix,reset,inputs", [("torch", "after", 1), ("wiki", "before", 4)])
def test_diagram_is_well_formed_svg_with_every_label_inside_and_readable(mix, reset, inputs):
    cell = gru_core.make_cell("gru", inputs, 2, seed=1)
    r = G.run(cell, gru_core.signal("noise", 5, inputs, seed=2))
    svg = S.cell_diagram(E.step_terms(r.params, r.x[1], r.h_prev(2), 0, t=2, mix=mix, reset=reset))
    root = ET.fromstring(svg)                                     # well-formed (labels escaped)
    w, h = S.DIAGRAM_SIZE
    assert root.get("viewBox") == f"0 0 {w} {h}"
    texts = list(root.iter(f"{SVG}text"))
    assert min(float(t.get("font-size")) for t in texts) >= 17    # px at its own width (the page shows it at 900 px)
    for t in texts:                                               # every text anchor point inside the picture
        for el in [t, *t.iter(f"{SVG}tspan")]:
            if el.get("x") is not None:
                assert 0 <= float(el.get("x")) <= w, ET.tostring(t)
        assert 0 < float(t.get("y")) < h, ET.tostring(t)
    assert "<sub>" not in svg and "tspan" in svg                  # subscripts typeset, not raw HTML


@pytest.mark.parametrize("mix,reset,inputs", [("torch", "after", 1), ("wiki", "before", 4), ("wiki", "after", 2)])
def test_narrow_diagram_holds_the_same_parts_inside_its_box_with_larger_text(mix, reset, inputs):
    """The phone layout: every part with the same value and colour as the wide one, every text anchor inside its
    NARROW_SIZE box, and its text at least 14 px at its own 425 px width (>= 11 px at a phone's ~354 px)."""
    cell = gru_core.make_cell("gru", inputs, 2, seed=1)
    if mix == "wiki":
        cell = G.relabel_mix(cell, "wiki")
    r = G.run(cell, gru_core.signal("noise", 5, inputs, seed=2))
    s = E.step_terms(r.params, r.x[1], r.h_prev(2), 0, t=2, mix=mix, reset=reset)
    wide, narrow = S.cell_diagram(s), S.cell_diagram(s, narrow=True)
    np.testing.assert_equal(_parts(narrow), _parts(wide))     # (NaN: a vector input has no one value)
    root = ET.fromstring(narrow)
    w, h = S.NARROW_SIZE
    assert root.get("viewBox") == f"0 0 {w} {h}"
    for t in root.iter(f"{SVG}text"):
        size = float(t.get("font-size"))
        subs = [float(sp.get("font-size").rstrip("%")) / 100 for sp in t.iter(f"{SVG}tspan") if sp.get("font-size")]
        assert size * min(subs, default=1.0) >= 12.8 and size >= 16, ET.tostring(t)
        for el in [t, *t.iter(f"{SVG}tspan")]:
            if el.get("x") is not None:
                assert 0 <= float(el.get("x")) <= w, ET.tostring(t)
        assert 0 < float(t.get("y")) < h, ET.tostring(t)
    for c in root.iter(f"{SVG}circle"):                      # every part's circle inside the box
        rad = float(c.get("r"))
        assert rad <= float(c.get("cx")) <= w - rad and rad <= float(c.get("cy")) <= h - rad
