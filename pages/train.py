"""Train on a task: RNN, GRU and LSTM trained live, side by side, on the same long-memory data; then opened up."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lab import background as bg
from lab import controls as C
from lab import present, routing, ui
from lab.figures import training as FIG
from lab.models import train as M
from lab.theme import CELL_LABELS

RUN_KEY, SWEEP_KEY, SETTINGS_KEY = "_tr_run", "_tr_sweep", "_tr_settings"   # session_state: Runs shown, last Settings
LIVE_REFRESH_S, ANALYSIS_REFRESH_S = 3.0, 9.0   # while training: curves / engine analysis redraw this often
S, H = M.Settings(), M.HELP

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py
ui.page_header("Train on a task", M.INTRO)


def slider(name: str):
    (label, key, fmt), (lo, hi, step) = M.SLIDERS[name], S.LIMITS[name]
    return C.slider(label, key, lo, hi, getattr(S, name), step, format=fmt, help=H.get(key))


def read_settings() -> M.Settings:
    """The controls (bound to the URL as tr_*) -> Settings."""
    c1, c2, c3 = C.panel(st).columns(3, gap="large")
    with c1:
        task = C.select("Task", "tr_task", S.TASKS, S.task, labels=M.TASK_TITLES, help=H["tr_task"])
        delay = slider("delay")
        cells = C.cell_kinds("tr", options=S.KINDS, default=S.cells, label="Cells to train", max_selections=4)
    with c2:
        hidden = slider("hidden")
        lr = C.select("Learning rate (Adam)", "tr_lr", M.LR_OPTIONS, S.lr, labels="{:g}".format, help=H["tr_lr"])
        clip, seed = slider("clip"), C.seed("tr")
    with c3:
        stop_by = C.select("Stop after", "tr_stop", tuple(M.STOP_LABELS), S.stop_by, labels=M.STOP_LABELS,
                           style="segmented")
        amount = "steps" if stop_by == "steps" else "budget"
        value = slider(amount)
        chrono, bias = C.toggle("Chrono init", "tr_chrono", S.chrono, help=H["tr_chrono"]), slider("bias")
    return replace(S, task=task, delay=int(delay), cells=tuple(cells), hidden=int(hidden), lr=float(lr),
                   clip=float(clip), seed=int(seed), stop_by=stop_by, chrono=bool(chrono), bias=float(bias),
                   **{amount: value})


def button(row, label: str, key: str, on_click, args: tuple, *, icon: str, disabled: bool = False, **kw) -> bool:
    return row.button(label, key=key, on_click=on_click, args=args, icon=icon, disabled=disabled, help=H[key],
                      width="content", **kw)


@st.fragment(key="tr_buttons")
def run_buttons() -> None:
    """The run buttons for the settings as they stand; a press starts or switches a run, then the page reruns."""
    with C.reading("tr_buttons"):
        settings = st.session_state[SETTINGS_KEY] = read_settings()
    if bad := settings.error():
        st.error(f"These settings cannot be trained: {bad}", icon=":material/error:")
    st.session_state.setdefault(RUN_KEY, pre := M.pretrained(settings.task))
    off = replace(settings, chrono=False, bias=0.0)
    row = st.container(horizontal=True)        # one row of buttons that wraps on a narrow screen
    pressed = [button(row, "Train", "tr_train_btn", bg.follow, (RUN_KEY, settings.key, settings.job),
                      icon=":material/play_arrow:", disabled=bad is not None, type="primary"),
               button(row, "Stop", "tr_stop_btn", bg.leave, (RUN_KEY,), icon=":material/stop:",
                      disabled=not bg.running(RUN_KEY)),
               button(row, "Pretrained results", "tr_pretrained_btn", bg.leave, (RUN_KEY, pre),
                      icon=":material/inventory_2:"),
               button(row, "Same run without chrono init", "tr_nochrono_btn", bg.follow,
                      (RUN_KEY, off.key, off.job, M.NO_CHRONO), icon=":material/compare_arrows:",
                      disabled=bad is not None)]
    C.preset_menu("Presets", "tr_preset", M.PRESETS, container=row)
    bg.show_refusal(RUN_KEY)
    if any(pressed):
        st.rerun()


with present.controls(border=True):
    with C.driving("tr_buttons"):       # a setting's move reruns run_buttons() alone, not the settings
        read_settings()
    run_buttons()
live = bg.running(RUN_KEY)


@st.fragment(run_every=LIVE_REFRESH_S if live else None)
def live_panel() -> None:
    if (run := bg.watch(RUN_KEY)) is None:
        return st.info("Press **Train** to start (no pretrained checkpoint is installed).", icon=":material/info:")
    v = run.view()
    for kind, text in M.status_lines(run, v):
        getattr(st, kind)(*(text if isinstance(text, tuple) else (text,)))
    if v.finished and v.final:
        ui.headline(M.headline(v))
        st.markdown(M.chrono_words(v.config, v.final) or "")
    ui.question(M.PREDICT["curves"])   # one question over both charts: above each, a longer one set its chart lower
    for col, (name, metric) in zip(st.columns(2), (("acc", "accuracy"), ("loss", "loss"))):
        ui.chart(FIG.training_curves(**M.curve_args(v, metric)), key=f"tr_{name}_chart", container=col,
                 how_to_read=M.READ[name])
    if v.finished:
        ui.download_arrays("Download the training curves (CSV)", M.curve_columns(v), "training_curves.csv",
                           key="tr_dl_curves")
    if live and run.state == "finished":
        st.rerun()   # training just ended: one full rerun so the page stops polling and Stop greys out


def replay_panel(v: M.TrainView, inside: M.Inside) -> None:
    who = C.select("Replay the memory of", "tr_replay_cell", v.gated, "gru" if "gru" in v.gated else v.gated[0],
                   labels=CELL_LABELS, style="segmented", container=present.controls())
    c = inside.cells[who]
    ui.chart(FIG.replay_figure(c.keep, c.held_mean, who, held_best=c.held_best, marks=inside.marks,
                               title=M.replay_title(CELL_LABELS[who], c)), key="tr_replay_chart",
             how_to_read=M.READ["replay"], predict=M.replay_predict(v.config))
    if c.step == 0:
        st.markdown(M.untrained_words(v.config, CELL_LABELS[who], float(c.held_best[-1])))


def gates_panel(v: M.TrainView, inside: M.Inside) -> None:
    kinds = list(v.models)
    pick = C.select("Model", "tr_gates_cell", kinds, "gru" if "gru" in kinds else kinds[0], labels=CELL_LABELS,
                    style="segmented", container=present.controls())
    a = inside.cells[pick].analysis
    ui.chart(FIG.gate_grid({**a.gates, "h": a.h}, limits=M.gate_limits(a)), key="tr_gates_chart",
             how_to_read=M.READ["gates"])


def keep_panel(v: M.TrainView, inside: M.Inside) -> None:
    if not (keeps := {k: c.keep for k, c in inside.cells.items() if c.keep is not None}):
        return st.info("The plain RNN has no gates: nothing decides to keep or overwrite.", icon=":material/info:")
    ui.chart(FIG.keep_heatmaps(keeps, marks=inside.marks), key="tr_keep_chart", how_to_read=M.keep_reading(v.config))


def grad_panel(v: M.TrainView, inside: M.Inside) -> None:
    ui.chart(FIG.gradient_shares({k: c.grad_share for k, c in inside.cells.items()}, marks=inside.marks),
             key="tr_grad_chart", how_to_read=M.READ["grad"], predict=M.PREDICT["grad"])
    st.markdown(M.gradient_sentence(inside))


@st.fragment(run_every=ANALYSIS_REFRESH_S if live else None)
def inside_panel() -> None:
    if (run := st.session_state[RUN_KEY]) is None:
        return
    v = run.view()
    st.subheader("Inside the trained models")
    box = present.controls()
    pct = C.select_slider("Replay: point in training (% of the run)", "tr_replay", M.replay_options(v), 100,
                          container=box, help="Only the points where a snapshot of the weights exists.")
    seq = int(C.slider("Test sequence (held out)", "tr_seq", 0, 99, 0, container=box,
                       help="Which held-out sequence to look at."))
    inside = M.look_inside(v, pct, seq)
    st.caption(M.replay_caption(v, inside, pct))
    st.markdown(M.sequence_words(v.config, inside, seq))
    view, box = C.tabs("tr_view", M.inside_views(v),      # one chart at a time: only the open tab runs
                       default="gates" if "tr_gates_cell" in st.query_params else None)   # older links
    with box:
        {"keep": keep_panel, "grad": grad_panel, "replay": replay_panel, "gates": gates_panel}[view](v, inside)


def start_sweep(delays: tuple[int, ...]) -> None:     # on_click of Compute: the settings as they are at the press
    mine = replace(st.session_state[SETTINGS_KEY], sweep_delays=delays)
    bg.follow(SWEEP_KEY, mine.sweep_key, mine.sweep_job)      # bad settings: the refusal lands in the _error slot


live_panel()
inside_panel()
st.divider()
st.subheader("How far back can each cell remember?")
with st.container(border=True):
    st.markdown(M.READ["sweep"])
    box = present.controls()
    delays = C.multiselect("Delays to train", "tr_sweep_delays", M.SWEEP_DELAYS, S.sweep_delays, style="pills",
                           container=box)
    sweeping = bg.running(SWEEP_KEY)
    row = box.container(horizontal=True)
    button(row, "Compute", "tr_sweep_btn", start_sweep, (tuple(delays),), icon=":material/play_arrow:",
           disabled=st.session_state[SETTINGS_KEY].error() is not None)
    button(row, "Stop", "tr_sweep_stop_btn", bg.leave, (SWEEP_KEY,), icon=":material/stop:", disabled=not sweeping)
    bg.show_refusal(SWEEP_KEY)


@st.fragment(run_every=LIVE_REFRESH_S * 2 if sweeping else None)
def delay_panel() -> None:
    sw = bg.watch(SWEEP_KEY)
    table, got = M.load_delay_table(), (None if sw is None else sw.view())
    if sw is not None:
        st.caption(M.sweep_caption(sw, got))
    if table is None and got is None:
        return st.info("The accuracy-against-delay table is not installed; press Compute to make one.",
                       icon=":material/info:")
    ui.chart(FIG.accuracy_vs_delay(**M.delay_chart(table, got)), key="tr_delay_chart",
             how_to_read=M.delay_reading(table), predict=M.PREDICT["delay"])
    if table:
        with st.expander("For developers: how this table was made"):
            st.markdown(M.delay_provenance(table))
    if sweeping and sw.state == "finished":
        st.rerun()


delay_panel()
