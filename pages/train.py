"""Train on a task: RNN, GRU and LSTM trained live, side by side, on the same long-memory data; then opened up."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lab import background as bg
from lab import controls as C
from lab import routing, ui
from lab.figures import training as FIG
from lab.models import train as M
from lab.theme import CELL_LABELS

RUN_KEY, SWEEP_KEY, ERROR_KEY = "_tr_run", "_tr_sweep", "_tr_error"   # session_state: the Runs shown
LIVE_REFRESH_S, ANALYSIS_REFRESH_S = 3.0, 9.0   # while training: curves / engine analysis redraw this often
S, LIM = M.Settings(), M.Settings.LIMITS

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py
ui.page_header("Train on a task", "Train a plain RNN, a GRU and an LSTM **live**, on the same data from the same "
               "seed, on a task that needs memory: remember a token through D steps of noise. Then open the trained "
               "models up: watch the GRU's update gate learn to *hold* through the delay, and the gradient reach "
               "back to the token.")


def read_settings() -> M.Settings:
    """The controls (bound to the URL as tr_*) -> Settings."""
    c1, c2, c3 = st.columns(3, gap="large")
    with c1:
        task = C.select("Task", "tr_task", S.TASKS, S.task, labels=M.TASK_TITLES,
                        help="Delayed recall: name the token shown D steps ago. Adding: add the two marked numbers "
                             "of a length-D sequence. Copy: repeat 10 symbols after a gap of D steps.")
        delay = C.slider("Delay D (steps to remember across)", "tr_delay", *LIM["delay"][:2], S.delay, LIM["delay"][2])
        cells = C.cell_kinds("tr", options=S.KINDS, default=S.cells, label="Cells to train")
    with c2:
        hidden = C.slider("Hidden size H", "tr_hidden", *LIM["hidden"][:2], S.hidden, LIM["hidden"][2])
        lr = C.select("Learning rate (Adam)", "tr_lr", M.LR_OPTIONS, S.lr, labels=lambda v: f"{v:g}",
                      help="Too large and training diverges: the run stops and keeps the best weights it had.")
        clip = C.slider("Clip gradient norm at (0 = off)", "tr_clip", *LIM["clip"][:2], S.clip, LIM["clip"][2],
                        format="%.2f", help="Pascanu et al. 2013: if ‖g‖ > c, rescale g to length c.")
        seed = C.seed("tr")
    with c3:
        stop_by = C.select("Stop after", "tr_stop", tuple(M.STOP_LABELS), S.stop_by, labels=M.STOP_LABELS,
                           style="segmented")
        n = ("steps", "Training steps") if stop_by == "steps" else ("budget", "Time budget (seconds)")
        amount = C.slider(n[1], f"tr_{n[0]}", *LIM[n[0]][:2], getattr(S, n[0]), LIM[n[0]][2])
        chrono = C.toggle("Chrono init", "tr_chrono", S.chrono,
                          help="GRU update gate and LSTM forget gate (Tallec & Ollivier 2018): keep-gate bias ~ "
                               "log U[1, T−1], so units start out remembering for up to T steps. Off: PyTorch's "
                               "default init.")
        bias = C.slider("Update-gate bias (added, + = keep)", "tr_bias", *LIM["bias"][:2], S.bias, LIM["bias"][2],
                        format="%.2f", help="Added to the GRU update-gate and the LSTM forget-gate bias.")
    return replace(S, task=task, delay=int(delay), cells=tuple(cells), hidden=int(hidden), lr=float(lr),
                   clip=float(clip), seed=int(seed), stop_by=stop_by, chrono=bool(chrono), bias=float(bias),
                   **{n[0]: amount})


def follow(slot: str, key, make_job, set_controls: dict | None = None) -> None:
    """The one start callback: leave what this session followed in ``slot``, then start or join ``key``."""
    sid = bg.session_id()
    if st.session_state.get(slot) is not None:
        bg.RUNS.leave(st.session_state[slot], sid)
    st.session_state.update(set_controls or {})
    st.session_state.pop(ERROR_KEY, None)
    try:
        st.session_state[slot] = bg.RUNS.start(key(), make_job, sid)
    except (ValueError, RuntimeError) as e:
        st.session_state[ERROR_KEY] = str(e)


def leave(slot: str) -> None:
    """The one stop callback: this session stops watching; a run nobody watches stops."""
    if st.session_state.get(slot) is not None:
        bg.RUNS.leave(st.session_state[slot], bg.session_id())


def show(run) -> None:
    leave(RUN_KEY)
    st.session_state[RUN_KEY] = run


with st.container(border=True):
    settings = read_settings()
    try:
        settings.config()
        bad = None
    except ValueError as e:
        bad = str(e)
        st.error(f"These settings cannot be trained: {bad}", icon=":material/error:")
    held = st.session_state.get(RUN_KEY) or M.pretrained(settings.task)
    live = held is not None and held.state != "finished"
    nochrono = replace(settings, chrono=False, bias=0.0)
    b = st.columns([1, 1, 1.6, 2.2, 1.2])
    b[0].button("Train", type="primary", icon=":material/play_arrow:", on_click=follow, width="stretch",
                args=(RUN_KEY, settings.key, settings.job), disabled=bad is not None, key="tr_train_btn",
                help="Train the chosen cells with these settings. Everyone who asks for the same settings follows "
                     "one shared run.")
    b[1].button("Stop", icon=":material/stop:", on_click=leave, args=(RUN_KEY,), width="stretch", disabled=not live,
                key="tr_stop_btn", help="Stop following; a run nobody follows any more stops and keeps what it learned.")
    b[2].button("Pretrained results", icon=":material/inventory_2:", on_click=show, width="stretch",
                args=(M.pretrained(settings.task),), key="tr_pretrained_btn",
                help="The shipped run, trained with the page's defaults, at once.")
    b[3].button("Same run without chrono init", icon=":material/compare_arrows:", width="stretch",
                on_click=follow, args=(RUN_KEY, nochrono.key, nochrono.job, M.NO_CHRONO),
                disabled=bad is not None, key="tr_nochrono_btn",
                help="The contrast in one click: these settings with PyTorch's default gate init.")
    C.preset_menu("Presets", "tr_preset", M.PRESETS, container=b[4])
    if ERROR_KEY in st.session_state:
        st.error(st.session_state[ERROR_KEY], icon=":material/error:")
st.session_state.setdefault(RUN_KEY, held)


def status(run, v: M.TrainView) -> None:
    """Where the run is, what stopped it, and the headline once it is done."""
    for kind, text in M.status_lines(run, v):
        getattr(st, kind)(*(text if isinstance(text, tuple) else (text,)))
    if v.finished and v.final:
        ui.headline(M.headline(v))
        lesson = M.chrono_words(v.config, v.final)
        if lesson:
            st.markdown(lesson)


@st.fragment(run_every=LIVE_REFRESH_S if live else None)
def live_panel() -> None:
    run = st.session_state[RUN_KEY]
    if run is None:
        st.info("Press **Train** to start (no pretrained checkpoint is installed).", icon=":material/info:")
        return
    bg.RUNS.touch(run, bg.session_id())
    v = run.view()
    status(run, v)
    spec, total = v.config.spec, M.total_steps(v)
    c1, c2 = st.columns(2)
    ui.chart(FIG.training_curves(M.curves(v, "accuracy"), "accuracy", total_steps=total,
                                 baseline=100 * spec.chance_accuracy,
                                 baseline_label=f"chance {100 * spec.chance_accuracy:.0f}%", y_title="accuracy"),
             key="tr_acc_chart", container=c1,
             how_to_read="Lines: accuracy on the last 20 training batches; rings: accuracy on held-out sequences "
                         "the model never trained on. The dashed line is guessing.",
             predict="Before you press Train: which cell will leave the chance line first, and which never?")
    ui.chart(FIG.training_curves(M.curves(v, "loss"), "loss", total_steps=total, baseline=spec.baseline_loss,
                                 baseline_label=f"memoryless baseline {spec.baseline_loss:.3g}",
                                 y_title=spec.loss_name), key="tr_loss_chart", container=c2,
             how_to_read="Training loss on a log scale (lower is better). The dashed line is the best a model "
                         "without memory can do; only memory gets below it.")
    if live and run.state == "finished":
        st.rerun()   # training just ended: one full rerun so the page stops polling and Stop greys out


def replay_panel(v: M.TrainView, inside: M.Inside) -> None:
    """One gated cell's keep gate and memory at the chosen snapshot, titled with that snapshot's accuracy."""
    if not v.gated:
        return
    who = C.select("Replay the memory of", "tr_replay_cell", v.gated, "gru" if "gru" in v.gated else v.gated[0],
                   labels=CELL_LABELS, style="segmented")
    c = inside.cells[who]
    ui.chart(FIG.replay_figure(c.keep, c.held_mean, who, held_best=c.held_best, marks=inside.marks,
                               title=f"{CELL_LABELS[who]} at training step {c.step}: held-out accuracy "
                                     f"{M.pct(c.accuracy)}"), key="tr_replay_chart",
             how_to_read="Top: the keep gate per unit and step. Bottom: how much of what the units held at step 1 "
                         "is still there (the running product of the keep gate), averaged over units and for the "
                         "unit that holds best. Slide the replay from 0% to 100% to watch the gate learn to hold.",
             predict=f"At 0% (untrained, {'chrono' if v.config.chrono else 'default'} init): is the memory "
                     "already held? What changes by 100%?")
    if c.step == 0:
        st.markdown(M.untrained_words(v.config, CELL_LABELS[who], float(c.held_best[-1])))


def gates_panel(v: M.TrainView, inside: M.Inside) -> None:
    with st.expander("Every gate of one model on this test sequence"):
        kinds = list(v.models)
        pick = C.select("Model", "tr_gates_cell", kinds, "gru" if "gru" in kinds else kinds[0], labels=CELL_LABELS,
                        style="segmented")
        a = inside.cells[pick].analysis
        ui.chart(FIG.gate_grid({**a.gates, "h": a.h}, limits=M.gate_limits(a)), key="tr_gates_chart",
                 how_to_read="One row per gate (or state), units down, sequence steps across. Gates run from 0 "
                             "(dark) to 1 (yellow); candidates and states from −1 (blue) to +1 (red).")


@st.fragment(run_every=ANALYSIS_REFRESH_S if live else None)
def inside_panel() -> None:
    run = st.session_state[RUN_KEY]
    if run is None:
        return
    v = run.view()
    st.subheader("Inside the trained models")
    opts = M.replay_options(v)
    pct = C.select_slider("Replay: point in training (% of the run)", "tr_replay", opts, 100,
                          help="Only the points where snapshots of the weights exist.")
    seq = int(C.slider("Test sequence (held out)", "tr_seq", 0, 99, 0, help="Which held-out sequence to look at."))
    inside = M.look_inside(v, pct, seq)
    st.caption(M.replay_caption(v, inside, pct))
    st.markdown(M.sequence_words(v.config, inside, seq))
    g1, g2 = st.columns(2)
    keeps = {k: c.keep for k, c in inside.cells.items() if c.keep is not None}
    if keeps:
        ui.chart(FIG.keep_heatmaps(keeps, marks=inside.marks), key="tr_keep_chart", container=g1,
                 how_to_read=M.keep_reading(v.config))
    else:
        g1.info("The plain RNN has no gates: nothing decides to keep or overwrite.", icon=":material/info:")
    ui.chart(FIG.gradient_shares({k: c.grad_share for k, c in inside.cells.items()}, marks=inside.marks),
             key="tr_grad_chart", container=g2,
             how_to_read="How much of the end gradient (at the query) is left at each step (log scale, exact, from "
                         "the engine); 1 at the end. A line that stays high back to the token means the model can "
                         "learn from it.", predict="Where will the RNN's line be at the token, compared with the GRU's?")
    st.markdown(M.gradient_sentence(inside))
    replay_panel(v, inside)
    gates_panel(v, inside)
    if v.finished:
        ui.download_arrays("Download the training curves (CSV)", M.curve_columns(v), "training_curves.csv",
                           key="tr_dl_curves")


live_panel()
inside_panel()
st.divider()
st.subheader("How far back can each cell remember?")
with st.container(border=True):
    st.markdown("**Or compute it for your settings**: the controls at the top, one full training run per delay "
                "(this takes a while; the dotted lines fill in as each delay finishes).")
    delays = C.multiselect("Delays to train", "tr_sweep_delays", M.SWEEP_DELAYS, S.sweep_delays, style="pills")
    sweep_settings = replace(settings, sweep_delays=tuple(delays))
    sweep = st.session_state.get(SWEEP_KEY)
    sweeping = sweep is not None and sweep.state != "finished"
    a = st.columns([1, 1, 3.5])
    a[0].button("Compute", icon=":material/play_arrow:", on_click=follow, disabled=bad is not None, width="stretch",
                args=(SWEEP_KEY, sweep_settings.sweep_key, sweep_settings.sweep_job), key="tr_sweep_btn")
    a[1].button("Stop", icon=":material/stop:", on_click=leave, args=(SWEEP_KEY,), disabled=not sweeping,
                key="tr_sweep_stop_btn", width="stretch")


@st.fragment(run_every=LIVE_REFRESH_S * 2 if sweeping else None)
def delay_panel() -> None:
    sw = st.session_state.get(SWEEP_KEY)
    if sw is not None:
        bg.RUNS.touch(sw, bg.session_id())
    table, mine = M.load_delay_table(), (None if sw is None else sw.view())
    if sw is not None:
        st.caption(M.sweep_caption(sw, mine))
    if table is None and mine is None:
        st.info("The accuracy-against-delay table is not installed; press Compute to make one for your settings.",
                icon=":material/info:")
        return
    ui.chart(FIG.accuracy_vs_delay(**M.delay_chart(table, mine)), key="tr_delay_chart",
             how_to_read=M.delay_reading(table),
             predict="Before you look: at which delay does the plain RNN drop to chance?")
    if table:
        with st.expander("For developers: how this table was made"):
            st.markdown(M.delay_provenance(table))
    if sweeping and sw.state == "finished":
        st.rerun()


delay_panel()
