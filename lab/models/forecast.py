"""The forecast page's model: Settings (defaults, limits, presets) -> cached compute -> frozen results -> words.

    from lab.models import forecast as M
    s = M.Settings()                               # Mauna Loa CO2 monthly, horizon 24, window 36, budget 4000
    data = M.load_series(s.series)                 # gru_core.series.Series (cached)
    base = M.compute_baselines(data, s.horizon)    # Baselines: train, test, seasonal naive and ETS forecasts
    job = M.ForecastJob(data, s)                   # a lab.background Job: trains RNN, GRU, LSTM side by side
    job.run(lambda: None)                          # (lab.background runs it in a thread for the page)
    res = M.assemble(data, s, base, job.view())    # Result: every forecast, the metrics table, who wins
    M.winner_words(res), M.inside(job.view()["gru"].params, data, s)

The maths lives in gru_core.series (data, baselines, metrics) and gru_core.forecaster (network, training, engine
analysis); this module decides what to run, keeps what the charts need and chooses the words from the numbers.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from gru_core import forecaster as F
from gru_core import series as S
from gru_core import training as T
from lab import background as bg
from lab.cache import engine_cache

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "checkpoints" / "forecast_co2.npz"
KINDS = F.KINDS
SERIES_LABELS = {"co2": "CO₂ at Mauna Loa (monthly)", "co2_weekly": "CO₂ at Mauna Loa (weekly)",
                 "sunspots": "Sunspots (yearly)", "elnino": "El Niño sea temperature (monthly)",
                 "nile": "Nile flow (yearly)", "synthetic": "Synthetic (trend + cycles + noise)",
                 "upload": "Upload a CSV file"}
SERIES = tuple(SERIES_LABELS)
# (horizon, window) that suit each shipped series: two seasons ahead from three seasons back, where there is room
SERIES_DEFAULTS = {"co2": (24, 36), "co2_weekly": (52, 104), "sunspots": (22, 33), "elnino": (24, 36),
                   "nile": (10, 20), "synthetic": (40, 40), "upload": (12, 24)}
BUDGETS = (1000, 2000, 4000, 8000, 16000)
LR_OPTIONS = (0.001, 0.003, 0.01, 0.03)
BASELINES = ("naive", "ets")
MODEL_LABELS = {"naive": "Seasonal naive", "ets": "ETS (Holt-Winters)", "rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
TIE = 0.05            # MASEs within 5% of each other are "about the same"
MIN_WINDOWS = 8       # at least this many training windows
RUN_KEY = "_fc_run"   # session_state: the run this session started
REACH_SHARE = 0.9     # "90% of the forecast's dependence on earlier values lies within the last N steps"


@dataclass(frozen=True)
class Settings:
    """Every control of the page as plain values (hashable: part of a run's key)."""
    series: str = "co2"
    horizon: int = 24
    window: int = 36
    budget: int = 4000
    steps: int = 300
    lr: float = 0.01
    seed: int = 0

    LIMITS: ClassVar[dict[str, tuple[int, int, int]]] = dict(horizon=(2, 120, 1), window=(4, 200, 1),
                                                              steps=(20, 2000, 20), seed=(0, 9999, 1))

    def fit_config(self) -> F.FitConfig:
        return F.FitConfig(steps=self.steps, lr=self.lr, seed=self.seed)

    def hidden(self) -> dict[str, int]:
        """kind -> the largest hidden size that fits the parameter budget (readout included)."""
        return {k: F.hidden_for_budget(k, self.budget, self.horizon) for k in KINDS}

    def problem(self, data: S.Series) -> F.Problem:
        return F.Problem.make(data.values, self.horizon, self.window, data.period)


def defaults_for(series: str) -> Settings:
    """The page's defaults for one series."""
    h, w = SERIES_DEFAULTS.get(series, SERIES_DEFAULTS["upload"])
    return Settings(series=series, horizon=h, window=w)


def limits_for(n: int, horizon: int | None = None) -> dict[str, tuple[int, int]]:
    """Slider ranges for a series of n values: the horizon at most a quarter of it; the window leaves at least
    MIN_WINDOWS training windows for that horizon (the largest horizon when none is given)."""
    h_lo, h_hi, _ = Settings.LIMITS["horizon"]
    w_lo, w_hi, _ = Settings.LIMITS["window"]
    h_max = max(h_lo, min(h_hi, n // 4))
    h = h_max if horizon is None else horizon
    return dict(horizon=(h_lo, h_max), window=(w_lo, max(w_lo, min(w_hi, n - 2 * h - MIN_WINDOWS + 1))))


def data_id(data: S.Series) -> str:
    """A short fingerprint of the values and period (part of a run's key: same data, same run)."""
    digest = hashlib.sha1(np.ascontiguousarray(data.values).tobytes() + str(data.period).encode()).hexdigest()
    return f"{data.key}:{digest[:12]}"


@engine_cache(max_entries=8)
def load_series(key: str) -> S.Series:
    """A shipped series (cached per server)."""
    return S.load(key)


numeric_columns, suggest_columns = S.numeric_columns, S.suggest_columns


@engine_cache(max_entries=8)
def read_upload(data: bytes) -> S.Table:
    """An uploaded file parsed as a table (raises gru_core.series.SeriesError with the reason)."""
    return S.read_csv(data)


@engine_cache(max_entries=8)
def upload_series(data: bytes, column: str, date_column: str | None, period: int | None) -> S.Series:
    """The series in one column of an uploaded file (raises SeriesError with the reason)."""
    return S.from_table(S.read_csv(data), column, date_column, period)


def run_key(settings: Settings, data: S.Series) -> tuple:
    """Everything that decides a training run's result: the same key on any session shares one run."""
    return ("forecast", data_id(data), settings)


# ---------------------------------------------------------------------------------------------------------------
# Baselines (cached on the data's bytes) and the assembled result

@dataclass(frozen=True)
class Baselines:
    """train (N - h,), test (h,) and the classical forecasts of the test part (name -> gru_core.series.Forecast)."""
    train: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)
    forecasts: dict[str, S.Forecast] = field(repr=False)


@engine_cache(max_entries=32)
def _baselines(values: bytes, horizon: int, period: int) -> Baselines:
    train, test = S.split(np.frombuffer(values, dtype=np.float64), horizon)
    return Baselines(train, test, {"naive": S.seasonal_naive(train, horizon, period),
                                   "ets": S.ets(train, horizon, period)})


def compute_baselines(data: S.Series, horizon: int) -> Baselines:
    return _baselines(np.ascontiguousarray(data.values, dtype=np.float64).tobytes(), int(horizon), int(data.period))


@dataclass(frozen=True)
class NetView:
    """One network as trained so far: kind, hidden size, parameters, history arrays, status."""
    kind: str
    hidden_size: int
    params: dict[str, np.ndarray] = field(repr=False)
    history: dict[str, np.ndarray] = field(repr=False)
    status: str
    message: str = ""


@dataclass(frozen=True)
class Result:
    """What the forecast chart and the table show: forecasts (name -> Forecast), metrics (name -> MAE, RMSE, MASE),
    parameter counts of the networks (kind -> int), sorted by MASE (best first) in `ranking`."""
    train: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)
    forecasts: dict[str, S.Forecast] = field(repr=False)
    metrics: dict[str, dict[str, float]]
    parameters: dict[str, int]
    ranking: tuple[str, ...]


def assemble(data: S.Series, settings: Settings, base: Baselines, nets: dict[str, NetView]) -> Result:
    """Baselines + trained networks on the same held-out part -> one Result (networks' forecasts computed here)."""
    forecasts = dict(base.forecasts)
    for k, v in nets.items():
        forecasts[k] = S.Forecast(MODEL_LABELS[k], _net_forecast(v.params, *_problem_key(data, settings)))
    metrics = {k: S.metrics(base.test, f.mean, base.train, data.period) for k, f in forecasts.items()
               if np.all(np.isfinite(f.mean))}
    ranking = tuple(sorted(metrics, key=lambda k: metrics[k]["MASE"]))
    params = {k: F.parameter_count(k, v.hidden_size, settings.horizon) for k, v in nets.items()}
    return Result(base.train, base.test, forecasts, metrics, params, ranking)


def _problem_key(data: S.Series, settings: Settings) -> tuple:
    """The plain values a network's view of the held-out part is cached on: (values bytes, h, W, period)."""
    values = np.ascontiguousarray(data.values, dtype=np.float64).tobytes()
    return values, int(settings.horizon), int(settings.window), int(data.period)


def _problem(values: bytes, horizon: int, window: int, period: int) -> F.Problem:
    return F.Problem.make(np.frombuffer(values, dtype=np.float64), horizon, window, period)


@engine_cache(max_entries=64)
def _net_forecast(params: dict[str, np.ndarray], values: bytes, horizon: int, window: int, period: int) -> np.ndarray:
    """One network's forecast of the held-out part (h,), cached on its weights and the data."""
    return F.forecast(params, _problem(values, horizon, window, period))


def metrics_rows(res: Result) -> list[dict[str, object]]:
    """The metrics table, best MASE first: one dict per model (model, MAE, RMSE, MASE, parameters)."""
    return [dict(model=MODEL_LABELS[k], MAE=round(m["MAE"], 4), RMSE=round(m["RMSE"], 4), MASE=round(m["MASE"], 3),
                 parameters=res.parameters.get(k, "-")) for k in res.ranking for m in [res.metrics[k]]]


def metrics_markdown(res: Result) -> str:
    """The metrics table as a markdown table (best first)."""
    rows = metrics_rows(res)
    lines = ["| model | MAE | RMSE | MASE | parameters |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['model']} | {r['MAE']:.3g} | {r['RMSE']:.3g} | {r['MASE']:.2f} | {r['parameters']} |"
              for r in rows]
    return "\n".join(lines)


def guess_choices(res: Result) -> dict[str, str]:
    """The models a student can bet on (those on the chart)."""
    return {k: MODEL_LABELS[k] for k in res.forecasts}


def curve_baseline(res: Result) -> dict[str, object]:
    """The best classical model's held-out MAE, drawn across the training curves."""
    classical = [k for k in res.ranking if k in BASELINES]
    if not classical:
        return dict(baseline_mae=None, baseline_label="")
    k = classical[0]
    return dict(baseline_mae=res.metrics[k]["MAE"], baseline_label=f"{MODEL_LABELS[k]}: {res.metrics[k]['MAE']:.3g}")


@dataclass(frozen=True)
class Axes:
    """What the charts put on x: dates or step numbers, for the whole series, the history shown before the
    held-out part on the forecast chart (the last `shown` training values: the window the networks read, at least
    h, so the held-out part keeps a third or more of the chart's width, also on a phone) and the held-out part."""
    x: tuple = field(repr=False)
    title: str
    shown: int


def axes(data: S.Series, horizon: int, window: int = 0) -> Axes:
    x = data.dates if data.dates else tuple(range(1, len(data.values) + 1))
    title = "year" if data.step_name == "year" else ("date" if data.dates else data.step_name)
    return Axes(tuple(x), title, min(len(data.values) - horizon, max(window, horizon)))


def forecast_chart_data(res: Result) -> dict[str, dict[str, object]]:
    """key -> {"label", "mean", "lower", "upper"} for the forecast chart (baselines first, then the networks)."""
    return {k: dict(label=MODEL_LABELS[k], mean=f.mean, lower=f.lower, upper=f.upper)
            for k, f in res.forecasts.items() if np.all(np.isfinite(f.mean))}


def winner_words(res: Result, step_name: str = "step") -> str:
    """Who wins on the held-out part, as measured, in words chosen from the MASEs."""
    if not res.ranking:
        return "No forecast could be scored on this series."
    best, *rest = res.ranking
    m = {k: res.metrics[k]["MASE"] for k in res.ranking}
    n = len(res.test)
    text = f"On these {n} held-out {step_name}s the most accurate forecast is **{MODEL_LABELS[best]}** " \
           f"(MASE {m[best]:.2f})"
    close = [k for k in rest if m[k] <= m[best] * (1 + TIE)]
    if close:
        text += ", about the same as " + ", ".join(f"{MODEL_LABELS[k]} ({m[k]:.2f})" for k in close)
    text += "."
    nets = [k for k in res.ranking if k in KINDS]
    classical = [k for k in res.ranking if k in BASELINES]
    if nets and classical:
        net, cl = nets[0], classical[0]
        verb = "beats" if m[net] < m[cl] * (1 - TIE) else ("loses to" if m[net] > m[cl] * (1 + TIE) else "ties with")
        text += f" The best network, the {MODEL_LABELS[net]}, {verb} the best classical model, " \
                f"{MODEL_LABELS[cl]} ({m[net]:.2f} against {m[cl]:.2f})."
    if nets:
        text += (" This is one held-out stretch and one seed: another seed moves the networks' scores, so a gap "
                 "smaller than that is not a win.")
    return text + " " + mase_words(m.get("naive"))


def mase_words(naive_mase: float | None) -> str:
    """What MASE means, tied to this split's seasonal naive number."""
    if naive_mase is None:
        return ""
    return (f"MASE is the forecast's mean absolute error divided by that of repeating last season inside the "
            f"training part: below 1 beats that rule of thumb. On this held-out part the seasonal naive forecast "
            f"itself scores {naive_mase:.2f}.")


# ---------------------------------------------------------------------------------------------------------------
# Inside: gates and how far back the forecast looks

def inside(params: dict[str, np.ndarray], data: S.Series, settings: Settings, step: int = 1) -> F.Inside:
    """The engine's view of a trained network on the window the held-out forecast reads (gru_core.forecaster)."""
    return _inside(params, *_problem_key(data, settings), int(step))


@engine_cache(max_entries=64)
def _inside(params: dict[str, np.ndarray], values: bytes, horizon: int, window: int, period: int,
            step: int) -> F.Inside:
    return F.inside(params, _problem(values, horizon, window, period), step)


def steps_back(window: int) -> list[int]:
    """W-1, ..., 1, 0: how far each input of the window lies before its last value."""
    return list(range(window - 1, -1, -1))


def sorted_units(z: np.ndarray) -> np.ndarray:
    """(W, H) gate values with the units ordered by their mean over the window (most keeping first)."""
    return z[:, np.argsort(-z.mean(axis=0))]


def reach(sensitivity: np.ndarray, share: float = REACH_SHARE) -> int:
    """Steps back (1 = the value before the last) within which `share` of the forecast's dependence on the earlier
    values lies (the last value sets the level and is left out). 0 when nothing depends on them."""
    earlier = np.asarray(sensitivity, dtype=float)[:-1][::-1]          # 1, 2, ... steps back
    total = float(np.sum(earlier))
    if not np.isfinite(total) or total <= 0:
        return 0
    return int(np.searchsorted(np.cumsum(earlier) / total, share) + 1)


def reach_words(reaches: dict[str, int], period: int, step_name: str) -> str:
    """E.g. 'The GRU's forecast draws 90% of its dependence on earlier values from the last 14 months; the RNN's
    from the last 5 months. One season is 12 months.'"""
    if not reaches:
        return ""
    parts = [f"the {MODEL_LABELS[k]}'s from the last {n} {step_name}{'s' if n != 1 else ''}"
             for k, n in reaches.items()]
    text = f"{100 * REACH_SHARE:.0f}% of each forecast's dependence on the earlier values comes, for " + \
           "; for ".join(parts) + "."
    if period > 1:
        text += f" One season is {period} {step_name}s: a forecast that reaches back a season can copy its shape."
    return text


# ---------------------------------------------------------------------------------------------------------------
# Training as a lab.background Job, and the shipped checkpoint

class ForecastJob:
    """Trains RNN, GRU and LSTM side by side for `settings` on `data`: a lab.background Job (run, view, progress)."""

    def __init__(self, data: S.Series, settings: Settings):
        self.settings = settings
        self.fit, self._batches = F.make_fit(settings.problem(data), settings.fit_config(), settings.hidden())

    def run(self, should_stop) -> None:
        self.fit.run(self._batches, should_stop=should_stop)

    def view(self) -> dict[str, NetView]:
        return {k: net_view(r.view()) for k, r in self.fit.runs.items()}

    def progress(self) -> float:
        return self.fit.progress()


def net_view(v: T.ModelView) -> NetView:
    """What the page draws of one gru_core.training model view: the newest weights and the held-out curve."""
    params = {k: np.asarray(a, dtype=np.float64) for k, a in v.snapshots[-1].params.items()}
    h = v.history
    history = dict(step=np.asarray(h.eval_step, dtype=float), test_mae=np.asarray(h.eval_loss, dtype=float),
                   train_step=np.asarray(h.step, dtype=float), loss=np.asarray(h.loss, dtype=float))
    return NetView(v.name, params["head.weight"].shape[1], params, history, v.status, v.message)


def save_checkpoint(path: Path, settings: Settings, data: S.Series, fit: T.Fit) -> None:
    """gru_core.training's plain-array checkpoint (last weights only) with the settings and data id as meta."""
    views = {k: r.view() for k, r in fit.runs.items()}
    T.save_checkpoint(path, views, dict(settings=asdict(settings), data=data_id(data)), snapshot_steps=())


def load_checkpoint(path: Path = CHECKPOINT) -> tuple[Settings, str, dict[str, NetView]] | None:
    """(settings, data id, kind -> NetView) of a checkpoint made by `save_checkpoint`, or None if it is absent."""
    if not Path(path).exists():
        return None
    ck = T.load_checkpoint(path)
    views = {k: net_view(T.ModelView(k, "done", "", ck.histories[k], tuple(ck.snapshots[k]), 0.0, {}))
             for k in ck.names}
    return Settings(**ck.meta["settings"]), ck.meta["data"], views


@engine_cache(max_entries=2)
def _pretrained(path: str, mtime: float):
    return load_checkpoint(Path(path))


def pretrained(settings: Settings, data: S.Series) -> dict[str, NetView] | None:
    """The shipped checkpoint's networks when it was trained with exactly these settings on exactly this data."""
    if not CHECKPOINT.exists():
        return None
    got = _pretrained(str(CHECKPOINT), CHECKPOINT.stat().st_mtime)
    if got is None or got[0] != settings or got[1] != data_id(data):
        return None
    return got[2]


def shown_run(state, settings: Settings, data: S.Series):
    """The run to show: the session's run (``state[RUN_KEY]``) if it matches these settings, else the shipped
    checkpoint as a finished run if it does, else None."""
    key, run = run_key(settings, data), state.get(RUN_KEY)
    if run is not None and run.key == key:
        return run
    pre = pretrained(settings, data)
    return bg.RUNS.finished(("pretrained",) + key, lambda: pre) if pre else None


def run_words(run, settings: Settings) -> str:
    """One line on what is shown: the shipped run, a live or finished run, or nothing trained yet."""
    if run is None:
        return ("No network is trained for these settings yet: press Train (about half a minute). The classical "
                "forecasts are already there.")
    if isinstance(run.key, tuple) and run.key[:1] == ("pretrained",):
        return "Showing networks trained in advance with these settings (the defaults). Press Train to retrain."
    if run.state == "queued":
        return f"Waiting for a free training slot: number {run.queue_position} in the queue."
    if run.state == "running":
        return f"Training {', '.join(MODEL_LABELS[k] for k in KINDS)} side by side ({run.watchers()} watching)."
    if run.note:
        return f"Ended after {run.seconds:.0f} s ({run.note}): the networks are shown as trained until then."
    return f"Trained in {run.seconds:.0f} s."


def progress_words(run, settings: Settings) -> str:
    return f"Training: {run.progress() * 100:.0f}% of {settings.steps} steps, {run.seconds:.0f} s"
