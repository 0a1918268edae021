"""Time series for forecasting: shipped real series, a synthetic one, uploaded CSVs; the train/test split, sliding
windows, classical baselines (seasonal naive, ETS) and the metrics MAE, RMSE, MASE. No Streamlit, no threads.

    import gru_core.series as S
    s = S.load("co2")                          # Series: values (N,), dates, period m, notes on how gaps were handled
    train, test = S.split(s.values, horizon=24)
    w = S.windows(train, window=36, horizon=24)    # Windows: inputs (N_w, W), targets (N_w, h), level-relative
    sn = S.seasonal_naive(train, 24, s.period)     # Forecast: mean (h,), lower / upper (h,) or None
    ets = S.ets(train, 24, s.period)               # statsmodels' ETSModel, damped additive trend, 95% interval
    S.metrics(test, ets.mean, train, s.period)     # {"MAE": ..., "RMSE": ..., "MASE": ...}

Real series ship inside statsmodels (no download): Mauna Loa CO2 (weekly 1958-2001; 59 weeks missing), yearly
sunspots 1700-2008, the Nile's yearly flow 1871-1970, El Nino sea surface temperatures (monthly 1950-2010).
Every bad upload raises `SeriesError` with a message saying what is wrong and what is allowed.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

MAX_UPLOAD_BYTES = 1_000_000
MAX_ROWS = 100_000
MIN_LENGTH = 40                 # shortest series the page trains on (windows + a held-out part)
MAX_GAP_SHARE = 0.05            # an upload may have at most 5% missing values inside it (filled by interpolation)
ETS_MAX_POINTS = 3000           # ETS is fitted on at most the last 3000 training points (it takes ~20 s at 100k)


class SeriesError(ValueError):
    """A series that cannot be used; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class Series:
    """One univariate series. values (N,) float64, finite; dates (N,) ISO date strings or None (then steps are
    numbered); period: the seasonal period m (1 = none); notes: how the raw data was turned into these values."""
    key: str
    title: str
    values: np.ndarray = field(repr=False)
    dates: tuple[str, ...] | None = field(repr=False)
    period: int
    unit: str
    step_name: str
    notes: str = ""


# ---------------------------------------------------------------------------------------------------------------
# Shipped series

def _co2_frame():
    from statsmodels.datasets import co2
    return co2.load_pandas().data["co2"]


def _co2_monthly() -> Series:
    weekly = _co2_frame()
    monthly = weekly.resample("MS").mean()
    empty = int(monthly.isna().sum())
    values = monthly.interpolate(limit_area="inside").to_numpy(dtype=float)
    notes = (f"Weekly measurements averaged per month ({int(weekly.isna().sum())} of {len(weekly)} weeks have no "
             f"measurement; {empty} months had none at all and are filled by straight-line interpolation).")
    return Series("co2", "Mauna Loa CO₂, monthly (1958-2001)", values, _iso(monthly.index), 12, "ppm", "month",
                  notes)


def _co2_weekly() -> Series:
    weekly = _co2_frame()
    missing = int(weekly.isna().sum())
    values = weekly.interpolate(limit_area="inside").to_numpy(dtype=float)
    notes = (f"{missing} of {len(weekly)} weeks have no measurement; they are filled by straight-line "
             "interpolation between the neighbouring weeks. The seasonal period is taken as 52 weeks.")
    return Series("co2_weekly", "Mauna Loa CO₂, weekly (1958-2001)", values, _iso(weekly.index), 52, "ppm",
                  "week", notes)


def _sunspots() -> Series:
    from statsmodels.datasets import sunspots
    df = sunspots.load_pandas().data
    years = tuple(f"{int(y)}" for y in df["YEAR"])
    return Series("sunspots", "Sunspots, yearly (1700-2008)", df["SUNACTIVITY"].to_numpy(dtype=float), years, 11,
                  "sunspot number", "year", "The solar cycle is about 11 years long but not exactly: the seasonal "
                  "period is taken as 11.")


def _nile() -> Series:
    from statsmodels.datasets import nile
    df = nile.load_pandas().data
    years = tuple(f"{int(y)}" for y in df["year"])
    return Series("nile", "Nile flow at Aswan, yearly (1871-1970)", df["volume"].to_numpy(dtype=float), years, 1,
                  "10⁸ m³", "year", "No seasonality (period 1): the seasonal naive forecast is the last value.")


def _elnino() -> Series:
    from statsmodels.datasets import elnino
    df = elnino.load_pandas().data
    months = df.columns[1:]
    values = df[months].to_numpy(dtype=float).ravel()
    dates = tuple(f"{int(y)}-{m:02d}" for y in df["YEAR"] for m in range(1, 13))
    return Series("elnino", "El Niño sea surface temperature, monthly (1950-2010)", values, dates, 12, "°C",
                  "month", "One row per year in the source, read month by month.")


def synthetic(length: int = 400, period: int = 20, seed: int = 0) -> Series:
    """A known signal: a slow trend, a seasonal sine of `period` steps, a slower second sine, and noise (sd 0.2)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=float)
    values = 0.004 * t + np.sin(2 * np.pi * t / period) + 0.5 * np.sin(2 * np.pi * t / (3.7 * period)) \
        + 0.2 * rng.standard_normal(length)
    return Series("synthetic", "Synthetic: trend + two cycles + noise", values, None, period, "", "step",
                  f"Made here from seed {seed}: 0.004·t + sin(2πt/{period}) + 0.5·sin(2πt/{3.7 * period:g}) "
                  "+ noise of standard deviation 0.2.")


LOADERS = {"co2": _co2_monthly, "co2_weekly": _co2_weekly, "sunspots": _sunspots, "elnino": _elnino,
           "nile": _nile, "synthetic": synthetic}
SHIPPED = tuple(LOADERS)


def load(key: str) -> Series:
    """A shipped series by key: one of SHIPPED."""
    if key not in LOADERS:
        raise SeriesError(f"series: got {key!r}; allowed: one of {', '.join(SHIPPED)}")
    return LOADERS[key]()


def _iso(index) -> tuple[str, ...]:
    return tuple(d.strftime("%Y-%m-%d") for d in index)


# ---------------------------------------------------------------------------------------------------------------
# Uploaded CSV files

@dataclass(frozen=True)
class Table:
    """A parsed upload: column names, every cell as text (a pandas DataFrame of str), the number of rows."""
    columns: tuple[str, ...]
    frame: object = field(repr=False)   # the pandas DataFrame of strings
    rows: int


def read_csv(data: bytes) -> Table:
    """Parse uploaded bytes as CSV (comma, semicolon or tab separated; a header row). Raises SeriesError."""
    import pandas as pd
    if len(data) > MAX_UPLOAD_BYTES:
        raise SeriesError(f"The file is {len(data) / 1e6:.1f} MB; allowed: at most {MAX_UPLOAD_BYTES / 1e6:g} MB "
                          f"and {MAX_ROWS:,} rows.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SeriesError("The file is not UTF-8 text; allowed: a CSV text file (UTF-8) with a header row.") from None
    if not text.strip():
        raise SeriesError("The file is empty; allowed: a CSV file with a header row and one value per row.")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=None, engine="python", dtype=str, nrows=MAX_ROWS + 1,
                            skip_blank_lines=True, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, TypeError) as e:
        raise SeriesError(f"The file could not be read as CSV ({str(e).splitlines()[0][:120]}); allowed: comma-, "
                          "semicolon- or tab-separated values with a header row.") from None
    if len(frame) > MAX_ROWS:
        raise SeriesError(f"The file has more than {MAX_ROWS:,} rows; allowed: at most {MAX_ROWS:,} rows.")
    if frame.shape[1] == 0 or len(frame) == 0:
        raise SeriesError("The file has a header but no data rows; allowed: one value per row under the header.")
    frame.columns = [str(c).strip() or f"column {i + 1}" for i, c in enumerate(frame.columns)]
    return Table(tuple(frame.columns), frame, len(frame))


def numeric_columns(table: Table) -> tuple[str, ...]:
    """Columns where most cells (at least 90% of the non-empty ones) read as numbers."""
    out = []
    for c in table.columns:
        raw = table.frame[c].str.strip()
        filled = raw[raw != ""]
        if len(filled) and _as_numbers(filled).notna().mean() >= 0.9:
            out.append(c)
    return tuple(out)


DATE_WORDS = ("date", "time", "year", "month", "week", "day", "period")


def suggest_columns(table: Table) -> tuple[str | None, str | None]:
    """(value column, date column) to offer first: the date column is the first whose name says so (date, year,
    ...) or whose cells all read as dates; the value column is the first numeric column that is not it."""
    import pandas as pd
    date = next((c for c in table.columns if any(w in c.lower() for w in DATE_WORDS)), None)
    numeric = numeric_columns(table)
    if date is None:
        for c in table.columns:
            head = table.frame[c].head(20).str.strip()
            if c not in numeric and pd.to_datetime(head, errors="coerce", format="mixed").notna().all():
                date = c
                break
    value = next((c for c in numeric if c != date), None)
    return value, date


def _as_numbers(col):
    import pandas as pd
    return pd.to_numeric(col.str.strip().str.replace(",", ".", regex=False), errors="coerce")


def _check_numbers(raw, column: str) -> np.ndarray:
    """The column as floats, NaN where empty. Raises SeriesError for text or infinite values."""
    raw = raw.str.strip()
    nums = _as_numbers(raw)
    bad = nums.isna() & (raw != "") & ~raw.str.lower().isin(("na", "nan", "null", "none", "-"))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SeriesError(f"Column {column!r} is not numeric: row {i + 2} holds {raw.iloc[i][:30]!r}. Allowed: "
                          "numbers (e.g. 3.14); empty cells count as missing.")
    values = nums.to_numpy(dtype=float)
    if np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        raise SeriesError(f"Column {column!r} has an infinite value in row {i + 2}; allowed: finite numbers.")
    return values


def _ends(values: np.ndarray, column: str) -> slice:
    """The rows from the first to the last number (empty rows at the ends are dropped)."""
    ok = ~np.isnan(values)
    if not ok.any():
        raise SeriesError(f"Column {column!r} has no numbers; allowed: a column of numbers.")
    return slice(int(np.argmax(ok)), len(ok) - int(np.argmax(ok[::-1])))


def _fill_gaps(values: np.ndarray, column: str) -> tuple[np.ndarray, str]:
    """Fill at most MAX_GAP_SHARE missing values by straight-line interpolation; more raise SeriesError."""
    ok = ~np.isnan(values)
    gaps = int((~ok).sum())
    if gaps > MAX_GAP_SHARE * len(values):
        raise SeriesError(f"Column {column!r} has {gaps} missing values of {len(values)} "
                          f"({100 * gaps / len(values):.0f}%); allowed: at most {100 * MAX_GAP_SHARE:.0f}% missing "
                          "inside the series (they are then filled by straight-line interpolation).")
    idx = np.arange(len(values))
    note = f"{gaps} missing values filled by straight-line interpolation. " if gaps else ""
    return np.interp(idx, idx[ok], values[ok]), note


def _dates(raw, keep: slice) -> tuple[str, ...]:
    """Parse the date column's rows `keep`; they must parse and increase strictly. Raises SeriesError."""
    import pandas as pd
    raw = raw.iloc[keep].str.strip()
    parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    if parsed.isna().any():
        i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise SeriesError(f"The date column has a value that is not a date in row {i + keep.start + 2} "
                          f"({raw.iloc[i][:30]!r}); allowed: dates such as 2001-12-31, or no date column.")
    if not parsed.is_monotonic_increasing or parsed.duplicated().any():
        raise SeriesError("The dates do not increase from row to row; allowed: one row per time step, oldest "
                          "first, no repeated dates.")
    return tuple(d.strftime("%Y-%m-%d") for d in parsed)


def guess_period(dates: tuple[str, ...] | None) -> int:
    """A seasonal period from the median spacing of the dates: daily 7, weekly 52, monthly 12, quarterly 4, else 1."""
    if not dates or len(dates) < 3:
        return 1
    days = np.median(np.diff(np.array(dates, dtype="datetime64[D]").astype(np.int64)))
    for lo, hi, m in ((0.9, 1.1, 7), (6.5, 7.5, 52), (28, 31.5, 12), (89, 93, 4)):
        if lo <= days <= hi:
            return m
    return 1


def from_table(table: Table, column: str, date_column: str | None = None, period: int | None = None) -> Series:
    """The uploaded series in `column` (dates from `date_column`, optional). Raises SeriesError."""
    if column not in table.columns:
        raise SeriesError(f"Column {column!r} is not in the file; allowed: one of {', '.join(table.columns)}.")
    raw = _check_numbers(table.frame[column], column)
    keep = _ends(raw, column)
    values, note = _fill_gaps(raw[keep], column)
    if keep.start or keep.stop < len(raw):
        note += f"Empty rows at the start or end dropped ({keep.start + len(raw) - keep.stop}). "
    if len(values) < MIN_LENGTH:
        raise SeriesError(f"Column {column!r} has {len(values)} values; allowed: at least {MIN_LENGTH} (enough for "
                          "training windows and a held-out part).")
    dates = None if not date_column else _dates(table.frame[date_column], keep)
    m = guess_period(dates) if period is None else int(period)
    return Series("upload", f"Your file: {column}", values, dates, max(1, min(m, len(values) // 4)), "", "step",
                  note.strip())


# ---------------------------------------------------------------------------------------------------------------
# Split, windows, baselines, metrics

def split(values: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test): the last `horizon` values are held out."""
    if not 1 <= horizon < len(values):
        raise SeriesError(f"horizon: got {horizon}; allowed: 1 to {len(values) - 1}")
    return values[:-horizon], values[-horizon:]


@dataclass(frozen=True)
class Windows:
    """Sliding windows of a training series, each made relative to its own last value and divided by `scale`:
    inputs (N, W) = (x_{t-W+1..t} - x_t) / scale, targets (N, h) = (x_{t+1..t+h} - x_t) / scale."""
    inputs: np.ndarray
    targets: np.ndarray
    scale: float


def relative(window: np.ndarray, scale: float) -> np.ndarray:
    """One input window (..., W) relative to its last value, in units of `scale`."""
    return (window - window[..., -1:]) / scale


def windows(train: np.ndarray, window: int, horizon: int, scale: float | None = None) -> Windows:
    """Every (input, target) pair inside `train`; scale defaults to the targets' standard deviation."""
    n = len(train) - window - horizon + 1
    if n < 1:
        raise SeriesError(f"window + horizon = {window + horizon} is longer than the training part "
                          f"({len(train)} values); allowed: a shorter window or horizon")
    idx = np.arange(n)[:, None]
    x = train[idx + np.arange(window)]
    y = train[idx + window + np.arange(horizon)] - x[:, -1:]
    if scale is None:
        scale = float(np.std(y)) or 1.0
    return Windows(relative(x, scale), y / scale, scale)


def unscale(output: np.ndarray, last: float, scale: float) -> np.ndarray:
    """A network's output (..., h) back in the series' units: last value + scale * output."""
    return last + scale * output


@dataclass(frozen=True)
class Forecast:
    """A forecast of the held-out part: mean (h,), and a prediction interval lower / upper (h,) or None."""
    name: str
    mean: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    note: str = ""


def seasonal_naive(train: np.ndarray, horizon: int, period: int) -> Forecast:
    """y_{n+k} = y_{n+k-m*ceil(k/m)}: each step repeats the value one season earlier (m = 1: the last value)."""
    m = max(1, int(period))
    k = np.arange(1, horizon + 1)
    mean = train[len(train) - m + (k - 1) % m]
    return Forecast("Seasonal naive", mean.astype(float))


def ets(train: np.ndarray, horizon: int, period: int, level: float = 0.95) -> Forecast:
    """statsmodels' ETSModel: additive errors, damped additive trend, additive season of `period` (none if 1),
    fitted by maximum likelihood on the last ETS_MAX_POINTS training values; mean and `level` interval."""
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    y = train[-ETS_MAX_POINTS:]
    note = "" if len(train) <= ETS_MAX_POINTS else f"Fitted on the last {ETS_MAX_POINTS} training values. "
    seasonal = "add" if 1 < period <= len(y) // 2 else None
    model = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True, seasonal=seasonal,
                     seasonal_periods=period if seasonal else None)
    with np.errstate(all="ignore"):
        res = model.fit(disp=False)
        frame = res.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=1 - level)
    mean, lo, hi = (frame[c].to_numpy(dtype=float) for c in ("mean", "pi_lower", "pi_upper"))
    span = float(np.ptp(train)) or 1.0
    sane = np.all(np.isfinite(mean)) and np.all(np.abs(mean - train[-1]) < 10 * span)
    if not sane:            # statsmodels' ETS can blow up on some series: say so instead of drawing nonsense
        return Forecast("ETS", np.full(horizon, np.nan), note=note + "The ETS fit diverged on this series.")
    return Forecast("ETS", mean, lo, hi, note)


def mae(truth: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.mean(np.abs(truth - forecast)))


def rmse(truth: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.sqrt(np.mean((truth - forecast) ** 2)))


def mase_scale(train: np.ndarray, period: int) -> float:
    """In-sample MAE of the seasonal naive forecast on the training part (Hyndman & Koehler 2006)."""
    m = max(1, int(period))
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def metrics(truth: np.ndarray, forecast: np.ndarray, train: np.ndarray, period: int) -> dict[str, float]:
    """MAE, RMSE and MASE (MAE over the training part's seasonal-naive MAE) of a forecast of the held-out part."""
    scale = mase_scale(train, period)
    return {"MAE": mae(truth, forecast), "RMSE": rmse(truth, forecast),
            "MASE": mae(truth, forecast) / scale if scale > 0 else float("nan")}
