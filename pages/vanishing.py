"""Vanishing gradients: RNN vs GRU vs LSTM side by side, computed live from the engine's exact BPTT.

Thin page: controls (lab.controls) -> cached engine work (lab.figures.vanishing via lab.cache.engine_cache) ->
figure builders -> lab.ui.chart. The numbers and figures live in lab/figures/vanishing.py.
"""
from dataclasses import astuple, replace

import streamlit as st

import lab.figures.vanishing as V
from lab import controls as C
from lab import routing, ui
from lab.cache import engine_cache
from lab.figures.common import sci, steps_back
from lab.theme import CELL_LABELS

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

PASCANU = "[Pascanu, Mikolov & Bengio 2013](https://arxiv.org/abs/1211.5063)"
CHRONO = "[Tallec & Ollivier 2018](https://arxiv.org/abs/1804.11188)"


@engine_cache(max_entries=48)
def curves_for(kind: str, settings: tuple) -> V.CellCurves:
    """One cell's trace reduced to what the charts need (cached per cell, so toggling cells costs nothing)."""
    return V.cell_curves(kind, V.Settings(*settings))


@engine_cache(max_entries=16)
def phase_for(kind: str, settings: tuple) -> V.PhaseData:
    """The phase-diagram sweep: one batched engine call over PHASE_SCALES largest singular values."""
    return V.phase_sweep(kind, V.Settings(*settings))


ui.page_header(
    "Vanishing gradients",
    "How much of the training signal reaches a step **k steps before the loss**? Every number below is the "
    "engine's exact backpropagation through time (float64) for the settings in the sidebar.",
)

# ------------------------------------------------------------------------------------------------ presets
C.preset_menu("Presets: one choice sets every control (and the link)", "vg_preset",
              {p.name: p.values for p in V.PRESETS},
              help="\n\n".join(f"**{p.name}**: {p.blurb}" for p in V.PRESETS))

# ------------------------------------------------------------------------------------------------ controls
with st.sidebar:
    st.header("Settings")
    T = C.slider("Sequence length T", "vg_len", 10, 500, 100, 10, container=st.sidebar,
                 help="Number of steps; the loss is taken at the last step (or summed over all).")
    H = C.slider("Hidden size H", "vg_hidden", 1, 128, 32, container=st.sidebar, help="Units per cell.")
    cells = C.cell_kinds("vg", container=st.sidebar)
    init = C.init_controls("vg", container=st.sidebar)
    gate = C.gate_bias_controls("vg", chrono_tmax=T, container=st.sidebar)
    st.sidebar.caption("The bias (or chrono init) also goes to the LSTM's forget gate, its 'keep' gate.")
    nonlin = C.select("RNN nonlinearity", "vg_nonlin", ["tanh", "relu"], "tanh", style="segmented",
                      labels={"tanh": "tanh", "relu": "ReLU"}, container=st.sidebar)
    signal = C.signal_picker("vg", default="noise", container=st.sidebar)
    loss = C.select("Loss", "vg_loss", ["last", "all"], "last", style="segmented",
                    labels={"last": "last step", "all": "summed over steps"}, container=st.sidebar,
                    help="Last step: L = ½‖h_T‖². Summed: L = Σ_t ½‖h_t‖², so every step also gets a direct gradient.")
    seed = C.seed("vg", container=st.sidebar)

values = {
    "vg_len": T, "vg_hidden": H, "vg_cells": cells, "vg_init": init.init, "vg_rescale": init.scale is not None,
    "vg_sigma": init.scale if init.scale is not None else V.DEFAULTS["vg_sigma"], "vg_chrono": gate.chrono is not None,
    "vg_bias": gate.update_bias, "vg_nonlin": nonlin, "vg_signal": signal, "vg_loss": loss, "vg_seed": seed,
}
settings = V.settings_from_values(values)
preset = V.matching_preset(values)
if preset is not None:
    st.caption(f"Preset **{preset.name}**: {preset.blurb}")

try:
    key = astuple(replace(settings, cells=()))
    curves = {kind: curves_for(kind, key) for kind in settings.cells}
except ValueError as err:  # the controls keep values in range; this is a last guard, never a traceback
    st.error(f"The engine refused these settings: {err}", icon=":material/error:")
    st.stop()

# ------------------------------------------------------------------------------------------------ 6. headline
k_head = min(V.HEADLINE_STEPS, T - 1)
ui.headline(V.headline(curves) + (" " + V.gru_story(curves["gru"], short=True) if "gru" in curves else ""))
ui.nonfinite_note({CELL_LABELS[k]: c.nonfinite_from for k, c in curves.items()})

# ------------------------------------------------------------------------------------------------ 1 + 3. norms, gate
st.subheader("1 · How much gradient reaches k steps back, and why the GRU's can survive"
             if "gru" in curves else "1 · How much gradient reaches k steps back")
sigma_rnn = curves["rnn"].sigma_max if "rnn" in curves else None
# The main chart is written into its place LAST (after the texts, the download and the "look closer" controls below,
# before any "look closer" chart): Streamlit draws each changed chart from scratch, twice, and when other elements
# arrive right after a chart the browser often does that second draw before it paints the first one. Drawn last,
# a slider move shows the whole updated page sooner (vanishing page: 1.68x -> 1.49x the trivial app, 40 presses).
main_chart = st.container()
main_chart_args = dict(
    fig=V.gradient_norm_figure(curves), key="vg_chart_norms", container=main_chart,
    predict=(f"The RNN's W_hh has largest singular value σ_max = {sigma_rnn:.2f} here. After {k_head} steps, will "
             "its gradient be closer to 1, to 10⁻³ or to 10⁻¹⁵?" + (" And the GRU's?" if "gru" in curves else ""))
    if sigma_rnn is not None else
    f"After {k_head} steps, will the gradient be closer to 1, to 10⁻³ or to 10⁻¹⁵?",
    how_to_read="Each line is the size ‖∂L/∂h_t‖ of the gradient reaching the hidden state k steps before the loss "
                "(log scale: a straight falling line is exponential decay); the dotted line is "
                f"{PASCANU}'s bound ‖∂L/∂h_T‖·σ_max(W_hh)^k, which the RNN can never exceed (|tanh′|, |ReLU′| ≤ 1)."
                + (" The lower panel is the GRU at the same k: its update gate z_t (line = mean over units, band = "
                   "10–90% of units) and, dotted, the direct path's share of each step Jacobian, ‖diag(z_t)‖_F / "
                   "(‖diag(z_t)‖_F + ‖rest‖_F) (engine: trace.jacobian_split); where z is near 1 the share is near 1 "
                   "and the GRU's line above stays flat, as its dashed line (the gradient through diag(z) alone) "
                   "shows." if "gru" in curves else ""),
)
if "gru" in curves:
    st.markdown(V.gru_story(curves["gru"]))
ui.download_arrays("Download these numbers (CSV)",
                   {"k": steps_back(T), **{f"{k}_grad_norm": c.grad_norm for k, c in curves.items()},
                    **({"rnn_bound": curves["rnn"].bound} if "rnn" in curves else {}),
                    **({"gru_through_diag_z_alone": curves["gru"].direct_only, "gru_z_mean": curves["gru"].z_mean,
                        "gru_direct_share": curves["gru"].share} if "gru" in curves else {})},
                   "vanishing_grad_norms.csv", key="vg_dl_norms")

# ------------------------------------------------------------------------------------------------ 2, 4, 5: look closer
def units_section() -> None:
    ui.chart(
        V.unit_heatmap_figure(curves), key="vg_chart_units",
        predict="Do all hidden units lose their gradient at the same rate, or do some units carry it further back?",
        how_to_read="Each row is one hidden unit and each column a distance k from the loss; the colour is log10 "
                    "|∂L/∂h_t| for that unit, on one scale shared by all panels (dark = vanished). A unit whose gate "
                    "keeps its state shows up as a bright streak running far to the right.",
    )


@st.fragment(parallel=True)
def phase_section(settings: V.Settings, current: dict) -> None:
    """Runs beside the rest of the page: its sweep is the slowest piece of the page."""
    T2, H2 = V.phase_sizes(settings)
    try:
        phases = {kind: phase_for(kind, astuple(V.phase_key(kind, settings))) for kind in ("rnn", "gru")}
    except ValueError as err:
        st.error(f"The engine refused the sweep: {err}", icon=":material/error:")
        return
    ui.chart(
        V.phase_figure(phases, current), key="vg_chart_phase",
        predict="At which σ_max(W_hh) does the RNN's gradient neither vanish nor explode? Is it the same for the GRU?",
        how_to_read=f"Each column is one network with every recurrent block rescaled to that σ_max ({V.PHASE_SCALES} "
                    "networks per cell in one batched engine call); each row is a distance k. The colour is "
                    "log10 ‖∂h_T/∂h_t‖₂: blue vanishing, red exploding, white about 1 (saturating at 10^±"
                    f"{V.PHASE_DECADES}); the black line is where the norm is exactly 1 (the edge) and the dashed "
                    "line marks this page's σ_max.",
    )
    capped = (T2 < settings.steps) or (H2 < settings.hidden)
    st.caption(f"Sweep: T = {T2}, H = {H2}, σ_max from {V.PHASE_SIGMA[0]} to {V.PHASE_SIGMA[1]}, other settings as "
               "in the sidebar." + (f" (Capped at T ≤ {V.PHASE_MAX_STEPS}, H ≤ {V.PHASE_MAX_HIDDEN}: every cell of "
                                    "the map needs one singular value decomposition, so the full size would take "
                                    "minutes.)" if capped else ""))


@st.fragment
def clipping_section(rnn: V.CellCurves | None) -> None:
    """Its own controls rerun only this section."""
    if rnn is None:
        st.info("Add the RNN to the cells to see what gradient clipping does to it.", icon=":material/info:")
        return
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    clip_on = C.toggle("Clip the gradient norm", "vg_clip", True, container=c1,
                       help="Pascanu et al. 2013, Algorithm 1 (torch.nn.utils.clip_grad_norm_).")
    log_c = C.slider("Threshold c (log10)", "vg_clip_c", -3.0, 8.0, 0.0, 0.5, format="%.1f", container=c2,
                     help="c = 10^value. Clipping acts only when the gradient norm ‖g‖ is at least c.")
    c = 10.0 ** log_c if clip_on else None
    if c is not None:
        c2.caption(f"c = 10^{log_c:g} = {sci(c)}")
    fig = V.clipping_figure(rnn, c)
    f = fig.layout.meta["factor"]
    ui.chart(
        fig, key="vg_chart_clip",
        predict="If the total gradient is 1000× the threshold, does clipping change which steps dominate the update?",
        how_to_read="Solid: how much each step contributes to the RNN's parameter gradient g = ∂L/∂θ (θ = W_ih, W_hh, "
                    f"biases); dashed: after clipping ({PASCANU}, Algorithm 1: if ‖g‖ ≥ c then g ← c·g/‖g‖). Clipping "
                    "multiplies the whole gradient by one number, so every step drops by the same amount and the "
                    "direction is unchanged: it tames a huge update but cannot revive a vanished gradient.",
    )
    total = rnn.param_grad.total_norm
    if c is None:
        st.markdown(f"Clipping is off: the update uses the raw gradient, ‖g‖ = **{sci(total)}**.")
    elif f != f:  # NaN
        st.warning("The gradient is inf/NaN: clipping cannot rescale it (c·g/‖g‖ is NaN).", icon=":material/warning:")
    elif f < 1:
        st.markdown(f"‖g‖ = **{sci(total)}** ≥ c = {sci(c)}: the whole gradient is multiplied by **{sci(f)}**, so its "
                    f"norm becomes {sci(total * f)}; its direction does not change (cosine with the raw gradient: "
                    f"{fig.layout.meta['cosine']:.6f}).")
    else:
        st.markdown(f"‖g‖ = **{sci(total)}** < c = {sci(c)}: clipping does nothing here. Try the preset "
                    "*Exploding RNN*, or lower c.")


# One view at a time, none by default (the chosen one is the only one computed and drawn; it is part of the link,
# ?vg_view=...). Streamlit draws every changed chart from scratch on each rerun: a second chart under the first
# made each slider move ~1.6x slower in Chromium, so the default page has one chart and the others are one click away.
VIEWS = {"none": "None", "units": "Unit by unit", "phase": "Phase diagram", "clip": "Exploding gradients and clipping"}
st.subheader("2 · Look closer")
view = C.select("View", "vg_view", list(VIEWS), "none", labels=VIEWS, style="segmented",
                help="Unit by unit: the gradient of every hidden unit. Phase diagram: vanishing, the edge and "
                     "exploding over σ_max. Clipping: what gradient clipping does to an exploding RNN.")
if view == "none":
    st.caption("Pick a view: the gradient unit by unit, a phase diagram over σ_max (vanishing, the edge, "
               "exploding), or gradient clipping on an exploding RNN.")
ui.chart(**main_chart_args)   # see main_chart above
if view == "units":
    units_section()
elif view == "phase":
    phase_section(settings, {k: c.sigma_max for k, c in curves.items() if k in ("rnn", "gru")})
elif view == "clip":
    clipping_section(curves.get("rnn"))
