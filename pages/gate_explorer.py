"""Gate explorer: set the gate parameters, watch r, z and h, intervene on the gates, see memory as a fixed point."""
from dataclasses import astuple

import numpy as np
import streamlit as st

import gru_core
from lab import controls as C
from lab import inside_gru as G
from lab import routing, ui
from lab.cache import engine_cache
from lab.figures.common import sci
from lab.figures.gates import (cobweb_figure, gate_heatmaps, intervention_effect, saturation_chart, scalar_lines,
                               state_lines)

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py

MODE_LABELS = {"scalar": "Scalar GRU (1 unit)", "multi": "Multi-unit GRU"}
CLAMP_R_LABELS = {"off": "free", "1": "r = 1 (see all of h)", "0": "r = 0 (ignore h)"}
FORCE_LABELS = {"none": "nothing", "z": "z", "r": "r"}
EPS = 0.05                         # "saturated": within EPS of 0 or 1
MAP_STEPS = 40                     # length of the cobweb trajectory

# Scalar defaults: a flip-flop. r ~ 0.95 and U_n = 3 make the candidate tanh(2.9 h + 2 x): at x = 0 the map has two
# stable fixed points (about +-0.99) and an unstable one at 0; W_z = -4 opens the write (z -> 0) when x is large.
SCALAR = {  # key: (label, default, help)
    "wz": ("W_z (input → z)", -4.0, "How the input moves the update gate. Negative: a large input lowers z and so "
                                    "writes the candidate."),
    "uz": ("U_z (h → z)", 0.0, "How the state itself moves the update gate."),
    "bz": ("b_z (z bias)", 0.0, "Positive: z near 1, the unit keeps its state (PyTorch convention)."),
    "wr": ("W_r (input → r)", 0.0, "How the input moves the reset gate."),
    "ur": ("U_r (h → r)", 0.0, "How the state moves the reset gate."),
    "br": ("b_r (r bias)", 3.0, "Positive: r near 1, the candidate sees the old state."),
    "wn": ("W_n (input → n)", 2.0, "How strongly the input drives the candidate."),
    "un": ("U_n (h → n)", 3.0, "How strongly the (reset) old state drives the candidate; above about 1 the unit can "
                               "hold two states."),
    "bn": ("b_n (n bias)", 0.0, "Shifts the candidate up or down."),
}
BLOCK_LABELS = {"ir": "W_ir (input → r)", "iz": "W_iz (input → z)", "in": "W_in (input → n)",
                "hr": "W_hr (h → r)", "hz": "W_hz (h → z)", "hn": "W_hn (h → n)"}


@engine_cache(max_entries=64)
def scalar_compare(params: tuple[float, ...], h0: float, signal: str, T: int, amplitude: float, at: int,
                   iv: tuple) -> G.Comparison:
    """The scalar GRU on the chosen signal, with and without the intervention (iv: Intervention fields)."""
    x = gru_core.signal(signal, T, 1, at=at, amplitude=amplitude, period=max(T / 3, 2.0))
    return G.compare(G.scalar_gru(*params), x, G.Intervention(*iv), h0=[h0])


@engine_cache(max_entries=64)
def scalar_map_data(params: tuple[float, ...], x_const: float, h0: float, clamp_z: float | None,
                    clamp_r: float | None) -> dict:
    """The map h -> f(h) at constant input, its fixed points and the cobweb of a trajectory from h0."""
    cell = G.scalar_gru(*params)
    h_grid = np.linspace(-1.0, 1.0, 401)
    f = G.scalar_map(cell, x_const, h_grid, clamp_z=clamp_z, clamp_r=clamp_r)
    fixed = G.fixed_points(cell, x_const, clamp_z=clamp_z, clamp_r=clamp_r)
    iv = G.Intervention(clamp_z=clamp_z, clamp_r=clamp_r)
    traj = G.run(cell, np.full((MAP_STEPS, 1), x_const), h0=[h0], override=iv.overrides(MAP_STEPS, 1)).h[:, 0]
    cx, cy = G.cobweb_path(h0, traj)
    return dict(h_grid=h_grid, f=f, fixed=fixed, traj=traj, cob_x=cx, cob_y=cy)


@engine_cache(max_entries=32)
def multi_compare(H: int, seed: int, scales: tuple[float, ...], biases: tuple[float, float, float], signal: str,
                  T: int, amplitude: float, at: int, iv: tuple) -> G.Comparison:
    """The seeded multi-unit GRU (scaled blocks, shifted biases) on the chosen signal, with/without intervention."""
    x = gru_core.signal(signal, T, 1, seed=seed, at=at, amplitude=amplitude, period=max(T / 3, 2.0))
    return G.compare(G.scaled_gru(1, H, seed, scales, biases), x, G.Intervention(*iv))


def _make_rnn() -> None:
    st.session_state["ge_clamp_z"] = True
    st.session_state["ge_z_value"] = 0.0
    st.session_state["ge_clamp_r"] = "1"
    st.session_state["ge_force"] = "none"


def _clear_interventions() -> None:
    st.session_state["ge_clamp_z"] = False
    st.session_state["ge_clamp_r"] = "off"
    st.session_state["ge_force"] = "none"


ui.page_header(
    "Gate explorer",
    "Set the gate parameters yourself and watch what the reset gate **r** and the update gate **z** do to the "
    "state **h**. Then take control: clamp a gate, or force it at one step, and compare with the untouched run. "
    "Convention here is PyTorch's: $h_t = (1-z_t)\\,n_t + z_t\\,h_{t-1}$, so **z is the share of the old state "
    "kept** (z = 1 keeps the state forever, z = 0 forgets it at once).",
)

mode = C.select("Model", "ge_mode", ["scalar", "multi"], "scalar", labels=MODE_LABELS, style="segmented",
                help="A single unit you set by hand, or a small GRU with PyTorch's default weights that you rescale.")

# ----------------------------------------------------------------------------------------------- model (sidebar)
sb = st.sidebar
if mode == "scalar":
    sb.markdown("**Scalar GRU parameters**")
    sb.latex(r"\begin{aligned}z &= \sigma(W_z x + U_z h + b_z)\\ r &= \sigma(W_r x + U_r h + b_r)\\ "
             r"n &= \tanh(W_n x \\ &\qquad + U_n (r\,h) + b_n)\end{aligned}")
    vals = {}
    for key, (label, default, help_) in SCALAR.items():
        vals[key] = C.slider(label, f"ge_{key}", -6.0, 6.0, default, 0.1, format="%.1f", help=help_, container=sb)
    h0 = C.slider("Initial state h₀", "ge_h0", -1.0, 1.0, 0.0, 0.05, format="%.2f", container=sb)
    params = tuple(float(vals[k]) for k in ("wz", "uz", "bz", "wr", "ur", "br", "wn", "un", "bn"))
else:
    sb.markdown("**Multi-unit GRU**: PyTorch's default weights (from the seed), each block scaled, each gate's bias "
                "shifted")
    H = C.slider("Hidden size H", "ge_hidden", 2, 16, 8, container=sb)
    seed = C.seed("ge", container=sb)
    scales = [float(C.slider(f"× {BLOCK_LABELS[blk]}", f"ge_s_{blk}", 0.0, 8.0, 1.0, 0.25, format="%.2f",
                             container=sb, help="Multiplies this block of PyTorch's default weights (uniform in "
                                                "±1/√H)."))
              for blk in G.BLOCKS]
    biases = tuple(float(C.slider(f"+ b_{g} (added to gate {g}'s bias)", f"ge_b_{g}", -6.0, 6.0, 0.0, 0.25,
                                  format="%.2f", container=sb,
                                  help=("Positive: z nearer 1, keep more of the old state." if g == "z" else
                                        f"Added to every unit's {g} bias.")))
                   for g in ("r", "z", "n"))
sb.markdown("**Input signal**")
signal = C.signal_picker("ge", default="impulse" if mode == "scalar" else "sine",
                         options=("impulse", "step", "sine", "noise"), container=sb)
T = C.slider("Sequence length T", "ge_len", 10, 200, 60, 5, container=sb)
amplitude = C.slider("Amplitude", "ge_amp", -3.0, 3.0, 1.0, 0.1, format="%.1f", container=sb,
                     help="Height of the impulse / step, or scale of the sine / noise.")
at = C.slider("Impulse / step at t", "ge_at", 1, 200, 15, container=sb,
              help="The step where the impulse or step arrives (ignored by sine and noise).") \
    if signal in ("impulse", "step") else 15
at = min(at, T)

# ----------------------------------------------------------------------------------------------- interventions
with st.container(border=True):
    st.markdown("**Interventions** (engine overrides of the gates; the untouched run is kept for comparison)")
    i1, i2, i3, i4 = st.columns([1.1, 1.1, 1.5, 1.1], gap="medium")
    with i1:
        clamp_z_on = C.toggle("Clamp z", "ge_clamp_z", False)
        z_value = C.slider("z held at", "ge_z_value", 0.0, 1.0, 1.0, 0.05, format="%.2f",
                           help="The update gate is held at this value at every step and unit: 1 keeps h forever, 0 "
                                "replaces h by the candidate every step.") if clamp_z_on else None
    with i2:
        clamp_r = C.select("Clamp r", "ge_clamp_r", ["off", "1", "0"], "off", labels=CLAMP_R_LABELS,
                           style="radio")
    with i3:
        force = C.select("Force a gate at one step", "ge_force", ["none", "z", "r"], "none", labels=FORCE_LABELS,
                         style="segmented", help="Set one gate (all units) to a value at a single step and watch "
                                                 "the effect downstream.")
        force_t, force_v = 1, 1.0
        if force != "none":
            f1, f2 = st.columns(2, gap="small")
            force_t = C.slider("at step", "ge_force_t", 1, 200, 30, container=f1)
            force_t = min(force_t, T)
            force_v = C.slider("to the value", "ge_force_v", 0.0, 1.0, 0.0, 0.05, format="%.2f", container=f2)
    with i4:
        st.button("Make it an RNN", key="ge_rnn_preset", on_click=_make_rnn, width="stretch",
                  help="Clamp z = 0 and r = 1: the GRU becomes exactly a plain tanh RNN.")
        st.button("Clear", key="ge_clear", on_click=_clear_interventions, width="stretch",
                  icon=":material/restart_alt:")

iv = G.Intervention(clamp_z=z_value if clamp_z_on else None,
                    clamp_r=None if clamp_r == "off" else float(clamp_r),
                    force_gate=None if force == "none" else force, force_step=int(force_t), force_value=float(force_v))
if mode == "scalar":
    cmp_ = scalar_compare(params, float(h0), signal, int(T), float(amplitude), int(at) - 1, astuple(iv))
else:
    cmp_ = multi_compare(int(H), int(seed), tuple(scales), biases, signal, int(T), float(amplitude), int(at) - 1,
                         astuple(iv))
run = cmp_.shown
base = cmp_.base if iv.active else None

# ----------------------------------------------------------------------------------------------- results
if iv.makes_rnn and cmp_.rnn_h is not None:
    gap = float(np.max(np.abs(cmp_.rnn_h - run.h)))
    ui.headline(f"z = 0 and r = 1 at every step: the GRU is now exactly a tanh RNN, "
                f"$h_t = \\tanh(W_{{in}} x_t + b_{{in}} + W_{{hn}} h_{{t-1}} + b_{{hn}})$. The engine's own RNN "
                f"with those weights gives the same states: largest difference {sci(gap)}.")
elif iv.active:
    after = cmp_.diff[iv.force_step - 1:] if iv.force_gate else cmp_.diff
    st.info(f"Intervention on. Largest change of h against the untouched run: **{sci(float(np.max(cmp_.diff)))}**"
            + (f"; at the last step it is still **{sci(float(after[-1]))}**." if iv.force_gate else "."),
            icon=":material/tune:")

if mode == "scalar":
    ui.chart(
        scalar_lines(run.x[:, 0], run.r[:, 0], run.z[:, 0], run.n[:, 0], run.h[:, 0],
                     None if base is None else base.h[:, 0]),
        key="ge_scalar_lines",
        predict="With the default settings, what will h do after the impulse has passed: fall back to 0, or "
                "stay up?",
        how_to_read="Top: the input. Bottom: the gates r and z (0 to 1), the candidate n and the state h "
                    "(−1 to 1) at each step; with an intervention on, the dashed grey line is h without it.",
    )
    m1, m2 = st.columns([1.5, 1], gap="medium")
    with m2:
        st.markdown("**Memory as a fixed point**")
        x_const = C.slider("Constant input x for the map", "ge_xc", -2.0, 2.0, 0.0, 0.1, format="%.1f",
                           help="The map shows what one step does to h when the input is held at this value.")
        map_h0 = C.slider("Start of the staircase h₀", "ge_map_h0", -1.0, 1.0, 0.1, 0.05, format="%.2f",
                          help="Where the cobweb trajectory starts (the run above starts at the initial state "
                               "set in the sidebar).")
        md = scalar_map_data(params, float(x_const), float(map_h0), iv.clamp_z, iv.clamp_r)
        stable = [p for p in md["fixed"] if p.stable]
        if iv.clamp_z is not None and iv.clamp_z >= 1.0:
            st.markdown("With z held at 1 every state is a fixed point: the map is the diagonal and h never "
                        "moves.")
        else:
            st.markdown(
                f"**{len(md['fixed'])} fixed point(s)**: "
                + "; ".join(f"h* = {p.h:.3f}, {'stable' if p.stable else 'unstable'} (slope {p.slope:.2f})"
                            for p in md["fixed"])
                + (f". With {len(stable)} stable states the unit can **remember** which side it was pushed "
                   f"to: that is memory." if len(stable) >= 2 else "."))
        st.markdown(f"The staircase starts at h₀ = {float(map_h0):.2f} and ends at h = {md['traj'][-1]:.3f} after "
                    f"{MAP_STEPS} steps.")
    with m1:
        ui.chart(
            cobweb_figure(md["h_grid"], md["f"], md["fixed"], md["cob_x"], md["cob_y"],
                          x_const=float(x_const)),
            key="ge_cobweb",
            predict="The staircase starts at h₀ = 0.1 with x = 0: will it climb to a point on the diagonal, "
                    "or slide back to 0?",
            how_to_read="The curve is $h_{t+1}$ as a function of $h_t$; where it crosses the dashed diagonal h "
                        "stays put (a fixed point: filled = stable, |slope| < 1, a memory; open = unstable). "
                        "The red staircase follows the state step by step from h₀.",
        )
else:
    ui.chart(
        gate_heatmaps(run.r, run.z),
        key="ge_heatmaps",
        predict="Raise the scale of W_iz: will the z map get more contrast (gates near 0 or 1) or less?",
        how_to_read="Each row is one unit, each column one step; the colour is the gate's value, dark = 0 "
                    "(closed) to yellow = 1 (open). A yellow z row is a unit that keeps its state.",
    )
    ui.chart(
        state_lines(run.h, None if base is None else base.h),
        key="ge_state_lines",
        how_to_read="One line per unit: the hidden state $h_t$. With an intervention on, the dashed grey lines "
                    "are the untouched run, so the gap is what the intervention changed.",
    )

s1, s2 = st.columns([1, 1], gap="medium")
with s1:
    shares = {"r": G.saturation_shares(run.r, EPS), "z": G.saturation_shares(run.z, EPS)}
    ui.chart(
        saturation_chart(shares, EPS),
        key="ge_saturation",
        predict="Scale all weights up: will more gate values pile up near 0 and 1?",
        how_to_read=f"For each gate, the share of all its values (every step and unit) that are saturated near "
                    f"0 (below {EPS:g}), near 1 (above {1 - EPS:g}) or in between. A saturated gate acts like "
                    f"a switch, and its gradient σ'(a) is then tiny.",
    )
with s2:
    if iv.active:
        ui.chart(
            intervention_effect(cmp_.diff, iv.force_step if iv.force_gate else None),
            key="ge_effect",
            predict="Force z to 0 at one step: does the difference die out afterwards, or persist to the end?",
            how_to_read="Distance between the state with and without the intervention at each step; a gate "
                        "forced at one step changes nothing before it, and the curve after it shows how long "
                        "the GRU remembers the change.",
        )
    else:
        st.markdown("**Interventions** (above): clamp z or r, or force a gate at one step, to compare the run "
                    "with its untouched twin here. **Make it an RNN** clamps z = 0 and r = 1: the update "
                    "path disappears and the GRU becomes a plain RNN.")

ui.download_arrays(
    "Download this run (CSV)",
    {"t": np.arange(1, run.steps + 1), "x": run.x[:, 0],
     **{f"{g}_unit{j + 1}": getattr(run, g)[:, j] for g in ("r", "z", "n", "h") for j in range(run.h.shape[1])}},
    f"gru_gates_{mode}.csv", key="ge_download",
)
