"""Train on a task: RNN, GRU and LSTM trained live, side by side, on the same long-memory data; then opened up."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from gru_core import train as TR
from gru_core.tasks import DELAY_MAX, TASK_TITLES, TASKS
from lab import controls as C
from lab import routing, ui
from lab.cache import engine_cache
from lab.figures.common import sci
from lab.figures.training import (accuracy_vs_delay, gate_grid, gradient_norms, keep_heatmaps, replay_figure,
                                  training_curves)
from lab.theme import CELL_LABELS

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "checkpoints"
DELAY_TABLE = CHECKPOINTS / "accuracy_vs_delay.json"
RUN_KEY = "_tr_run"             # session_state: the run shown (a live Trainer or a PretrainedRun); kept across pages
ERROR_KEY = "_tr_error"
LIVE_REFRESH_S = 3.0            # progress and curves redraw this often while training
ANALYSIS_REFRESH_S = 9.0        # the engine analysis below them only this often (it is the costly part)
LIVE_ANALYSIS_EVERY = 100       # while training, the analysis follows the newest snapshot at a multiple of this
LR_OPTIONS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
STOP_LABELS = {"steps": "steps", "time": "time budget"}
MARK_WORDS = {"recall": "the token at t = 1 and the query at the last step",
              "copy": "the last symbol to copy and the delimiter"}
D = TR.TrainConfig()            # the defaults: the CLI and the benchmarks use the same

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

ui.page_header(
    "Train on a task",
    "Train a plain RNN, a GRU and an LSTM **live**, on the same data from the same seed, on a task that needs "
    "memory: remember a token through D steps of noise. Then open the trained models up: watch the GRU's update "
    "gate learn to *hold* through the delay, and the gradient reach back to the token.",
)


# ---------------------------------------------------------------------------------------------------------------
# Data that does not depend on the session

@engine_cache(max_entries=4)
def _load_checkpoint(name: str, mtime: float) -> TR.PretrainedRun:
    return TR.load_checkpoint(CHECKPOINTS / f"{name}.npz")


def load_pretrained(name: str) -> TR.PretrainedRun | None:
    """The shipped checkpoint ``checkpoints/<name>.npz`` (cached per file version), or None if not installed."""
    path = CHECKPOINTS / f"{name}.npz"
    return _load_checkpoint(name, path.stat().st_mtime) if path.exists() else None


@engine_cache(max_entries=2)
def _read_json(path: str, mtime: float) -> dict:
    import json

    return json.loads(Path(path).read_text())


def load_delay_table(path: Path) -> dict | None:
    return _read_json(str(path), path.stat().st_mtime) if path.exists() else None


@engine_cache(max_entries=64)
def pretrained_analysis(name: str, kind: str, index: int, seq: int) -> TR.Analysis:
    run = load_pretrained(name)
    snap = run.snapshot(kind, index)
    return TR.analyse(kind, run.config, snap.params, snap.step, seq)


def pretrained_name(task: str) -> str:
    return f"{task}_default"


# ---------------------------------------------------------------------------------------------------------------
# Controls

controls = st.container(border=True)
c1, c2, c3 = controls.columns(3, gap="large")
with c1:
    task = C.select("Task", "tr_task", TASKS, D.task, labels=TASK_TITLES,
                    help="Delayed recall: name the token shown D steps ago. Adding: add the two marked numbers of "
                         "a length-D sequence. Copy: repeat 10 symbols after a gap of D steps.")
    delay = int(C.slider("Delay D (steps to remember across)", "tr_delay", 5, DELAY_MAX, D.delay, 5,
                         help=f"Up to {DELAY_MAX}. Training time grows with D."))
    cells = C.cell_kinds("tr", options=TR.CELLS, default=TR.CELLS, label="Cells to train")
with c2:
    hidden = int(C.slider("Hidden size H", "tr_hidden", 4, 128, D.hidden_size, 4))
    lr = C.select("Learning rate (Adam)", "tr_lr", LR_OPTIONS, D.lr, labels=lambda v: f"{v:g}",
                  help="Too large and training diverges: the run stops and keeps the best weights it had.")
    clip = float(C.slider("Clip gradient norm at (0 = off)", "tr_clip", 0.0, 10.0, D.clip, 0.25, format="%.2f",
                          help="Pascanu et al. 2013: if ||g|| > c, rescale g to length c."))
    seed = C.seed("tr")
with c3:
    stop_by = C.select("Stop after", "tr_stop", tuple(STOP_LABELS), "steps", labels=STOP_LABELS, style="segmented")
    if stop_by == "steps":
        steps = int(C.slider("Training steps", "tr_steps", 50, 5000, D.steps, 50,
                             help="Each step: one batch of 64 sequences for every cell."))
        budget = None
    else:
        budget = float(C.slider("Time budget (seconds)", "tr_budget", 5, 300, 30, 5))
        steps = TR.LIMITS["steps"][1]
    chrono = C.toggle("Chrono init", "tr_chrono", D.chrono,
                      help="GRU update gate and LSTM forget gate. Tallec & Ollivier 2018: keep-gate bias ~ "
                           "log U[1, T-1] (T = sequence length), so units start out remembering for up to T steps. "
                           "Off: PyTorch's default init.")
    bias = float(C.slider("Update-gate bias (added, + = keep)", "tr_bias", -4.0, 8.0, D.update_bias, 0.25,
                          format="%.2f", help="Added to the GRU update-gate bias and the LSTM forget-gate bias. "
                                              "The RNN has no gate."))

config_error = None
try:
    config = TR.TrainConfig(task=task, delay=delay, hidden_size=hidden, lr=float(lr), steps=steps,
                            time_budget=budget, clip=clip, chrono=bool(chrono), update_bias=bias, seed=int(seed))
except ValueError as e:
    config, config_error = None, str(e)

run = st.session_state.get(RUN_KEY)


def _start() -> None:
    old = st.session_state.get(RUN_KEY)
    if old is not None:
        old.request_stop()
    st.session_state.pop(ERROR_KEY, None)
    try:
        tr = TR.Trainer(config, tuple(cells))
    except (ValueError, RuntimeError) as e:
        st.session_state[ERROR_KEY] = str(e)
        return
    tr.start()
    st.session_state[RUN_KEY] = tr


def _stop() -> None:
    r = st.session_state.get(RUN_KEY)
    if r is not None:
        r.request_stop()


def _show_pretrained() -> None:
    pre = load_pretrained(pretrained_name(task)) or load_pretrained(pretrained_name(D.task))
    if pre is not None:
        old = st.session_state.get(RUN_KEY)
        if old is not None:
            old.request_stop()
        st.session_state[RUN_KEY] = pre


with controls:
    if config_error:
        st.error(f"These settings cannot be trained: {config_error}", icon=":material/error:")
    b1, b2, b3, _ = st.columns([1, 1, 1.7, 2.3])
    is_running = run is not None and run.running
    b1.button("Train", type="primary", icon=":material/play_arrow:", on_click=_start, width="stretch",
              disabled=config is None, key="tr_train_btn",
              help="Start training the chosen cells with these settings (a running run is stopped first).")
    b2.button("Stop", icon=":material/stop:", on_click=_stop, width="stretch", disabled=not is_running,
              key="tr_stop_btn", help="Stop now and keep what was learned so far.")
    b3.button("Pretrained results", icon=":material/inventory_2:", on_click=_show_pretrained,
              width="stretch", key="tr_pretrained_btn",
              help="Load the shipped checkpoint (trained with the page's defaults) at once.")
    if ERROR_KEY in st.session_state:
        st.error(st.session_state[ERROR_KEY], icon=":material/error:")

if run is None:   # a teacher sees trained results at once: start from the shipped checkpoint
    run = load_pretrained(pretrained_name(D.task))
    if run is not None:
        st.session_state[RUN_KEY] = run


# ---------------------------------------------------------------------------------------------------------------
# Live part: progress, curves, analysis (a fragment that polls the background trainer)

def _describe(cfg: TR.TrainConfig) -> str:
    stop = f"{cfg.steps} steps" if cfg.time_budget is None else f"{cfg.time_budget:g} s"
    init = "chrono init" if cfg.chrono else "default init"
    if cfg.update_bias:
        init += f", gate bias {cfg.update_bias:+g}"
    return (f"{TASK_TITLES[cfg.task]}, D = {cfg.delay}, H = {cfg.hidden_size}, learning rate {cfg.lr:g}, "
            f"clip {cfg.clip:g}, {init}, seed {cfg.seed}, {stop}")


def _snapshot_index(steps: list[int], fraction: float, live: bool) -> int:
    """Index of the snapshot nearest ``fraction`` of the run; while training, only multiples of
    LIVE_ANALYSIS_EVERY (so the engine analysis is redone every few seconds, not every poll)."""
    if not steps:
        return 0
    target = fraction * steps[-1]
    idx = [i for i, s in enumerate(steps) if not live or s % LIVE_ANALYSIS_EVERY == 0] or [len(steps) - 1]
    return min(idx, key=lambda i: (abs(steps[i] - target), -steps[i]))


def _analysis(r, kind: str, index: int, seq: int) -> TR.Analysis:
    if isinstance(r, TR.PretrainedRun):
        return pretrained_analysis(r.name, kind, index, seq)
    return r.analysis(kind, index, seq)


def _marks(cfg: TR.TrainConfig) -> list[tuple[int, str]]:
    spec = cfg.spec
    if cfg.task == "recall":
        return [(1, "token"), (spec.seq_len, "query")]
    if cfg.task == "copy":
        return [(10, "symbols end"), (spec.seq_len - 10, "delimiter")]
    return []


live_now = run is not None and run.running


@st.fragment(run_every=LIVE_REFRESH_S if live_now else None)
def live_panel() -> None:
    r = st.session_state.get(RUN_KEY)
    if r is None:
        st.info("Press **Train** to start (no pretrained checkpoint is installed).", icon=":material/info:")
        return
    cfg = r.config
    spec = cfg.spec
    views = r.view()
    running = r.running
    pre = isinstance(r, TR.PretrainedRun)
    # -- status
    if pre:
        st.markdown(f":material/inventory_2: **Pretrained checkpoint** ({_describe(cfg)}). Press **Train** to "
                    "train with your own settings.")
    elif running and r.waiting:
        st.info("Waiting for a free training slot (other students are training); starts in a moment.",
                icon=":material/hourglass_top:")
    else:
        st.markdown(f"**Run:** {_describe(cfg)}.")
    steps_done = max((len(v.history.step) for v in views.values()), default=0)
    elapsed = r.seconds
    if running:
        st.progress(r.progress(), text=f"Training: step {r.step} of "
                    f"{cfg.steps if cfg.time_budget is None else '?'}, {elapsed:.0f} s")
    else:
        st.progress(1.0, text=f"Finished: {steps_done} steps in {elapsed:.1f} s ({r.stop_reason or 'done'})")
    for k, v in views.items():
        if v.status == "diverged":
            st.error(f"{CELL_LABELS[k]}: {v.message}", icon=":material/error:")
        elif v.status == "stopped" and v.message:
            st.warning(f"{CELL_LABELS[k]}: {v.message}; the result so far is kept.", icon=":material/pause:")
        elif v.message:
            st.caption(f"{CELL_LABELS[k]}: {v.message}.")
    if getattr(r, "error", ""):
        st.error(f"Training stopped by an error: {r.error}", icon=":material/error:")
    # -- headline
    if r.finished and r.final:
        parts = [f"{CELL_LABELS[k]} {100 * f['accuracy']:.1f}%" for k, f in r.final.items()]
        ui.headline(f"Held-out accuracy after training ({TR.EVAL_SIZE} new sequences): " + ", ".join(parts)
                    + f". Chance is {100 * spec.chance_accuracy:.1f}%.")
    # -- curves
    hist = {k: v.history.arrays() for k, v in views.items()}
    total = cfg.steps if cfg.time_budget is None else max(steps_done, 1)
    c1, c2 = st.columns(2)
    ui.chart(training_curves(hist, "accuracy", total_steps=total, baseline=spec.chance_accuracy,
                             baseline_label=f"chance {100 * spec.chance_accuracy:.0f}%", y_title="accuracy"),
             key="tr_acc_chart", container=c1,
             how_to_read="Lines: accuracy on the last 20 training batches; rings: accuracy on held-out sequences "
                         "the model never trained on. The dashed line is guessing.",
             predict="Before you press Train: which cell will leave the chance line first, and which never?")
    ui.chart(training_curves(hist, "loss", total_steps=total, baseline=spec.baseline_loss,
                             baseline_label="memoryless baseline", y_title=spec.loss_name),
             key="tr_loss_chart", container=c2,
             how_to_read=f"Training loss on a log scale (lower is better). The dashed line is the best a model "
                         f"without memory can do ({spec.baseline_loss:.3g}); only memory gets below it.")
    if r.finished and running is False and live_now:
        st.rerun()   # training just ended: one full rerun so the page stops polling and the Stop button greys out


@st.fragment(run_every=ANALYSIS_REFRESH_S if live_now else None)
def analysis_panel() -> None:
    r = st.session_state.get(RUN_KEY)
    if r is None:
        return
    cfg = r.config
    spec = cfg.spec
    views = r.view()
    running = r.running
    # -- analysis of the snapshot picked by the replay slider
    st.subheader("Inside the trained models")
    frac = C.slider("Replay: point in training (% of the run)", "tr_replay", 0, 100, 100, 1,
                    help="Slide back to see the gates and gradients as they were earlier in training.")
    seq = int(C.slider("Test sequence (held out)", "tr_seq", 0, 99, 0,
                       help="Which held-out sequence to run the models on."))
    kinds = list(views)
    analyses: dict[str, TR.Analysis] = {}
    for k in kinds:
        idx = _snapshot_index(views[k].snapshot_steps, frac / 100.0, running)
        analyses[k] = _analysis(r, k, idx, seq)
    shown_steps = ", ".join(f"{CELL_LABELS[k]} at step {a.step}" for k, a in analyses.items())
    st.caption(f"Snapshots shown: {shown_steps}." + (f" While training, this part follows every "
                                                     f"{LIVE_ANALYSIS_EVERY} steps and redraws every "
                                                     f"{ANALYSIS_REFRESH_S:g} s." if running else ""))
    ok = "; ".join(f"{CELL_LABELS[k]} {'right' if a.correct >= 0.5 else 'wrong'} (loss {a.loss:.3g})"
                   if spec.kind != "classify_seq" else f"{CELL_LABELS[k]} {100 * a.correct:.0f}% of symbols"
                   for k, a in analyses.items())
    st.markdown(f"On this test sequence: {ok}.")
    marks = _marks(cfg)
    keeps = {k: TR.keep_share(a) for k, a in analyses.items() if TR.keep_share(a) is not None}
    g1, g2 = st.columns(2)
    if keeps:
        ui.chart(keep_heatmaps(keeps, marks=marks), key="tr_keep_chart", container=g1,
                 how_to_read="Each row is one hidden unit, each column a step of the test sequence"
                             + (f" (dotted lines: {MARK_WORDS[cfg.task]})" if cfg.task in MARK_WORDS else "")
                             + ". Bright = the gate keeps the old state "
                             "(h_t ≈ h_{t−1}); a unit that stays bright from the token to the query holds the memory.")
    else:
        g1.info("The plain RNN has no gates: nothing decides to keep or overwrite.", icon=":material/info:")
    ui.chart(gradient_norms({k: a.grad_norm for k, a in analyses.items()}, marks=marks), key="tr_grad_chart",
             container=g2,
             how_to_read="How strongly the loss at the end reaches back to each step (log scale, exact, from the "
                         "engine). A line that stays high back to the token means the model can learn from it.",
             predict="Where will the RNN's line be at the token, compared with the GRU's?")
    heads = []
    for k, a in analyses.items():
        g = a.grad_norm
        if g.size and np.isfinite(g[-1]) and g[-1] > 0:
            heads.append(f"{CELL_LABELS[k]} keeps {sci(float(g[0] / g[-1]))} of its end gradient at step 1")
    if heads:
        st.markdown("; ".join(heads) + ".")
    # -- replay of one gated cell
    gated = [k for k in kinds if k in keeps]
    if gated:
        who = C.select("Replay the memory of", "tr_replay_cell", ["gru", "lstm"], "gru", labels=CELL_LABELS,
                       style="segmented")
        if who not in gated:
            who = gated[0]
        a = analyses[who]
        step_acc = ""
        h = views[who].history
        if h.eval_step:
            i = int(np.argmin(np.abs(np.asarray(h.eval_step) - a.step)))
            step_acc = f", held-out accuracy then {100 * h.eval_acc[i]:.0f}%"
        ui.chart(replay_figure(TR.keep_share(a), TR.retention(a), who, best=TR.retention(a, "max"),
                               title=f"{CELL_LABELS[who]} at training step {a.step}{step_acc}", marks=marks),
                 key="tr_replay_chart",
                 how_to_read="Top: the keep gate per unit and step. Bottom: how much of what the units held at step "
                             "1 is still there (the running product of the keep gate): averaged over units (solid), "
                             "and for the unit that holds best (dashed)"
                             + (f"; dotted lines: {MARK_WORDS[cfg.task]}" if cfg.task in MARK_WORDS else "")
                             + ". Slide the replay from 0% to 100% to watch the gate learn to hold through the delay.",
                 predict="At 0% (untrained, chrono init) is the memory already held? What changes by 100%?")
    with st.expander("Every gate of one model on this test sequence"):
        pick = C.select("Model", "tr_gates_cell", TR.CELLS, "gru", labels=CELL_LABELS, style="segmented")
        if pick not in analyses:
            st.info(f"{CELL_LABELS[pick]} was not trained in this run.", icon=":material/info:")
        else:
            a = analyses[pick]
            gates = dict(a.gates) if a.gates else {}
            gates["h"] = a.h
            ui.chart(gate_grid(gates), key="tr_gates_chart",
                     how_to_read="One row per gate (or state), units down, sequence steps across. Gates run from 0 "
                                 "(dark) to 1 (yellow); candidates and states from −1 (blue) to +1 (red). "
                                 + ("The plain RNN has only its state h." if pick == "rnn" else ""))
    if not running:
        ui.download_arrays("Download the training curves (CSV)", _curve_columns(views), "training_curves.csv",
                           key="tr_dl_curves")


def _curve_columns(views) -> dict[str, np.ndarray]:
    n = max(len(v.history.step) for v in views.values())
    cols = {"step": np.arange(1, n + 1)}
    for k, v in views.items():
        for name in ("loss", "acc", "grad_norm"):
            a = np.full(n, np.nan)
            vals = np.asarray(getattr(v.history, name), dtype=np.float64)
            a[:vals.size] = vals
            cols[f"{k}_{name}"] = a
    return cols


live_panel()
analysis_panel()


# ---------------------------------------------------------------------------------------------------------------
# Accuracy against delay (shipped table, produced by scripts/make_delay_table.py)

st.divider()
st.subheader("How far back can each cell remember?")
SWEEP_KEY = "_tr_sweep"
SWEEP_DELAYS = (5, 10, 25, 50, 100, 150, 200, 300)
table = load_delay_table(DELAY_TABLE)
s1 = st.container()
s2 = st.container(border=True)
with s2:
    st.markdown("**Or compute it for your settings**: the controls at the top, one full training run per delay "
                "(this takes a while; the dotted lines fill in as each delay finishes).")
    sweep_delays = C.multiselect("Delays to train", "tr_sweep_delays", SWEEP_DELAYS, (10, 50, 100), style="pills",
                                 min_selections=1)


def _start_sweep() -> None:
    old = st.session_state.get(SWEEP_KEY)
    if old is not None:
        old.request_stop()
    try:
        sw = TR.DelaySweep(config, tuple(cells), delays=tuple(sorted(sweep_delays)))
    except ValueError as e:
        st.session_state[ERROR_KEY] = str(e)
        return
    sw.start()
    st.session_state[SWEEP_KEY] = sw


def _stop_sweep() -> None:
    sw = st.session_state.get(SWEEP_KEY)
    if sw is not None:
        sw.request_stop()


sweep = st.session_state.get(SWEEP_KEY)
sweep_live = sweep is not None and sweep.running
with s2:
    a1, a2, _ = st.columns([1, 1, 3.5])
    a1.button("Compute", icon=":material/play_arrow:", on_click=_start_sweep, disabled=config is None,
              key="tr_sweep_btn", width="stretch")
    a2.button("Stop", icon=":material/stop:", on_click=_stop_sweep, disabled=not sweep_live,
              key="tr_sweep_stop_btn", width="stretch")


@st.fragment(run_every=LIVE_REFRESH_S * 2 if sweep_live else None)
def delay_panel() -> None:
    sw = st.session_state.get(SWEEP_KEY)
    mine = None
    if sw is not None:
        done, acc = sw.results()
        mine = (done, acc)
        if sw.running:
            st.progress(sw.progress(), text=f"Your sweep: {len(done)} of {len(sw.delays)} delays done, "
                                            f"{sw.seconds:.0f} s")
        else:
            st.caption(f"Your sweep ({_describe(sw.config)}; delays {', '.join(map(str, sw.delays))}): "
                       f"{len(done)} of {len(sw.delays)} delays done in {sw.seconds:.0f} s"
                       + (f"; stopped: {sw.error}" if sw.error else "") + ".")
    if table is None and mine is None:
        st.info("The accuracy-versus-delay table is not installed (run scripts/make_delay_table.py); press "
                "Compute to make one for your settings.", icon=":material/info:")
    else:
        delays = table["delays"] if table else []
        acc = {k: np.asarray(v["mean"]) for k, v in table["cells"].items()} if table else {}
        spread = {k: (np.asarray(v["min"]), np.asarray(v["max"])) for k, v in table["cells"].items()} if table else None
        chance = table["chance"] if table else (sw.config.spec.chance_accuracy)
        how = ("Solid: held-out accuracy after {steps} training steps with the page's defaults, mean of seeds "
               "{seeds} (bars: lowest to highest seed). Dotted: your own sweep. Where a line falls to the dashed "
               "chance line, that cell no longer remembers.").format(
                   steps=table["config"]["steps"] if table else "?",
                   seeds=", ".join(map(str, table["seeds"])) if table else "-")
        ui.chart(accuracy_vs_delay(delays, acc, chance=chance, spread=spread, mine=mine), key="tr_delay_chart",
                 how_to_read=how, predict="Before you look: at which delay does the plain RNN drop to chance?")
        if table:
            st.caption(f"Precomputed by `scripts/make_delay_table.py` ({table.get('seconds', 0):.0f} s of training "
                       f"on a 2-core machine); settings: {_describe(TR.TrainConfig(**table['config']))}, "
                       f"delays {', '.join(map(str, table['delays']))}.")
    if sw is not None and sw.finished and sweep_live:
        st.rerun()


with s1:
    delay_panel()
