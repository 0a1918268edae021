"""The GRU family side by side: parameters, cost per step, equations, gradient flow and accuracy at one budget."""
from __future__ import annotations

import streamlit as st

from lab import background as bg
from lab import controls as C
from lab import present, routing, ui
from lab.figures import compare as FIG
from lab.models import compare as M
from lab.theme import WIDE_TABLE_KEY

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

D, LIM = M.Settings(), M.Settings.LIMITS
SPEED_KEY, RUN_KEY = "_cmp_speed", "_cmp_run"

ui.page_header(
    "The GRU family side by side",
    "An RNN, a GRU, an LSTM and three lighter GRU variants and the minimal gated unit, compared on what they cost "
    "(parameters, arithmetic, time), what their gates can see, how far a gradient reaches at initialisation, and "
    "how well they learn with the same number of parameters. Every number here comes from the real models.",
)


def size_controls() -> tuple[int, int]:
    c1, c2 = present.controls(C.panel(st)).columns(2)
    return (int(C.slider("Input size I", "cmp_input", *LIM["input_size"], D.input_size, container=c1)),
            int(C.slider("Hidden size H", "cmp_hidden", *LIM["hidden"], D.hidden, container=c2)))


@st.fragment(key="cmp_sizes")
def parameters_and_cost() -> None:
    with C.reading("cmp_sizes"):
        I, H = size_controls()
    rows = M.parameters(I, H)
    st.markdown(M.params_markdown(rows))
    ui.chart(FIG.parameters_figure(rows), key="cmp_params_chart",
             how_to_read="One bar per cell: its number of trainable weights and biases at these sizes.")
    st.success(M.ratio_words(rows, I, H), icon=":material/calculate:")
    st.subheader("2. Cost per step")
    st.markdown("Multiply-adds of one step for one sequence (the two matrix products; the gate arithmetic is "
                "small beside them):\n\n" + M.cost_markdown(M.multiply_adds(I, H)))
    speed_panel(I, H)


def speed_panel(I: int, H: int) -> None:
    key = ("cmp_speed", I, H)
    run = st.session_state.get(SPEED_KEY)
    if run is not None and run.key != key:
        run = None

    def start() -> None:
        st.session_state[SPEED_KEY] = bg.RUNS.start(key, lambda: M.SpeedJob(I, H), session=bg.session_id())

    present.controls().button("Measure the time per training step", on_click=start, key="cmp_measure",
              icon=":material/timer:", disabled=run is not None and run.state != "finished")
    if run is not None:
        st.fragment(run_every=1.0 if run.state != "finished" else None)(speed_view)(run)


def speed_view(run) -> None:
    if run.state != "finished":
        bg.RUNS.touch(run, bg.session_id())
        st.progress(run.progress(), text=f"Timing every module ({M.SPEED_ROUNDS} rounds)...")
    v = run.view()
    if not v.ms:
        return
    st.caption(f"Times measured just now (median of {v.rounds} rounds, {M.SPEED_STEPS} steps, batch "
               f"{M.SPEED_BATCH}, one thread): another computer gives other times, and their ratios vary less.")
    ui.chart(FIG.speed_figure(v.ms, v.expected), key="cmp_speed_chart",
             how_to_read="Bars: measured milliseconds for one forward and backward pass (grey: PyTorch's own "
                         "modules). Diamonds: the time each would take if time followed its multiply-adds, scaled "
                         "to the lab's GRU.")
    st.info(M.speed_words(v), icon=":material/speed:")


def equations() -> None:
    st.subheader("3. The equations side by side")
    st.markdown("What each gate sees. A gate that sees neither the input nor the state is the same at every step.")
    with st.container(key=f"{WIDE_TABLE_KEY}cmp_equations"):     # on a phone: one line a row, scrolled sideways
        st.markdown(M.gates_markdown(M.gate_rows()))
        st.markdown("How the new state is made, and the part of the step Jacobian that does not go through a "
                    "weight matrix (the direct path a gradient can take):")
        st.markdown(M.state_markdown(M.KINDS))


def flow_controls() -> tuple[int, float, bool, int]:
    c1, c2, c3, c4 = present.controls(C.panel(st)).columns(4)
    return (int(C.slider("Sequence length T", "cmp_len", *LIM["length"], D.length, container=c1)),
            float(C.slider("Keep-gate bias", "cmp_bias", *LIM["bias"], D.bias, 0.5, container=c2,
                           help="Added to the bias of the gate that keeps the old state (GRU z, LSTM f, MGU f).")),
            C.toggle("Chrono init (T_max = T)", "cmp_chrono", D.chrono, container=c3), C.seed("cmp", container=c4))


@st.fragment(key="cmp_flow")
def gradient_flow() -> None:
    with C.reading("cmp_flow"):
        T, bias, chrono, seed = flow_controls()
    H = min(int(st.session_state.get("cmp_hidden", D.hidden)), 128)
    res = M.flow(M.KINDS, H, T, bias, chrono, seed)
    ui.chart(FIG.flow_figure(res.k, res.share), key="cmp_flow_chart",
             how_to_read=f"How much of the gradient at the last step is still there k steps back (log scale), for "
                         f"every cell at initialisation, same noise input and seed, H = {H}.")
    st.info(M.flow_words(res) + M.no_bias_words(res), icon=":material/trending_down:")


def training_controls() -> M.Settings:
    c1, c2, c3, c4, c5 = present.controls(C.panel(st)).columns(5)
    return M.Settings(budget=int(C.slider("Parameter budget", "cmp_budget", *LIM["budget"], D.budget, 1000,
                                          container=c1)),
                      task=C.select("Task", "cmp_task", M.Settings.TASKS, D.task, labels=M.TASK_TITLES, container=c2),
                      delay=int(C.slider("Delay D", "cmp_delay", *LIM["delay"], D.delay, container=c3)),
                      steps=int(C.slider("Training steps", "cmp_steps", *LIM["steps"], D.steps, 20, container=c4)),
                      train_chrono=C.toggle("Chrono init", "cmp_tchrono", D.train_chrono, container=c5),
                      seed=int(st.session_state.get("cmp_seed", D.seed)))


@st.fragment(key="cmp_accuracy")
def accuracy() -> None:
    with C.reading("cmp_accuracy"):
        s = training_controls()
    matches = M.matched_sizes(s.budget, M.train_config(s).spec.input_size)
    st.markdown(M.sizes_markdown(matches))
    if (problem := M.budget_problems(matches)):
        st.warning(problem, icon=":material/warning:")
    training(s)


def training(s: M.Settings) -> None:
    key = M.run_key(s, M.KINDS)
    run = st.session_state.get(RUN_KEY)
    run = run if run is not None and run.key == key else None

    def start() -> None:
        st.session_state[RUN_KEY] = bg.RUNS.start(key, lambda: M.CompareJob(s, M.KINDS), session=bg.session_id())

    def stop() -> None:
        bg.RUNS.leave(st.session_state[RUN_KEY], bg.session_id())

    live = run is not None and run.state != "finished"
    b1, b2 = present.controls().columns(2)
    b1.button("Train all seven", type="primary", icon=":material/play_arrow:", on_click=start, disabled=live,
              key="cmp_train", width="stretch", help="Same task, batches and seed for every cell.")
    b2.button("Stop", icon=":material/stop:", on_click=stop, disabled=not live, key="cmp_stop", width="stretch")
    if run is not None:
        st.fragment(run_every=2.0 if live else None)(training_view)(run, s)


def training_view(run, s: M.Settings) -> None:
    if run.state != "finished":
        bg.RUNS.touch(run, bg.session_id())
        st.progress(run.progress(), text=M.progress_words(run))
    elif run.note:
        st.warning(f"The run ended early: {run.note}. What was learned so far is shown.", icon=":material/stop:")
    res = M.accuracy_result(run.view(), M.train_config(s).spec.chance_accuracy)
    for k, msg in res.messages.items():
        if msg:
            st.warning(f"{M.LABELS[k]}: {msg}", icon=":material/warning:")
    c1, c2 = st.columns(2)
    with c1:
        ui.chart(FIG.accuracy_figure(res.kinds, res.accuracy, chance=res.chance, y_title="held-out accuracy"),
                 key="cmp_acc_chart", how_to_read="Accuracy on sequences none of them trained on (dotted: chance).")
    with c2:
        ui.chart(FIG.curves_figure(res.curves, s.steps, chance=res.chance), key="cmp_curves_chart",
                 how_to_read="Held-out accuracy while training, measured every 50 steps.")
    st.info(M.accuracy_words(res), icon=":material/emoji_events:")


def shipped_table() -> None:
    table = M.load_table()
    if table is None:
        st.caption("No shipped table in this installation.")
        return
    ui.chart(FIG.table_figure(table["delays"], table["cells"], chance=M.table_chance(table)), key="cmp_table_chart",
             how_to_read=M.table_caption(table))
    st.info(M.table_words(table), icon=":material/table_chart:")


# Fixed text (headings, the formula) and the controls are written by the full run, outside the fragments; a control
# reruns only the fragment it drives (lab.controls.driving), so a move redraws only what it changes.
st.subheader("1. Parameters")
st.latex(r"P = G_x\,H I + G_h\,H^2 + 2\,G_b\,H")   # short enough for a phone's column; the G's in words:
st.markdown("with $G = 3$ for a GRU, $4$ for an LSTM and $1$ for an RNN.")
with C.driving("cmp_sizes"):
    size_controls()
parameters_and_cost()
equations()
st.subheader("4. Gradient flow at initialisation")
with C.driving("cmp_flow"):
    flow_controls()
gradient_flow()
st.subheader("5. Accuracy with the same number of parameters")
with C.driving("cmp_accuracy"):
    training_controls()
accuracy()
shipped_table()
