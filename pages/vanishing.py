"""Vanishing gradients: RNN vs GRU vs LSTM side by side, computed live from the engine's exact BPTT.

Controls -> ``M.Settings`` -> ``M.compute`` (cached) -> ``M.Result`` -> figure builders (lab.figures.vanishing) and
sentences (lab.models.vanishing_text) -> lab.ui.
"""
import streamlit as st

import lab.figures.vanishing as F
import lab.models.vanishing as M
import lab.models.vanishing_text as W
from lab import controls as C
from lab import present, routing, ui
from lab.theme import CELL_LABELS

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

D, LIM = M.Settings(), M.Settings.LIMITS


def sidebar() -> dict:
    """Every control, in the sidebar; returns the widget values keyed by URL parameter."""
    sb = C.panel(st.sidebar)
    T = C.slider("Sequence length T", "vg_len", *LIM["steps"][:2], D.steps, LIM["steps"][2], container=sb,
                 help="Number of steps; the loss is taken at the last step (or summed over all).")
    H = C.slider("Hidden size H", "vg_hidden", *LIM["hidden"][:2], D.hidden, container=sb, help="Units per cell.")
    cells = C.cell_kinds("vg", container=sb)
    init = C.init_controls("vg", D.init, D.SCALE_OFF, scale_range=LIM["scale"][:2], container=sb)
    gate = C.gate_bias_controls("vg", D.update_bias, chrono_tmax=T, tmax_name="T", bias_range=LIM["update_bias"][:2],
                                container=sb)
    sb.caption("The bias (or chrono init) also goes to the LSTM's forget gate, its 'keep' gate.")
    nonlin = C.select("RNN nonlinearity", "vg_nonlin", ["tanh", "relu"], D.nonlinearity, style="segmented",
                      labels={"tanh": "tanh", "relu": "ReLU"}, container=sb)
    signal = C.signal_picker("vg", default=D.signal, container=sb)
    loss = C.select("Loss", "vg_loss", ["last", "all"], D.loss, style="segmented", container=sb,
                    labels={"last": "last step", "all": "summed over steps"},
                    help="Last step: L = ½‖h_T‖². Summed: L = Σ_t ½‖h_t‖², so every step also gets a direct gradient.")
    seed = C.seed("vg", D.seed, container=sb)
    return {"vg_len": T, "vg_hidden": H, "vg_cells": cells, "vg_init": init.init, "vg_rescale": init.scale is not None,
            "vg_sigma": D.SCALE_OFF if init.scale is None else init.scale, "vg_chrono": gate.chrono is not None,
            "vg_bias": gate.update_bias, "vg_nonlin": nonlin, "vg_signal": signal, "vg_loss": loss, "vg_seed": seed}


def under_chart(res: M.Result) -> None:
    """What follows the main chart: notes, the sentences that explain it, the formulas, then the answer."""
    gru, rnn = res.get("gru"), res.get("rnn")
    overflow = W.overflow_sentence(res)
    if overflow:
        st.warning(overflow, icon=":material/warning:")
    ui.nonfinite_note({CELL_LABELS[k]: c.nonfinite_from for k, c in res.curves.items()})
    extra = [W.big_start(res), W.dashed_line(gru) if gru is not None else None]
    if any(extra):
        st.markdown("\n\n".join(filter(None, extra)))
    with st.expander("The formulas behind this chart"):
        st.markdown(W.FORMULAS, unsafe_allow_html=True)   # our own text: <sub>/<sup>, no TeX to typeset
    answer = [W.headline(res), W.slope(rnn) if rnn is not None else None, W.gru_story(gru) if gru else None]
    ui.reveal("\n\n".join(filter(None, answer)), key="vg_answer")
    ui.download_arrays("Download these numbers (CSV)", M.table(res), "vanishing_grad_norms.csv", key="vg_dl_norms")


def units_view(res: M.Result) -> None:
    ui.chart(F.unit_heatmap_figure(res, W.overflow_chart(res)), key="vg_chart_units",
             predict="Do all hidden units lose their gradient at the same rate, or do some units carry it further back?",
             how_to_read="Each row is one hidden unit and each column a distance k from the loss; the colour is how "
                         "much gradient that unit gets, on one log scale shared by all panels (dark = vanished). A unit "
                         "whose gate keeps its state shows up as a bright streak running far to the right.")


@st.fragment(parallel=True)
def phase_view(settings: M.Settings, sigma: dict) -> None:
    """Runs beside the rest of the page: its sweep is the slowest piece of the page."""
    try:
        phases = M.compute_phase(settings)
    except ValueError as err:
        st.error(f"The sweep cannot be run: {err}", icon=":material/error:")
        return
    ui.chart(F.phase_figure(phases, sigma), key="vg_chart_phase",
             predict="At which σ_max(W_hh) does the RNN's gradient neither vanish nor explode? Is it the same for the GRU?",
             how_to_read=W.phase_how_to_read())
    st.caption(W.phase_caption(settings))


@st.fragment
def clipping_view(rnn: M.CellCurves | None) -> None:
    """Its own controls rerun only this section."""
    if rnn is None:
        st.info("Add the RNN to the cells to see what gradient clipping does to it.", icon=":material/info:")
        return
    c1, c2 = present.controls().columns([1, 2], vertical_alignment="bottom")
    clip_on = C.toggle("Clip the gradient norm", "vg_clip", True, container=c1,
                       help="Pascanu et al. 2013, Algorithm 1 (what PyTorch's clip_grad_norm_ does).")
    log_c = C.slider("Threshold c (log10)", "vg_clip_c", -3.0, 8.0, 0.0, 0.5, format="%.1f", container=c2,
                     help="c = 10^value. Clipping acts only when the gradient norm ‖g‖ is at least c.")
    clip = M.clipping(rnn, 10.0 ** log_c if clip_on else None)
    if clip_on:
        c2.caption(f"c = 10^{log_c:g} = {W.sci(clip.threshold)}")
    ui.chart(F.clipping_figure(clip, W.clipping_message(clip)), key="vg_chart_clip", how_to_read=W.CLIP_HOW_TO_READ,
             predict="If the total gradient is 1000× the threshold, does clipping change which steps dominate?")
    (st.warning if W.clipping_message(clip) else st.markdown)(W.clipping_sentence(clip))


VIEWS = {"none": "None", "units": "Unit by unit", "phase": "Phase diagram", "clip": "Exploding gradients and clipping"}


@st.fragment
def look_closer(settings: M.Settings, res: M.Result) -> None:
    """One more view at a time, none by default (only the chosen one is computed and drawn; it is in the link)."""
    st.subheader("2 · Look closer")
    view = C.select("View", "vg_view", list(VIEWS), "none", labels=VIEWS, style="segmented",
                    container=present.controls(),
                    help="Unit by unit: the gradient of every hidden unit. Phase diagram: vanishing, the edge and "
                         "exploding over σ_max. Clipping: what gradient clipping does to an exploding RNN.")
    if view == "none":
        st.caption("Pick a view: the gradient unit by unit, a phase diagram over σ_max (vanishing, the edge, "
                   "exploding), or gradient clipping on an exploding RNN.")
    elif view == "units":
        units_view(res)
    elif view == "phase":
        phase_view(settings, {k: c.sigma_max for k, c in res.curves.items() if k in ("rnn", "gru")})
    else:
        clipping_view(res.get("rnn"))


@st.fragment(key="vg_body")
def body() -> None:
    """Everything the sidebar drives: a sidebar move reruns this alone (the sidebar is drawn by the full run)."""
    with C.reading("vg_body"):
        values = sidebar()
    settings = M.Settings.from_values(values)
    preset = M.matching_preset(values)
    if preset is not None:
        st.caption(f"Preset **{preset.name}**: {preset.blurb}")
    try:
        result = M.compute(settings)
    except ValueError as err:  # the controls keep values in range; this is a last guard, never a traceback
        st.error(f"These settings cannot be run: {err}", icon=":material/error:")
        return
    st.subheader("1 · How much gradient reaches k steps back" + (", and why the GRU's can survive"
                                                                 if "gru" in result.curves else ""))
    box = st.container()   # the main chart: question, chart, reading guide (drawn last, see the end)
    under_chart(result)
    look_closer(settings, result)
    # Last: Streamlit draws each changed chart from scratch, and elements arriving after a chart often make the
    # browser draw it again before it paints, so the main chart is written into its place after every other element
    # (A/B in one browser, T slider, 12 presses: with the look-closer section after the chart 1.74x the earlier
    # page, now 0.82x).
    ui.chart(F.gradient_norm_figure(result, W.overflow_chart(result)), key="vg_chart_norms", container=box,
             predict=W.question(result), how_to_read=W.how_to_read(result))


ui.page_header(
    "Vanishing gradients",
    "How much of the training signal reaches a step **k steps before the loss**? Every number below is the "
    "model's exact backpropagation through time (float64) for the settings in the sidebar.",
)
C.preset_menu("Presets: one choice sets every control (and the link)", "vg_preset",
              {p.name: p.values for p in M.PRESETS}, container=present.controls(),
              help="\n\n".join(f"**{p.name}**: {p.blurb}" for p in M.PRESETS))
st.sidebar.header("Settings")
with C.driving("vg_body"):     # a sidebar move reruns body() alone, not the sidebar
    sidebar()
body()
