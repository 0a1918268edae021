"""Step through a GRU: one time step at a time, every gate and every number, the diagram and the engine's code."""
import time

import numpy as np
import streamlit as st

import gru_core
from lab import controls as C
from lab import equations as E
from lab import inside_gru as G
from lab import routing, ui
from lab.cache import engine_cache
from lab.figures.common import sci
from lab.figures.stepper import cell_diagram, convention_figure, step_context

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

DEFAULT_SEQ = "1, 0, 0, 0, -1, 0.5, 0.5, 0, 0, 1"
PLAY_INTERVAL_S = 1.2
DEFAULT_STEP = 4
SOURCE_LABELS = {"signal": "Signal", "typed": "Typed"}
MIX_LABELS = {"torch": "PyTorch / Cho: h = z·h_prev + (1−z)·n", "wiki": "Chung / Wikipedia: h = (1−z)·h_prev + z·n"}
RESET_LABELS = {"after": "reset after the matmul (PyTorch)", "before": "reset before the matmul (Cho 2014)"}


@engine_cache(max_entries=32)
def conventions(H: int, I: int, seed: int, source: str, signal: str, steps: int, amplitude: float,
                typed: tuple[float, ...] | None) -> dict:
    """The seeded GRU on the chosen input under all four conventions: (mix, reset) -> lab.inside_gru.Run."""
    if source == "typed":
        x = np.asarray(typed, dtype=np.float64).reshape(-1, I)
    else:
        x = gru_core.signal(signal, steps, I, seed=seed, at=min(2, steps - 1), amplitude=amplitude, period=12.0)
    return G.convention_runs(gru_core.make_cell("gru", I, H, seed=seed), x)


ui.page_header(
    "Step through a GRU",
    "Watch one GRU step happen with the engine's real numbers: which gate opened, what the candidate was, and how "
    "the new state was mixed from the old one and the candidate. Pick a step and a unit (or press Play); every "
    "equation below is shown as symbols and with that step's numbers in place.",
)

# ----------------------------------------------------------------------------------------------- model and input
with st.container(border=True):
    c_h, c_i, c_seed, c_src = st.columns([1, 1, 0.8, 1], gap="medium")
    H = C.slider("Hidden size H", "st_hidden", 1, 8, 3, help="Number of units in the GRU.", container=c_h)
    I = C.slider("Input size I", "st_input", 1, 4, 1, help="Number of input channels per step.", container=c_i)
    seed = C.seed("st", container=c_seed)
    source = C.select("Input", "st_source", ["signal", "typed"], "signal", labels=SOURCE_LABELS,
                      style="segmented", container=c_src)
    x_typed, typed_error = None, None
    if source == "signal":
        c_sig, c_len, c_amp = st.columns(3, gap="medium")
        signal = C.signal_picker("st", default="sine", container=c_sig)
        steps = C.slider("Sequence length T", "st_len", 3, 60, 20, container=c_len)
        amplitude = C.slider("Amplitude", "st_amp", 0.1, 3.0, 1.0, 0.1, format="%.1f",
                             help="Scale of the input signal.", container=c_amp)
    else:
        signal, steps, amplitude = "sine", 20, 1.0
        hint = ("numbers separated by commas, e.g. `1, 0, -0.5`" if I == 1 else
                f"steps separated by `;`, each with {I} comma-separated numbers, e.g. "
                f"`{'; '.join([', '.join(['1'] + ['0'] * (I - 1))] * 2)}`")
        text = C.text("Typed sequence", "st_seq", DEFAULT_SEQ if I == 1 else "; ".join(["1" + ", 0" * (I - 1)] * 4),
                      max_chars=2000, help=f"Up to {G.MAX_TYPED_STEPS} steps: {hint}.")
        x_typed, typed_error = G.parse_sequence(text, I)
        if typed_error:
            st.error(f"{typed_error} Expected {hint}. Showing the default sequence meanwhile.",
                     icon=":material/error:")
            x_typed, _ = G.parse_sequence(DEFAULT_SEQ, 1)
            x_typed = np.repeat(x_typed, I, axis=1) if I > 1 else x_typed
    c_mix, c_reset = st.columns(2, gap="medium")
    mix = C.select("Mixing convention", "st_mix", ["torch", "wiki"], "torch", labels=MIX_LABELS, style="radio",
                   help="Which share z stands for. The two are the same model with z relabelled as 1 − z.",
                   container=c_mix)
    reset = C.select("Reset placement", "st_reset", ["after", "before"], "after", labels=RESET_LABELS,
                     style="radio", help="Where r multiplies: after W_hn h (PyTorch) or before it (Cho 2014). "
                                         "These are different models.", container=c_reset)

typed = tuple(float(v) for v in x_typed.ravel()) if source == "typed" else None
runs = conventions(H, I, int(seed), source, signal, steps, float(amplitude), typed)
run = runs[(mix, reset)]
T = run.steps

# ----------------------------------------------------------------------------------------------- step navigation
# Keep the step and unit in range when T or H shrank (before their widgets exist on this run).
if "_st_next_t" in st.session_state:                       # a step chosen by the play timer
    st.session_state["st_t"] = st.session_state.pop("_st_next_t")
if st.session_state.get("st_t", min(DEFAULT_STEP, T)) > T:
    st.session_state["st_t"] = T
if st.session_state.get("st_unit", 1) > H:
    st.session_state["st_unit"] = H


def _move(delta: int) -> None:
    st.session_state["st_t"] = int(min(max(st.session_state.get("st_t", min(DEFAULT_STEP, T)) + delta, 1), T))
    st.session_state["_st_playing"] = False


def _toggle_play() -> None:
    playing = not st.session_state.get("_st_playing", False)
    if playing and st.session_state.get("st_t", min(DEFAULT_STEP, T)) >= T:
        st.session_state["st_t"] = 1                         # play again from the start
    st.session_state["_st_playing"] = playing
    st.session_state["_st_last_tick"] = time.monotonic()


with st.container(border=True):
    n1, n2, n3 = st.columns([2.2, 1, 2], gap="medium", vertical_alignment="bottom")
    with n1:
        t = C.slider("Time step t", "st_t", 1, max(T, 2), min(DEFAULT_STEP, T),
                     help="h_t is the state after reading x_t.", disabled=T < 2)
        t = min(int(t), T)
    with n2:
        unit = C.select("Unit", "st_unit", list(range(1, H + 1)), 1, labels=lambda j: f"unit {j}") - 1
    with n3:
        playing = st.session_state.get("_st_playing", False)
        b1, b2, b3 = st.columns(3)
        b1.button("Back", key="st_prev", icon=":material/skip_previous:", on_click=_move, args=(-1,),
                  disabled=t <= 1, width="stretch", help="One step back")
        b2.button("Pause" if playing else "Play", key="st_play", on_click=_toggle_play, width="stretch",
                  icon=":material/pause:" if playing else ":material/play_arrow:",
                  help=f"Advance one step every {PLAY_INTERVAL_S:g} s until the last step")
        b3.button("Next", key="st_next", icon=":material/skip_next:", on_click=_move, args=(1,),
                  disabled=t >= T, width="stretch", help="One step forward")


@st.fragment(run_every=PLAY_INTERVAL_S if st.session_state.get("_st_playing") else None)
def _ticker() -> None:
    """While playing: advance the step on each timer tick and rerun the page (stops at the last step)."""
    if not st.session_state.get("_st_playing"):
        return
    now = time.monotonic()
    if now - st.session_state.get("_st_last_tick", 0.0) < 0.8 * PLAY_INTERVAL_S:
        return                                               # this is the page's own run, not a timer tick
    st.session_state["_st_last_tick"] = now
    cur = st.session_state.get("st_t", min(DEFAULT_STEP, T))
    if cur >= T:
        st.session_state["_st_playing"] = False
    else:
        st.session_state["_st_next_t"] = cur + 1
        if cur + 1 >= T:
            st.session_state["_st_playing"] = False
    st.rerun(scope="app")


_ticker()

terms = E.step_terms(run.params, run.x[t - 1], run.h_prev(t), unit, t=t, mix=mix, reset=reset)
engine_vals = np.array([run.r[t - 1, unit], run.z[t - 1, unit], run.n[t - 1, unit], run.h[t - 1, unit]])
eq_vals = np.array([terms.r, terms.z, terms.n, terms.h])
agree = float(np.max(np.abs(engine_vals - eq_vals)))

# ----------------------------------------------------------------------------------------------- diagram
ui.chart(
    cell_diagram(terms), key="st_diagram",
    predict="Before you press Next: will the memory line along the top keep its colour through the × node, or "
            "take the colour of the candidate n?",
    how_to_read="One unit of the GRU at step t: the memory $h_{t-1}$ runs along the top to $h_t$, the gates (σ) "
                "and the candidate (tanh) sit below and are fed by $[h_{t-1}, x_t]$; every part is coloured by its "
                "current value, gates from dark (0, closed) to yellow (1, open), states from blue (−1) to red (+1).",
    alt="Diagram of the GRU cell coloured by the current values",
)

# ----------------------------------------------------------------------------------------------- equations + code
st.subheader(f"The four equations at step t = {t}, unit {unit + 1}")
q1, q2 = st.columns([1.35, 1], gap="large")
sym = E.symbolic_equations(mix, reset)
num = E.numeric_equations(terms)
names = {"r": "Reset gate: how much of the old state the candidate may look at",
         "z": ("Update gate: share of the old state kept" if mix == "torch" else
               "Update gate: share of the new candidate written"),
         "n": "Candidate state",
         "h": "The mix: new state from old state and candidate"}
with q1:
    for g in ("r", "z", "n", "h"):
        with st.container(border=True, key=f"st_eq_{g}"):
            st.markdown(f"**{names[g]}**")
            st.latex(sym[g])
            st.latex(num[g])
    st.caption(f"Numbers rounded to 3 decimals. The substituted terms reproduce the engine's recorded r, z, n, h "
               f"to within {agree:.1e}. A product like $W_{{ir}}x_t$ is row {unit + 1} of the matrix times the "
               f"vector; here $x_t$ = ({', '.join(f'{v:.3f}' for v in terms.x)}), H = {H}, I = {I}.")
with q2:
    st.markdown("**The engine's code for this step** (`gru_core.step_source('gru')`: the function that computed "
                "every number on this page)")
    st.code(gru_core.step_source("gru"), language="python", line_numbers=True)
    st.caption(r"`gx` already holds $W_{i\cdot}\, x_t$ plus the biases outside the reset. `k` is the share of "
               r"$h_{t-1}$ kept: z with the PyTorch mix (keep_sign = +1), 1 − z with the Chung/Wikipedia mix. "
               r"`reset_after` picks where r acts.")
    ui.chart(
        step_context(run.x, run.r[:, unit], run.z[:, unit], run.n[:, unit], run.h[:, unit], t, unit=unit,
                     height=430),
        key="st_context",
        how_to_read="The whole sequence for the chosen unit: the input on top, the gates r and z, the candidate n "
                    "and the state h below; the grey line and the dots mark the step shown above.",
    )

# ----------------------------------------------------------------------------------------------- conventions
st.subheader("What the convention switch changes")
other_mix = "wiki" if mix == "torch" else "torch"
other_reset = "before" if reset == "after" else "after"
s_mix = E.step_terms(runs[(other_mix, reset)].params, run.x[t - 1], runs[(other_mix, reset)].h_prev(t), unit, t=t,
                     mix=other_mix, reset=reset)
s_res = E.step_terms(runs[(mix, other_reset)].params, run.x[t - 1], runs[(mix, other_reset)].h_prev(t), unit, t=t,
                     mix=mix, reset=other_reset)
dh_mix = float(np.max(np.abs(runs[("torch", reset)].h - runs[("wiki", reset)].h)))
dh_reset = float(np.max(np.abs(runs[(mix, "after")].h - runs[(mix, "before")].h)))
v1, v2 = st.columns(2, gap="large")
with v1:
    with st.container(border=True):
        st.markdown(f"**Mixing: {MIX_LABELS[mix]}** vs **{MIX_LABELS[other_mix]}**")
        st.latex(rf"z^{{\text{{{other_mix}}}}}_t = 1 - z^{{\text{{{mix}}}}}_t \quad\Leftarrow\quad "
                 rf"W_z, U_z, b_z \;\to\; -W_z, -U_z, -b_z")
        st.markdown(
            f"At this step: $z = {E.fmt(terms.z)}$ here becomes $z = 1 - {E.fmt(terms.z)} = {E.fmt(s_mix.z)}$ "
            f"there, and the mix reads "
            f"$h = {E.fmt(terms.keep_share)}\\cdot h_{{t-1}} + {E.fmt(1 - terms.keep_share)}\\cdot n$ in both. "
            f"Same $r = {E.fmt(s_mix.r)}$, same $n = {E.fmt(s_mix.n)}$, same $h = {E.fmt(s_mix.h)}$.")
        st.success(f"**Equivalent up to relabelling.** Negating the update gate's weights and bias turns one "
                   f"convention into the other exactly: over the whole run h differs by at most "
                   f"{sci(dh_mix)} (rounding).", icon=":material/check_circle:")
with v2:
    with st.container(border=True):
        st.markdown(f"**Reset: {RESET_LABELS[reset]}** vs **{RESET_LABELS[other_reset]}**")
        st.latex(r"r_t \odot \left(W_{hn} h_{t-1} + b_{hn}\right) \;\neq\; W_{hn}\left(r_t \odot h_{t-1}\right) + b_{hn}")
        st.markdown(
            f"Same weights, same step: the candidate is $n = {E.fmt(terms.n)}$ with the reset {reset} the matmul "
            f"but $n = {E.fmt(s_res.n)}$ with it {other_reset}; $h = {E.fmt(terms.h)}$ vs "
            f"$h = {E.fmt(s_res.h)}$ (the states before this step already differ).")
        st.warning(f"**Not equivalent.** Moving the reset changes the model itself: no relabelling of the weights "
                   f"maps one onto the other in general. Over this run h differs by up to {sci(dh_reset)}.",
                   icon=":material/report:")
ui.chart(
    convention_figure({k: v.h[:, unit] for k, v in runs.items()}, {k: v.z[:, unit] for k, v in runs.items()}, t,
                      unit=unit),
    key="st_conventions",
    predict="Switch the mixing convention above: which of these lines will move?",
    how_to_read="Same seeded weights run four ways (unit shown above). Left: the thick and dotted lines of one "
                "colour lie on top of each other (the mixes agree); the blue and orange colours differ (the reset "
                "placements do not). Right: z of the two mixes mirror each other around 0.5.",
)
ui.download_arrays(
    "Download this run (CSV)",
    {"t": np.arange(1, T + 1), **{f"x{i + 1}": run.x[:, i] for i in range(I)},
     **{f"{g}_unit{j + 1}": getattr(run, g)[:, j] for g in ("r", "z", "n", "h") for j in range(H)}},
    f"gru_step_through_{mix}_{reset}.csv", key="st_download",
)
