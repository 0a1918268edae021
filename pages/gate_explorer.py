"""Gate explorer: set the gate parameters, watch r, z and h, intervene on the gates, see memory as a fixed point."""
import streamlit as st

from lab import controls as C
from lab import present, routing, ui
from lab.figures.common import sci
from lab.figures import gates as FG
from lab.models import gate_explorer as M

routing.ensure_routed()   # first: a deep link to a fresh server must still run through app.py
D = M.DEFAULTS


def _slider(sl: M.Slider, default: float, container) -> float:
    return float(C.slider(sl.label, f"ge_{sl.key}", sl.lo, sl.hi, default, sl.step, format="%.2f",
                          help=sl.help or None, container=container))


def read_model(mode: str) -> dict:
    """The sidebar's controls: the model's parameters and the input signal, as Settings fields."""
    sb, out = st.sidebar, {}
    if mode == "scalar":
        out.update({sl.key: _slider(sl, getattr(D, sl.key), sb) for sl in M.SCALAR_SLIDERS})
    else:
        out["hidden"] = int(C.slider("Hidden size H", "ge_hidden", 2, 16, D.hidden, container=sb))
        out["seed"] = int(C.seed("ge", container=sb))
        for blk in M.BLOCK_LABELS:
            out[f"s_{blk}"] = float(C.slider(f"× {M.BLOCK_LABELS[blk]}", f"ge_s_{blk}", 0.0, 8.0, 1.0, 0.25,
                                             format="%.2f", container=sb, help="Multiplies this block of PyTorch's "
                                             "default weights (uniform in ±1/√H)."))
        for g in ("r", "z", "n"):
            out[f"b_{g}"] = float(C.slider(f"+ b_{g} (added to gate {g}'s bias)", f"ge_b_{g}", -6.0, 6.0, 0.0, 0.25,
                                           format="%.2f", container=sb, help="Positive: z nearer 1, keep more of "
                                           "the old state." if g == "z" else f"Added to every unit's {g} bias."))
    out["signal"] = C.signal_picker("ge", default=D.signal if mode == "scalar" else M.MULTI_DEFAULT_SIGNAL,
                                    options=("impulse", "step", "sine", "noise"), container=sb,
                                    help="What the GRU reads at each step.")
    out["len"] = int(C.slider("Sequence length T", "ge_len", 10, 200, D.len, 5, container=sb))
    out["amp"] = float(C.slider("Amplitude", "ge_amp", -3.0, 3.0, D.amp, 0.1, format="%.1f", container=sb,
                                help="Height of the impulse / step, or scale of the sine / noise."))
    if out["signal"] in ("impulse", "step"):
        out["at"] = int(C.slider("Impulse / step at t", "ge_at", 1, 200, D.at, container=sb,
                                 help="The step where the impulse or step arrives."))
    return out


MAKE_RNN = dict(ge_clamp_z=True, ge_z_value=0.0, ge_clamp_r="1", ge_force="none")   # what the two buttons set
CLEAR = dict(ge_clamp_z=False, ge_clamp_r="off", ge_force="none")


def read_interventions() -> dict:
    """The intervention controls (top of the page) as Settings fields."""
    out = {}
    st.markdown("**Interventions**: hold a gate, or force it at one step; the untouched run stays for comparison")
    i1, i2, i3, i4 = st.columns([1.1, 1.1, 1.5, 1.1], gap="medium")
    out["clamp_z"] = bool(C.toggle("Clamp z", "ge_clamp_z", False, container=i1))
    if out["clamp_z"]:
        out["z_value"] = float(C.slider("z held at", "ge_z_value", 0.0, 1.0, 1.0, 0.05, format="%.2f", container=i1,
                                        help="1 keeps h forever, 0 replaces h by the candidate every step."))
    out["clamp_r"] = C.select("Clamp r", "ge_clamp_r", list(M.CLAMP_R), "off", labels=M.CLAMP_R, style="radio",
                              container=i2)
    out["force"] = C.select("Force a gate at one step", "ge_force", list(M.FORCE), "none", labels=M.FORCE,
                            style="segmented", container=i3, help="Set one gate (all units) to a value at a single "
                                                                  "step and watch the effect downstream.")
    if out["force"] != "none":
        f1, f2 = i3.columns(2, gap="small")
        out["force_t"] = int(C.slider("at step", "ge_force_t", 1, 200, D.force_t, container=f1))
        out["force_v"] = float(C.slider("to the value", "ge_force_v", 0.0, 1.0, D.force_v, 0.05, format="%.2f",
                                        container=f2))
    set_state = dict(on_click=st.session_state.update, width="stretch")
    i4.button("Make it an RNN", key="ge_rnn_preset", kwargs=MAKE_RNN, **set_state,
              help="Clamp z = 0 and r = 1: the GRU becomes exactly a plain tanh RNN.")
    i4.button("Clear", key="ge_clear", kwargs=CLEAR, icon=":material/restart_alt:", **set_state)
    return out


@st.fragment
def map_panel(s: M.Settings) -> None:
    """The one-unit map at a constant input, its fixed points and a cobweb (its sliders rerun only this)."""
    m1, m2 = st.columns([1.5, 1], gap="medium")
    with m2:
        st.markdown("**Memory as a fixed point**")
        box = present.controls()
        xc, h0 = (_slider(sl, M.MAP_DEFAULTS[sl.key], box) for sl in M.MAP_SLIDERS)
        m = M.fixed_point_map(s, xc, h0)
    ui.chart(FG.cobweb_figure(m.h_grid, m.f, m.fixed, m.cob_x, m.cob_y, x_const=m.x_const), key="ge_cobweb",
             container=m1, predict=f"The staircase starts at h₀ = {h0:.2f} with the input held at x = {xc:g}: will "
                                   f"it climb to a point on the diagonal, or slide back towards 0?",
             how_to_read="The curve is h_t+1 as a function of h_t; where it crosses the dashed diagonal, h stays "
                         "put (a fixed point: filled = stable, |slope| < 1; open = unstable). The red staircase "
                         "follows the state step by step from h₀.")
    with m2:
        ui.reveal(M.staircase_words(m), key="ge_reveal_staircase")
        st.markdown(M.map_words(m))


def time_view(res: M.Result) -> None:
    """Scalar: h over time with its gates; multi: the gate heatmaps. Then what the numbers say."""
    s, run, c = res.settings, res.shown, res.comparison
    if s.mode == "scalar":
        question = ("With the default settings" if M.is_default(s) else "With these settings")
        base = c.base if s.intervention.active else None
        ui.chart(FG.scalar_lines(run.x[:, 0], run.r[:, 0], run.z[:, 0], run.n[:, 0], run.h[:, 0],
                              None if base is None else base.h[:, 0]), key="ge_scalar_lines",
                 predict=f"{question}, what will h do after the {s.signal if s.signal != 'sine' else 'input'} "
                         f"has passed: fall back to 0, or stay up?",
                 how_to_read="Top: the input. Bottom: the gates r and z (0 to 1), the candidate n and the state h "
                             "(−1 to 1) at each step; with an intervention on, the wide grey line is h without it.")
    else:
        ui.chart(FG.gate_heatmaps(run.r, run.z), key="ge_heatmaps",
                 predict="Raise the scale of W_iz: will the z map get more contrast (gates near 0 or 1) or less?",
                 how_to_read="Each row is one unit, each column one step; the colour is the gate's value, dark = 0 "
                             "(closed) to yellow = 1 (open). A yellow z row is a unit that keeps its state.")
    _story(res)


def _story(res: M.Result) -> None:
    if res.settings.intervention.makes_rnn:
        ui.headline(M.rnn_words(res))
    elif M.story(res):
        ui.reveal(M.story(res), key="ge_reveal_story")


def states_view(res: M.Result) -> None:
    """Multi: one line per unit of h, with the untouched run in grey when an intervention is on."""
    base = res.comparison.base if res.settings.intervention.active else None
    ui.chart(FG.state_lines(res.shown.h, None if base is None else base.h), key="ge_state_lines",
             predict="Are the units' states still moving at the last step, or have they settled?",
             how_to_read="One line per unit: the hidden state h_t (hover names the unit). With an "
                         "intervention on, the wide grey lines are the untouched run.")
    _story(res)


def saturation_view(res: M.Result) -> None:
    ui.chart(FG.saturation_chart(res.shares, M.EPS), key="ge_saturation",
             predict="Scale all weights up: will more gate values pile up near 0 and 1?",
             how_to_read=f"For each gate, the share of all its values (every step and unit) near 0 (below "
                         f"{M.EPS:g}), near 1 (above {1 - M.EPS:g}) or in between. A saturated gate acts like a "
                         f"switch, and its gradient σ′(a) is then tiny.")


def effect_view(res: M.Result) -> None:
    s, c = res.settings, res.comparison
    if not s.intervention.active:
        st.markdown(M.INTERVENTION_HINT)
        return
    iv = s.intervention
    ui.chart(FG.intervention_effect(c.diff, iv.force_step if iv.force_gate else None), key="ge_effect",
             predict="Force z to 0 at one step: does the difference die out afterwards, or persist to the end?",
             how_to_read="Distance between the state with and without the intervention at each step; a gate forced "
                         "at one step changes nothing before it, and the curve after it shows how long the change "
                         "lasts.")
    st.info(f"Intervention on. Largest change of h against the untouched run: **{sci(float(c.diff.max()))}**; at the "
            f"last step it is **{sci(float(c.diff[-1]))}**.", icon=":material/tune:")


VIEW_BODIES = {"time": time_view, "states": states_view, "effect": effect_view, "gates": saturation_view}


@st.fragment
def explorer(model: dict) -> None:
    """Interventions, then one tab of charts (only the open one runs); reruns alone when an intervention changes."""
    with present.controls(border=True):
        s = M.Settings(**model, **read_interventions())
    res = M.compute(s)
    views = M.VIEWS[s.mode]
    if st.session_state.get("ge_view") not in views.values():
        st.session_state.pop("ge_view", None)     # the other mode's tab: open this mode's first tab
    view, box = C.tabs("ge_view", views)
    with box:
        if view == "map":
            map_panel(s)
        else:
            VIEW_BODIES[view](res)
    ui.download_arrays("Download this run (CSV)", M.download_columns(res), f"gru_gates_{s.mode}.csv",
                       key="ge_download")


@st.fragment(key="ge_body")
def body(mode: str) -> None:
    """Everything the sidebar drives: a sidebar move reruns this alone (the full run draws the sidebar)."""
    with C.reading("ge_body"):
        model = read_model(mode)
    explorer(dict(mode=mode, **model))


ui.page_header("Gate explorer", "Set the gate parameters yourself (sidebar) and watch what the reset gate **r** "
               "and the update gate **z** do to the state **h**; then clamp a gate, or force it at one step, and "
               "compare with the untouched run. Convention: PyTorch's, h_t = (1 − z_t)·n_t + z_t·h_t−1, so **z is "
               "the share of the old state kept** (z = 1 keeps it forever, z = 0 forgets it at once).")
top = present.controls()
mode = C.select("Model", "ge_mode", list(M.MODES), "scalar", labels=M.MODES, style="segmented", container=top,
                help="A single unit you set by hand, or a small GRU with PyTorch's default weights that you rescale.")
if mode == "scalar":
    C.preset_menu("Presets: one choice sets the unit's parameters (and the link)", "ge_preset", M.PRESETS,
                  container=top, help="\n\n".join(f"**{k}**: {v}" for k, v in M.PRESET_BLURBS.items()))
st.sidebar.markdown(M.MODEL_NOTES[mode])
with C.driving("ge_body"):                  # a sidebar move reruns body() alone, not the sidebar
    read_model(mode)
body(mode)
