"""lab.models.forecast: settings limits, the result and its words (thresholds pinned), the shipped checkpoint."""
from __future__ import annotations

import numpy as np
import pytest

from gru_core import series as S
from lab.models import forecast as M


def _result(mases: dict[str, float]) -> M.Result:
    metrics = {k: dict(MAE=v, RMSE=v, MASE=v) for k, v in mases.items()}
    ranking = tuple(sorted(metrics, key=lambda k: metrics[k]["MASE"]))
    return M.Result(np.zeros(10), np.zeros(4), {}, metrics, {}, ranking)


def test_winner_words_name_the_best_and_compare_the_best_network_with_the_best_classical_model():
    text = M.winner_words(_result(dict(naive=1.4, ets=0.4, gru=0.2, rnn=0.3)), "month")
    assert "held-out months the most accurate forecast is **GRU** (MASE 0.20)" in text
    assert "the GRU, beats the best classical model, ETS (Holt-Winters) (0.20 against 0.40)" in text
    assert "the seasonal naive forecast itself scores 1.40" in text


@pytest.mark.parametrize("gru, verb", [(0.37, "beats"), (0.39, "ties with"), (0.41, "ties with"),
                                       (0.42, "ties with"), (0.43, "loses to")])
def test_beats_ties_or_loses_follows_the_five_percent_threshold(gru, verb):
    assert f"the GRU, {verb} the best classical model" in M.winner_words(_result(dict(ets=0.4, gru=gru)))


def test_close_scores_are_called_about_the_same():
    text = M.winner_words(_result(dict(ets=0.40, gru=0.41, naive=1.0)))
    assert "**ETS (Holt-Winters)** (MASE 0.40), about the same as GRU (0.41)." in text


def test_reach_counts_the_steps_that_hold_ninety_percent_of_the_earlier_dependence():
    sens = np.array([0.0, 0.0, 0.1, 0.0, 0.5, 0.4, 1.0])     # last value left out; 1 back: 0.4, 2 back: 0.5
    assert M.reach(sens) == 2                                 # 0.4 + 0.5 = 0.9 of the 1.0 before the last value
    assert M.reach(sens, share=0.3) == 1 and M.reach(sens, share=0.95) == 4
    assert M.reach(np.array([0.0, 0.0, 1.0])) == 0
    words = M.reach_words({"gru": 14, "rnn": 1}, 12, "month")
    assert "GRU's from the last 14 months" in words and "RNN's from the last 1 month;" not in words
    assert "One season is 12 months" in words


def test_limits_leave_room_for_training_windows():
    lim = M.limits_for(526, 24)
    assert lim["horizon"] == (2, 120) and lim["window"] == (4, 200)
    lim = M.limits_for(100, 10)
    assert lim["horizon"] == (2, 25)
    n_windows = (100 - 10) - lim["window"][1] - 10 + 1
    assert n_windows == M.MIN_WINDOWS


def test_defaults_fit_every_shipped_series():
    for key in S.SHIPPED:
        data = S.load(key)
        d = M.defaults_for(key)
        lim = M.limits_for(len(data.values), d.horizon)
        assert lim["horizon"][0] <= d.horizon <= lim["horizon"][1], key
        assert lim["window"][0] <= d.window <= lim["window"][1], key


def test_shipped_checkpoint_is_the_default_run_on_co2_and_loads_without_pickle():
    got = M.load_checkpoint()
    assert got is not None, "checkpoints/forecast_co2.npz is missing: run scripts/make_forecast_checkpoint.py"
    settings, did, views = got
    data = S.load("co2")
    assert settings == M.Settings() and did == M.data_id(data) and set(views) == set(M.KINDS)
    assert M.pretrained(M.Settings(), data) is not None and M.pretrained(M.Settings(seed=1), data) is None
    res = M.assemble(data, settings, M.compute_baselines(data, settings.horizon), views)
    assert set(res.metrics) == {"naive", "ets", "rnn", "gru", "lstm"}
    assert all(np.isfinite(m["MASE"]) for m in res.metrics.values())
    with np.load(M.CHECKPOINT, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_job_trains_and_its_view_feeds_the_result():
    data = S.synthetic(length=120, period=10)
    s = M.Settings(series="synthetic", horizon=6, window=12, budget=1000, steps=20)
    job = M.ForecastJob(data, s)
    assert job.progress() == 0.0
    job.run(lambda: None)
    views = job.view()
    assert job.progress() == 1.0 and set(views) == set(M.KINDS)
    res = M.assemble(data, s, M.compute_baselines(data, s.horizon), views)
    assert res.parameters["gru"] <= 1000 and len(M.metrics_rows(res)) == 5
    assert M.metrics_markdown(res).count("\n") == 6


def test_the_forecast_chart_shows_the_window_the_networks_read_so_the_held_out_part_keeps_a_third_of_it():
    data = M.load_series("co2")
    ax = M.axes(data, 24, 36)
    assert ax.shown == 36 and 24 / (ax.shown + 24) >= 1 / 3            # on a phone's 250 px plot: 100 px
    assert M.axes(data, 24, 4).shown == 24                              # a short window: still h values of history
    assert M.axes(M.load_series("nile"), 25, 200).shown == len(M.load_series("nile").values) - 25
