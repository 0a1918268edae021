"""gru_core.series: the shipped series, uploads and their messages, windows, baselines against statsmodels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gru_core import series as S


@pytest.mark.parametrize("key, length, first, period", [
    ("co2", 526, 316.1, 12), ("co2_weekly", 2284, 316.1, 52), ("sunspots", 309, 5.0, 11),
    ("elnino", 732, 23.11, 12), ("nile", 100, 1120.0, 1), ("synthetic", 400, None, 20)])
def test_shipped_series_load_with_known_length_first_value_and_no_gaps(key, length, first, period):
    s = S.load(key)
    assert len(s.values) == length and s.period == period
    assert np.all(np.isfinite(s.values))
    if first is not None:
        assert s.values[0] == pytest.approx(first)
    if s.dates is not None:
        assert len(s.dates) == length


def test_sunspots_last_value_and_co2_weekly_gaps_are_interpolated_between_neighbours():
    assert S.load("sunspots").values[-1] == pytest.approx(2.9)
    from statsmodels.datasets import co2
    raw = co2.load_pandas().data["co2"].to_numpy()
    filled = S.load("co2_weekly")
    i = int(np.flatnonzero(np.isnan(raw))[0])
    assert np.isnan(raw[i]) and not np.isnan(raw[i - 1])
    assert min(raw[i - 1], filled.values[i + 1]) <= filled.values[i] <= max(raw[i - 1], filled.values[i + 1])
    assert "59 of 2284 weeks" in filled.notes


def test_co2_monthly_is_the_mean_of_each_months_weeks():
    from statsmodels.datasets import co2
    weekly = co2.load_pandas().data["co2"]
    march_1958 = weekly["1958-03"].mean()
    assert S.load("co2").values[0] == pytest.approx(march_1958)


def test_unknown_series_key_names_the_allowed_ones():
    with pytest.raises(S.SeriesError, match="allowed: one of co2"):
        S.load("dow_jones")


def _csv(rows: list[str], header: str = "date,value") -> bytes:
    return ("\n".join([header] + rows) + "\n").encode()


def _good_rows(n: int = 60) -> list[str]:
    return [f"2000-{1 + i // 28:02d}-{1 + i % 28:02d},{np.sin(i / 3):.4f}" for i in range(n)]


def test_good_upload_reads_column_dates_and_guesses_daily_period():
    t = S.read_csv(_csv(_good_rows()))
    assert t.columns == ("date", "value") and S.numeric_columns(t) == ("value",)
    s = S.from_table(t, "value", "date")
    assert len(s.values) == 60 and s.dates[0] == "2000-01-01" and s.period == 7
    assert s.values[1] == pytest.approx(np.sin(1 / 3), abs=1e-4)


def test_upload_with_few_gaps_is_interpolated_and_says_so_and_empty_ends_are_dropped():
    rows = _good_rows()
    rows[10] = rows[10].split(",")[0] + ","
    rows[0] = rows[0].split(",")[0] + ","
    s = S.from_table(S.read_csv(_csv(rows)), "value", "date")
    assert len(s.values) == 59 and "1 missing values filled" in s.notes and "dropped (1)" in s.notes
    assert s.dates[0] == "2000-01-02"


@pytest.mark.parametrize("data, message", [
    (b"x\n" + b"1\n" * 600_000, "MB; allowed: at most 1 MB"),
    (b"v\n" + b"1\n" * 100_001, "more than 100,000 rows"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (b"   \n", "empty"),
    (b"value\n", "no data rows"),
])
def test_bad_files_say_what_is_wrong_and_what_is_allowed(data, message):
    with pytest.raises(S.SeriesError, match=message) as e:
        S.read_csv(data)
    assert "allowed" in str(e.value) or "empty" in str(e.value)


def test_text_in_a_numeric_column_names_the_row_and_value():
    rows = _good_rows()
    rows[4] = rows[4].split(",")[0] + ",abc"
    with pytest.raises(S.SeriesError, match=r"row 6 holds 'abc'.*Allowed: numbers"):
        S.from_table(S.read_csv(_csv(rows)), "value")


def test_too_many_missing_values_too_short_and_infinite_values_are_refused():
    rows = [r.split(",")[0] + ("," if i % 3 == 1 else "," + r.split(",")[1]) for i, r in enumerate(_good_rows())]
    with pytest.raises(S.SeriesError, match=r"missing values of .*allowed: at most 5%"):
        S.from_table(S.read_csv(_csv(rows)), "value")
    with pytest.raises(S.SeriesError, match=r"has 10 values; allowed: at least 40"):
        S.from_table(S.read_csv(_csv(_good_rows(10))), "value")
    rows = _good_rows()
    rows[3] = rows[3].split(",")[0] + ",inf"
    with pytest.raises(S.SeriesError, match="infinite value in row 5"):
        S.from_table(S.read_csv(_csv(rows)), "value")


def test_bad_or_decreasing_dates_and_a_missing_column_are_refused():
    rows = _good_rows()
    rows[7] = "not a date," + rows[7].split(",")[1]
    with pytest.raises(S.SeriesError, match="not a date in row 9"):
        S.from_table(S.read_csv(_csv(rows)), "value", "date")
    with pytest.raises(S.SeriesError, match="do not increase"):
        S.from_table(S.read_csv(_csv(_good_rows()[::-1])), "value", "date")
    with pytest.raises(S.SeriesError, match="not in the file"):
        S.from_table(S.read_csv(_csv(_good_rows())), "volume")


def test_semicolon_separated_file_without_dates_reads():
    data = ("a;b\n" + "".join(f"{i};{i * 2}\n" for i in range(50))).encode()
    s = S.from_table(S.read_csv(data), "b", period=5)
    assert s.values[-1] == 98 and s.dates is None and s.period == 5


def test_guess_period_from_date_spacing():
    assert S.guess_period(tuple(pd.date_range("2000-01-01", periods=30, freq="MS").strftime("%Y-%m-%d"))) == 12
    assert S.guess_period(tuple(pd.date_range("2000-01-01", periods=30, freq="W").strftime("%Y-%m-%d"))) == 52
    assert S.guess_period(None) == 1


def test_windows_are_relative_to_their_last_value_and_cover_the_training_part():
    train = np.arange(20, dtype=float) ** 1.5
    w = S.windows(train, window=5, horizon=3, scale=2.0)
    assert w.inputs.shape == (13, 5) and w.targets.shape == (13, 3)
    np.testing.assert_allclose(w.inputs[0], (train[:5] - train[4]) / 2.0)
    np.testing.assert_allclose(w.targets[-1], (train[-3:] - train[-4]) / 2.0)
    with pytest.raises(S.SeriesError, match="longer than the training part"):
        S.windows(train, window=15, horizon=8)


def test_seasonal_naive_equals_statsmodels_seasonal_random_walk():
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    train = S.load("co2").values[:-24]
    ours = S.seasonal_naive(train, 24, 12).mean
    ref = SARIMAX(pd.Series(train), order=(0, 0, 0), seasonal_order=(0, 1, 0, 12)).fit(disp=False)
    np.testing.assert_allclose(ours, ref.get_forecast(24).predicted_mean.to_numpy(), atol=1e-9)
    np.testing.assert_array_equal(S.seasonal_naive(np.array([1.0, 2.0, 3.0]), 2, 1).mean, [3.0, 3.0])


def test_ets_is_statsmodels_own_fit_with_its_interval():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    train = S.load("co2").values[:-24]
    ours = S.ets(train, 24, 12)
    ref = ETSModel(pd.Series(train), error="add", trend="add", damped_trend=True, seasonal="add",
                   seasonal_periods=12).fit(disp=False)
    frame = ref.get_prediction(start=len(train), end=len(train) + 23).summary_frame(alpha=0.05)
    np.testing.assert_allclose(ours.mean, frame["mean"], rtol=1e-10)
    np.testing.assert_allclose(ours.lower, frame["pi_lower"], rtol=1e-10)
    assert np.all(ours.lower < ours.mean) and np.all(ours.mean < ours.upper)


def test_metrics_match_statsmodels_and_mase_by_hand():
    from statsmodels.tools.eval_measures import meanabs, rmse
    truth, fc = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    train = np.array([0.0, 1.0, 3.0, 2.0])                  # m = 1: in-sample naive MAE = (1 + 2 + 1) / 3
    m = S.metrics(truth, fc, train, 1)
    assert m["MAE"] == pytest.approx(meanabs(truth, fc)) and m["RMSE"] == pytest.approx(rmse(truth, fc))
    assert m["MASE"] == pytest.approx(0.5 / (4 / 3))
    assert S.mase_scale(np.array([1.0, 5.0, 2.0, 7.0]), 2) == pytest.approx(1.5)


def test_split_holds_out_the_last_horizon_values():
    train, test = S.split(np.arange(10.0), 3)
    assert list(test) == [7.0, 8.0, 9.0] and len(train) == 7
    with pytest.raises(S.SeriesError):
        S.split(np.arange(10.0), 10)


def test_suggested_columns_take_the_date_like_column_for_dates_and_the_next_numeric_for_values():
    t = S.read_csv(b"year,rain,label\n" + b"".join(f"{1900 + i},{i % 5},x\n".encode() for i in range(50)))
    assert S.suggest_columns(t) == ("rain", "year")
    t = S.read_csv(b"when,v\n" + b"".join(f"2000-01-{1 + i:02d},{i}\n".encode() for i in range(28)))
    assert S.suggest_columns(t) == ("v", "when")
    t = S.read_csv(b"a,b\n1,2\n3,4\n")
    assert S.suggest_columns(t) == ("a", None)
