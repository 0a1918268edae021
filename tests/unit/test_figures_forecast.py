"""lab.figures.forecast: the builders hold the numbers they are given and validate with Plotly."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import series as S
from lab.figures import forecast as FIG
from lab.figures.common import legend_entries, validate_figure
from lab.models import forecast as M


@pytest.fixture(scope="module")
def shown():
    data = S.load("co2")
    s = M.Settings()
    base = M.compute_baselines(data, s.horizon)
    res = M.assemble(data, s, base, M.load_checkpoint()[2])
    return data, s, res


def _checked(fig):
    validate_figure(fig)          # every property valid; the numbers are read from the builder's own figure
    return fig


def _by_role(fig, role):
    return [t for t in fig.data if (t.meta or {}).get("role") == role]


@pytest.fixture(scope="module")
def forecast_fig(shown):
    data, s, res = shown
    ax = M.axes(data, s.horizon)
    n = len(res.train)
    return _checked(FIG.forecast_figure(ax.x[n - ax.shown:n], res.train[-ax.shown:], ax.x[n:], res.test,
                                        M.forecast_chart_data(res), unit="ppm", x_title="date"))


def test_forecast_figure_holds_truth_every_forecast_and_the_ets_interval(shown, forecast_fig):
    data, _, res = shown
    fig = forecast_fig
    np.testing.assert_array_equal(_by_role(fig, "truth")[0].y, data.values[-24:])
    for k in ("naive", "ets", "rnn", "gru", "lstm"):
        np.testing.assert_allclose(_by_role(fig, f"forecast:{k}")[0].y, res.forecasts[k].mean)
    np.testing.assert_allclose(_by_role(fig, "lower")[0].y, res.forecasts["ets"].lower)
    assert list(_by_role(fig, "truth")[0].x) == list(data.dates[-24:])


def test_forecast_figure_has_at_most_four_legend_entries_per_panel_and_names_every_model(forecast_fig):
    fig = forecast_fig
    legends = legend_entries(fig)
    assert legends == {"legend": ["actual values", "Seasonal naive", "ETS (Holt-Winters)"],
                       "legend2": ["actual values", "RNN", "GRU", "LSTM"]}
    panel = {(t.meta["role"], t.yaxis) for t in fig.data}
    assert {("forecast:naive", "y"), ("forecast:ets", "y"), ("lower", "y")} <= panel     # classical + ETS band on top
    assert {("forecast:rnn", "y2"), ("forecast:gru", "y2"), ("forecast:lstm", "y2")} <= panel   # networks below
    assert ("truth", "y") in panel and ("truth", "y2") in panel                          # the truth in both
    assert fig.layout.yaxis2.matches == "y" and fig.layout.xaxis2.matches == "x"        # one value and time axis


def test_series_figure_splits_at_the_held_out_part():
    values = np.arange(10.0)
    fig = _checked(FIG.series_figure(list(range(1, 11)), values, 7, unit="", x_title="step"))
    assert list(_by_role(fig, "train")[0].y) == list(values[:7])
    assert list(_by_role(fig, "test")[0].y) == list(values[6:])
    assert fig.layout.shapes[0].x0 == 8 and fig.layout.shapes[0].x1 == 10


def test_sensitivity_and_gate_figures_hold_the_engine_numbers(shown):
    data, s, res = shown
    views = M.load_checkpoint()[2]
    ins = {k: M.inside(views[k].params, data, s, 1) for k in ("gru", "rnn")}
    back = M.steps_back(s.window)
    fig = _checked(FIG.sensitivity_figure({k: v.sensitivity for k, v in ins.items()}, back,
                                                 labels=M.MODEL_LABELS, step_name="month", forecast_step=1))
    lines = {t.meta["name"]: t for t in fig.data if t.meta["role"] == "line"}
    np.testing.assert_array_equal(lines["GRU"].customdata, ins["gru"].sensitivity)
    assert list(lines["RNN"].x) == back
    z = M.sorted_units(ins["gru"].gates["z"])
    gate = _checked(FIG.gate_figure(z, back, step_name="month"))
    np.testing.assert_array_equal(np.asarray(gate.data[0].z), z.T)
    assert np.all(np.diff(z.mean(axis=0)) <= 1e-12)


def test_curves_figure_draws_each_networks_held_out_error_and_the_baseline(shown):
    _, s, res = shown
    views = M.load_checkpoint()[2]
    fig = _checked(FIG.curves_figure({k: v.history for k, v in views.items()}, labels=M.MODEL_LABELS,
                                            total_steps=s.steps, **M.curve_baseline(res)))
    np.testing.assert_allclose(_by_role(fig, "test_mae:gru")[0].y, views["gru"].history["test_mae"])
    assert fig.layout.shapes[0].y0 == pytest.approx(res.metrics["ets"]["MAE"])


def test_without_trained_networks_the_forecast_chart_is_one_panel_of_the_classical_forecasts(shown):
    data, s, res = shown
    ax = M.axes(data, s.horizon, s.window)
    n = len(res.train)
    classical = {k: v for k, v in M.forecast_chart_data(res).items() if k in M.BASELINES}
    fig = validate_figure(FIG.forecast_figure(ax.x[n - ax.shown:n], res.train[-ax.shown:], ax.x[n:], res.test,
                                              classical, unit=data.unit, x_title=ax.title))
    assert {t.xaxis for t in fig.data} == {"x"} and fig.layout.legend.title.text == "classical:"
    assert [t.meta["role"] for t in fig.data].count("truth") == 1 and fig.layout.height < 600
