"""Step through a GRU: one time step at a time, every gate and every number, the diagram and the code of the step."""
import time

import streamlit as st

import gru_core
from lab import controls as C
from lab import equations as E
from lab import player as P
from lab import routing, ui
from lab.figures.common import sci
from lab.figures.stepper import cell_diagram, convention_figure, step_context
from lab.models import step_through as M

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py
D, L = M.DEFAULTS, M.LIMITS
VIEWS = {"cell": "The cell at step t", "equations": "The four equations", "sequence": "The whole sequence",
         "conventions": "The two conventions"}


def read_settings() -> M.Settings:
    """The model and input controls (sidebar) as Settings."""
    sb = C.panel(st.sidebar)
    sb.markdown("**The GRU and its input**")
    num = {k: C.slider(label, f"st_{k}", L[k].lo, L[k].hi, getattr(D, k), L[k].step, container=sb, help=help_,
                       format="%.1f" if k == "amp" else None)
           for k, label, help_ in (("hidden", "Hidden size H", "Number of units in the GRU."),
                                   ("input", "Input size I", "Number of input channels per step."))}
    seed = C.seed("st", container=sb)
    source = C.select("Input", "st_source", list(M.SOURCES), D.source, labels=M.SOURCES, style="segmented",
                      container=sb)
    sig = dict(signal=D.signal, len=D.len, amp=D.amp, seq=M.default_typed(num["input"]))
    if source == "signal":
        sig["signal"] = C.signal_picker("st", default=D.signal, container=sb,
                                        help="What the GRU reads at each step.")
        sig["len"] = C.slider("Sequence length T", "st_len", L["len"].lo, L["len"].hi, D.len, container=sb)
        sig["amp"] = C.slider("Amplitude", "st_amp", L["amp"].lo, L["amp"].hi, D.amp, L["amp"].step,
                              format="%.1f", help="Scale of the input signal.", container=sb)
    else:
        sig["seq"] = C.text("Typed sequence", "st_seq", sig["seq"], max_chars=2000, container=sb,
                            help=f"Up to {M.G.MAX_TYPED_STEPS} steps: {M.typed_hint(num['input'])}.")
    mix = C.select("Mixing convention", "st_mix", list(M.MIX_LABELS), D.mix, labels=M.MIX_LABELS, style="radio",
                   help="Which share z stands for. The two are the same model with z relabelled as 1 − z.",
                   container=sb)
    reset = C.select("Reset placement", "st_reset", list(M.RESET_LABELS), D.reset, labels=M.RESET_LABELS,
                     style="radio", help="Where r multiplies: after W_hn h (PyTorch) or before it (Cho 2014). "
                                         "These are different models.", container=sb)
    return M.Settings(hidden=int(num["hidden"]), input=int(num["input"]), seed=int(seed), source=source,
                      mix=mix, reset=reset, **sig)


def unit_picker(H: int) -> int:
    """The unit shown (sidebar; clamped when H shrank). Returns it 0-based."""
    if st.session_state.get("st_unit", 1) > H:
        st.session_state["st_unit"] = H
    return int(C.select("Unit shown", "st_unit", list(range(1, H + 1)), 1, labels=lambda j: f"unit {j}",
                        container=st.sidebar, help="The unit whose numbers the diagram and equations show.")) - 1


@st.fragment(run_every=M.PLAY_INTERVAL_S if st.session_state.get("_st_playing") else None)
def ticker(T: int) -> None:
    """While playing: on each timer tick, advance the step and rerun the step panel (stops at the last step)."""
    ss = st.session_state
    now = time.monotonic()
    if not ss.get("_st_playing") or now - ss.get("_st_last_tick", 0.0) < 0.8 * M.PLAY_INTERVAL_S:
        return                                               # not playing, or this is the page's own run
    ss["_st_last_tick"] = now
    nxt = min(ss.get("st_t", 1) + 1, T)
    ss["_st_next_t"], ss["_st_playing"] = nxt, nxt < T
    st.rerun(scope="app")


def equations(v: M.StepView, I: int, H: int) -> None:
    """The four equations, each as symbols and with this step's numbers (full width: nothing cut at 1280 px)."""
    s = v.terms
    st.subheader(f"The four equations at step t = {s.t}, unit {s.unit + 1}")
    sym, num = E.symbolic_equations(s.mix, s.reset), E.numeric_html(s)
    st.html(E.EQ_CSS)
    names = E.equation_names(s.mix)
    for g in ("r", "z", "n", "h"):
        with st.container(border=True, key=f"st_eq_{g}"):
            st.markdown(f"**{names[g]}**")
            st.latex(sym[g])
            st.html(num[g])
    st.caption(f"Numbers rounded to 3 decimals; they reproduce the recorded r, z, n, h to within {v.agree:.1e}. "
               f"A product like Wᵢᵣxₜ is row {s.unit + 1} of the matrix times the vector; here "
               f"xₜ = ({', '.join(f'{x:.3f}' for x in s.x)}), H = {H}, I = {I}.")


def code_panel() -> None:
    """The step as Python, in an expander that runs only when open (highlighting it costs every rerun)."""
    box = st.expander("The code of this step: Python that gives the same numbers as the equations",
                      icon=":material/code:", key="st_code", on_change="rerun")
    if not box.open:
        return
    box.code(gru_core.step_source("gru"), language="python", line_numbers=True, wrap_lines=True)
    box.caption("PyTorch's convention: weight_ih holds the rows of W_ir, W_iz, W_in in that order (weight_hh "
               "likewise). With the Chung / Wikipedia mix the last line reads h = (1 − z)·h_prev + z·n; with the "
               "reset before the matmul the candidate reads tanh(W_in x + b_in + W_hn (r·h_prev) + b_hn).")


def conventions(res: M.Result, unit: int) -> None:
    """What the mixing and reset switches change over the whole run of one unit (0-based)."""
    ui.question("Switch the mixing convention in the sidebar: which of these lines will move?")
    c1, c2 = st.columns([1.2, 1], gap="large")
    ui.chart(convention_figure(*M.convention_series(res, unit), None, unit=unit), key="st_conventions", container=c1,
             how_to_read="Same seeded weights run four ways. Top: the thick and dotted lines of one colour lie on "
                         "top of each other (the two mixes agree); blue and orange differ (the two reset "
                         "placements do not). Bottom: z of the two mixes mirror each other around 0.5.")
    if ui.reveal(f"**Equivalent up to relabelling.** Mixing: negating the update gate's weights and bias turns one "
                 f"convention into the other: z becomes 1 − z at every step while r, n and h stay the same (over "
                 f"the run h differs by at most {sci(res.dh_mix)}, rounding).", key="st_reveal_conventions",
                 container=c2):
        c2.warning(f"**Not equivalent.** Reset placement: the same weights with the reset moved give another "
                   f"candidate n at every step; no relabelling maps one model onto the other. Over this run h "
                   f"differs by up to {sci(res.dh_reset)}.", icon=":material/report:")


def cell_view(v: M.StepView) -> None:
    """The cell diagram of this step and what its gates did, in words."""
    ui.question("Before you press Next: will the memory line from h_t−1 to h_t keep its colour through the × "
                "node, or take the colour of the candidate n?")
    ui.picture(cell_diagram(v.terms), narrow=cell_diagram(v.terms, narrow=True), key="st_cell",
               alt="Diagram of the GRU cell coloured by the current values", how_to_read=
               "One unit at step t: the memory line runs from h_t−1 to h_t (along the top; on a phone, down the "
               "right edge); the gates (σ) and the candidate (tanh) read [h_t−1, x_t]. Gates are coloured from "
               "dark (0, closed) to yellow (1, open), states from blue (−1) to red (+1).")
    ui.reveal(f"{M.mix_sentence(v.terms)} {M.reset_sentence(v.terms)}", key="st_reveal_step")


@st.fragment
def step_panel(res: M.Result, unit: int) -> None:
    """The step player and the open tab (only it is drawn): reruns alone when the step moves."""
    P.keep_in_range(res.steps)
    t = P.nav(res.steps)
    view, box = C.tabs("st_view", VIEWS)
    with box:
        if view == "cell":
            cell_view(M.step_view(res, t, unit))
        elif view == "equations":
            equations(M.step_view(res, t, unit), res.settings.input, res.settings.hidden)
        elif view == "sequence":
            ui.chart(step_context(*M.unit_series(res, unit), t, unit=unit), key="st_context", how_to_read="The "
                     f"whole sequence for unit {unit + 1}: the input on top, the gates r and z, the candidate n and "
                     "the state h below; the grey line marks step t.")
        else:
            conventions(res, unit)


ui.page_header("Step through a GRU", "Watch one GRU step happen with real numbers: which gate opened, what the "
               "candidate was, and how the new state was mixed from the old one and the candidate. Pick a step "
               "and a unit (or press Play); the model and its input are in the sidebar.")


@st.fragment(key="st_main")
def main() -> None:
    """All the sidebar drives: a sidebar move reruns this alone (the full run draws the sidebar; a step move reruns
    only the step panel inside)."""
    with C.reading("st_main"):
        settings = read_settings()
        unit = unit_picker(settings.hidden)
    result = M.compute(settings)
    if result.typed_error:
        st.error(f"{result.typed_error} Expected {M.typed_hint(settings.input)}. Showing the default sequence "
                 f"meanwhile.", icon=":material/error:")
    ticker(result.steps)
    step_panel(result, unit)
    ui.download_arrays("Download this run (CSV)", M.download_columns(result),
                       f"gru_step_through_{settings.mix}_{settings.reset}.csv", key="st_download")


with C.driving("st_main"):          # a sidebar move reruns main() alone, not the sidebar
    unit_picker(read_settings().hidden)
main()
code_panel()
