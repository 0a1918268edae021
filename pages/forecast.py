"""Forecast a real time series: RNN, GRU and LSTM trained live against seasonal naive and ETS; then the GRU's gates."""
import streamlit as st

from gru_core.series import SeriesError
from lab import background as bg
from lab import controls as C
from lab import present, routing, ui
from lab.figures import forecast as FIG
from lab.models import forecast as M

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

LIVE_REFRESH_S = 2.0
DATA_KEY = "_fc_data"   # the series the controls above chose (the body fragment reads it)

ui.page_header(
    "Forecast a real time series",
    "A GRU, an LSTM and a plain RNN learn to forecast a **real** series from its past; they are scored on the last "
    "part of the series, which none of them saw, against two classical forecasts.",
)
# Under the views (the forecast chart starts on a laptop's first screen): the data notes and the way inside.
LOOK_INSIDE = ("Then look inside: what the GRU's update gate does over the window it reads (**Update gate**), and "
               "how far back its forecast really looks (**How far back**).")


def upload_data():
    """The uploaded file: preview, column choice; None (with the reason shown) until it gives a usable series."""
    box = present.controls()
    f = box.file_uploader("CSV file (at most 1 MB and 100,000 rows; a header row)", type=["csv", "txt"],
                         key="fc_upload_file")
    if f is None:
        st.info("Upload a CSV file with a header row and one value per row (optionally a date column).",
                icon=":material/upload_file:")
        return None
    raw = f.getvalue()
    try:
        table = M.read_upload(raw)
        st.dataframe(table.frame.head(6), hide_index=True, height=250)
        numeric = M.numeric_columns(table) or table.columns
        value, date = M.suggest_columns(table)
        c1, c2, c3 = box.columns(3)
        col = c1.selectbox("Column to forecast", numeric, key="fc_upload_col",
                           index=numeric.index(value) if value in numeric else 0)
        dates = c2.selectbox("Date column (optional)", ("(none)",) + table.columns, key="fc_upload_dates",
                             index=1 + table.columns.index(date) if date else 0)
        period = c3.number_input("Seasonal period (1 = none; 0 = guess from the dates)", 0, 1000, 0,
                                 key="fc_upload_period")
        return M.upload_series(raw, col, None if dates == "(none)" else dates, int(period) or None)
    except SeriesError as e:
        st.error(str(e), icon=":material/error:")
        return None


def training_settings(data, parent) -> M.Settings:
    """The URL-bound sliders, in a collapsed expander (the chart starts on a laptop's first screen)."""
    d, lim = M.defaults_for(data.key), M.limits_for(len(data.values))
    box = parent.expander("Training settings: horizon, window, size, learning rate, steps, seed",
                          icon=":material/tune:", key="fc_settings")
    box.caption("The three networks train live on the same windows with the same number of weights.")
    (c1, c2), (c3, c4) = box.columns(2, gap="large"), box.columns(2, gap="large")
    horizon = int(C.slider("Forecast horizon h (steps ahead, held out)", "fc_h", *lim["horizon"],
                           min(max(d.horizon, lim["horizon"][0]), lim["horizon"][1]), container=c1,
                           help="The last h values are held out; every model forecasts all of them at once."))
    lim = M.limits_for(len(data.values), horizon)
    window = int(C.slider("Input window W (steps the networks read)", "fc_window", *lim["window"],
                          min(max(d.window, lim["window"][0]), lim["window"][1]), container=c2))
    budget = C.select("Weights per network", "fc_budget", M.BUDGETS, d.budget, labels=lambda v: f"{v:,}",
                      container=c3, help="Each network gets the largest hidden size within this budget.")
    lr = C.select("Learning rate (Adam)", "fc_lr", M.LR_OPTIONS, d.lr, labels=lambda v: f"{v:g}", container=c3)
    steps = int(C.slider("Training steps", "fc_steps", *M.Settings.LIMITS["steps"][:2], d.steps, 20, container=c4))
    seed = C.seed("fc", container=c4)
    return M.Settings(data.key, horizon, window, int(budget), steps, float(lr), int(seed))


def train_buttons(settings: M.Settings, data, run) -> None:
    def start() -> None:
        st.session_state[M.RUN_KEY] = bg.RUNS.start(M.run_key(settings, data), lambda: M.ForecastJob(data, settings),
                                                  session=bg.session_id())

    def stop() -> None:
        bg.RUNS.leave(st.session_state[M.RUN_KEY], bg.session_id())

    live = run is not None and run.state != "finished"
    b1, b2, note = present.controls().columns([1, 1, 4], vertical_alignment="center")
    b1.button("Train", type="primary", icon=":material/play_arrow:", on_click=start, disabled=live, width="stretch",
              key="fc_train", help="Train RNN, GRU and LSTM with these settings (same windows, seed and budget).")
    b2.button("Stop", icon=":material/stop:", on_click=stop, disabled=not live, width="stretch", key="fc_stop")
    note.caption(M.run_words(run, settings))


def forecast_tab(data, settings: M.Settings, base: M.Baselines, nets: dict) -> None:
    res, n = M.assemble(data, settings, base, nets), len(base.train)
    ax = M.axes(data, settings.horizon, settings.window)
    ui.predict("Which forecast will come closest to the held-out truth?", M.guess_choices(res), key="fc_guess",
               horizontal=True)
    ui.chart(FIG.forecast_figure(ax.x[n - ax.shown:n], res.train[-ax.shown:], ax.x[n:], res.test,
                                 M.forecast_chart_data(res), unit=data.unit, x_title=ax.title),
             key="fc_forecast_chart",
             how_to_read="The thick dark line is what really happened in the held-out part (grey band); each "
                         "coloured line is one model's forecast of it, made from the data before the band. The "
                         "shaded band is the ETS model's 95% prediction interval.")
    ui.reveal(M.winner_words(res, data.step_name) + "\n\n" + M.metrics_markdown(res), key="fc_answer")


def series_tab(data, settings: M.Settings, base: M.Baselines, nets: dict) -> None:
    ax = M.axes(data, settings.horizon)
    ui.chart(FIG.series_figure(ax.x, data.values, len(base.train), unit=data.unit, x_title=ax.title),
             key="fc_series_chart",
             how_to_read=f"The whole series ({len(data.values)} values). The last {settings.horizon}, on the grey "
                         "band, are held out: no model sees them until it is scored on them.")


def training_tab(data, settings: M.Settings, base: M.Baselines, nets: dict) -> None:
    ui.chart(FIG.curves_figure({k: v.history for k, v in nets.items()}, labels=M.MODEL_LABELS,
                               total_steps=settings.steps, **M.curve_baseline(M.assemble(data, settings, base, nets))),
             key="fc_curves_chart",
             how_to_read="The error of each network's forecast of the held-out part as it trains (log scale; "
                         "lower is better). It is only watched here, never used to pick the weights.")


def gate_tab(data, settings: M.Settings, base: M.Baselines, nets: dict) -> None:
    z = M.inside(nets["gru"].params, data, settings, 1).gates["z"]
    ui.chart(FIG.gate_figure(M.sorted_units(z), M.steps_back(settings.window), step_name=data.step_name),
             key="fc_gate_chart",
             how_to_read="The GRU's update gate z for each hidden unit (rows, sorted by their mean) over the window "
                         "it reads for the held-out forecast. Bright (z near 1): the unit keeps its old state and "
                         "ignores that step; dark: it overwrites itself with the new value.")


def reach_tab(data, settings: M.Settings, base: M.Baselines, nets: dict) -> None:
    k = int(C.slider("Forecast step k to explain", "fc_k", 1, settings.horizon, 1, container=present.controls(),
                     help="Which of the h forecast values the sensitivities below are taken for."))
    views = {kind: M.inside(v.params, data, settings, k) for kind, v in nets.items() if kind in ("gru", "rnn")}
    ui.predict("Whose forecast depends on values further back in the window: the GRU's or the RNN's?",
               {"gru": "The GRU's", "rnn": "The RNN's", "same": "About the same"}, key="fc_reach_guess")
    ui.chart(FIG.sensitivity_figure({kk: v.sensitivity for kk, v in views.items()}, M.steps_back(settings.window),
                                    labels=M.MODEL_LABELS, step_name=data.step_name, forecast_step=k),
             key="fc_sens_chart",
             how_to_read="How much forecast value k moves when one input value moves (exact derivative, log "
                         "scale), against how far back that value is. The last value counts about 1 because the "
                         "networks forecast the change from it; a line that stays high further left looks further back.")
    ui.reveal(M.reach_words({kk: M.reach(v.sensitivity) for kk, v in views.items()}, data.period, data.step_name),
              key="fc_reach_answer")


# The page's views, one tab each (the URL word, the label, what draws it); only the open one runs.
TABS = {"forecast": ("Forecast", forecast_tab), "series": ("Whole series", series_tab),
        "training": ("Training", training_tab), "gate": ("Update gate", gate_tab), "reach": ("How far back", reach_tab)}


def networks(run, settings: M.Settings) -> dict:
    """The run's progress and warnings; returns its networks that have a curve to show."""
    nets = run.view() if run is not None else {}
    if run is not None and run.state != "finished":
        bg.RUNS.touch(run, bg.session_id())
        st.progress(run.progress(), text=M.progress_words(run, settings))
    for v in nets.values():
        if v.message:
            st.warning(f"{M.MODEL_LABELS[v.kind]}: {v.message}", icon=":material/warning:")
    return {k: v for k, v in nets.items() if v.history["step"].size}


def views(data, settings: M.Settings, base: M.Baselines, run) -> None:
    nets = networks(run, settings)
    view, box = C.tabs("fc_view", {word: label for word, (label, _) in TABS.items()})   # only the open tab runs
    with box:
        if view not in ("forecast", "series") and "gru" not in nets:
            st.info("Train (or keep the default settings for the pretrained run) to see what the networks learned.",
                    icon=":material/info:")
        else:
            TABS[view][1](data, settings, base, nets)


@st.fragment(key="fc_body")
def body() -> None:
    """Everything the controls above drive: a move of one reruns this alone (the full run draws the controls)."""
    if (data := st.session_state.get(DATA_KEY)) is None:
        return
    with C.reading("fc_body"):
        settings = training_settings(data, C.panel(st))
    base, run = M.compute_baselines(data, settings.horizon), M.shown_run(st.session_state, settings, data)
    train_buttons(settings, data, run)

    @st.fragment(run_every=LIVE_REFRESH_S if (live_now := run is not None and run.state != "finished") else None)
    def live() -> None:
        views(data, settings, base, r := M.shown_run(st.session_state, settings, data))
        if live_now and r is not None and r.state == "finished":
            st.rerun()      # training just ended: one full rerun so the page stops polling and Train is enabled

    live()
    st.caption(f"{data.notes} {LOOK_INSIDE}" if data.notes else LOOK_INSIDE)


left, right = st.columns(2, vertical_alignment="bottom")
series = C.select("Series", "fc_series", M.SERIES, "co2", labels=M.SERIES_LABELS, container=present.controls(left))
data = st.session_state[DATA_KEY] = upload_data() if series == "upload" else M.load_series(series)
if data is not None:
    with C.driving("fc_body"):       # a training setting's move reruns body() alone, not the settings
        training_settings(data, C.panel(right))
body()
