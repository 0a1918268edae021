"""The vanishing page's sentences, each chosen from the numbers it describes (markdown; no Streamlit here).

Every interpreting word comes from a threshold named below, and tests/unit/test_figures_vanishing.py pins each:
a share of the gradient left k steps back is "grown" above GROWN, "survives" from SURVIVES, "fades" from VANISHED,
"vanished" below; a per-step factor rho "shrinks" below 1 - LEVEL, "holds" within LEVEL of 1, "grows" above.
"""
from __future__ import annotations

import math

import numpy as np

from gru_core import analysis as A
from lab.figures.common import sci
from lab.models.vanishing import (HEADLINE_STEPS, PHASE_MAX_HIDDEN, PHASE_MAX_STEPS, PHASE_SCALES, PHASE_SIGMA,
                                  CellCurves, Clipping, Result, Settings, phase_sizes)
from lab.theme import CELL_LABELS

GROWN = 1.5  # share > this: "has grown"
SURVIVES = 0.1  # share >= this: "survives"
VANISHED = 1e-3  # share < this: "has vanished"; in between: "fades"
LEVEL = 0.01  # |rho - 1| <= this: the gradient "holds" its size per step
HUGE_START = 1e6  # ||dL/dh_T|| above this gets a sentence saying where the big start comes from

FORMULAS = """
- g<sub>t</sub> = ∂L/∂h<sub>t</sub> is the exact gradient (backpropagation through time, float64), drawn against
  k = T − t. One step back multiplies it by the step Jacobian: g<sub>t−1</sub> = J<sub>t</sub>ᵀ g<sub>t</sub> (plus
  h<sub>t−1</sub> when the loss is summed over steps), with J<sub>t</sub> = diag(f′(a<sub>t</sub>)) W<sub>hh</sub> for
  the RNN.
- **Per-step factor**: ‖J<sub>t</sub>ᵀ g<sub>t</sub>‖ / ‖g<sub>t</sub>‖; the number in each line's legend entry is
  its geometric mean over the steps.
- **Ceiling** ([Pascanu, Mikolov & Bengio 2013](https://arxiv.org/abs/1211.5063)): |tanh′| ≤ 1 and |ReLU′| ≤ 1, so
  each factor is at most σ<sub>max</sub>(W<sub>hh</sub>) and ‖g<sub>T−k</sub>‖ ≤ ‖g<sub>T</sub>‖ · σ<sub>max</sub><sup>k</sup>.
- **GRU**: h<sub>t</sub> = z<sub>t</sub> ⊙ h<sub>t−1</sub> + (1 − z<sub>t</sub>) ⊙ n<sub>t</sub>, so
  ∂h<sub>t</sub>/∂h<sub>t−1</sub> = diag(z<sub>t</sub>) + (the paths through W<sub>hr</sub>, W<sub>hz</sub>,
  W<sub>hn</sub>). The dashed line keeps only diag(z<sub>t</sub>); the direct-path share is
  ‖diag(z<sub>t</sub>)‖<sub>F</sub> / (‖diag(z<sub>t</sub>)‖<sub>F</sub> + ‖rest‖<sub>F</sub>).
- Chrono init: [Tallec & Ollivier 2018](https://arxiv.org/abs/1804.11188).
"""



def question(res: Result) -> str:
    """The main chart's "predict first" question (asked before the chart and its answer)."""
    k = min(HEADLINE_STEPS, res.settings.steps - 1)
    rnn = res.get("rnn")
    lead = (f"The RNN's W_hh has σ_max = {rnn.sigma_max:.2f} here. After {k} steps, will its "
            "gradient be " if rnn else f"After {k} steps, will the gradient be ")
    return lead + "closer to 1, to 10⁻³ or to 10⁻¹⁵?" + (" And the GRU's?" if "gru" in res.curves else "")


def how_to_read(res: Result) -> str:
    """Two or three plain sentences under the main chart (the formulas are in ``FORMULAS``)."""
    text = ("Each solid line is how much gradient reaches the hidden state k steps before the loss. The scale is "
            "logarithmic, so a straight falling line means the gradient shrinks by the same factor every step"
            + ("; the dotted line is the most the RNN's gradient could be, its ceiling." if "rnn" in res.curves
               else "."))
    if "gru" in res.curves:
        text += (" The lower panel shows the GRU's update gate z: near 1 it keeps the old state, and the gradient "
                 "flows back almost unchanged.")
    return text


def verdict(share: float) -> str:
    """One word group for a share of the gradient left: 'has grown', 'survives', 'fades', 'has vanished'."""
    if math.isnan(share):
        return "is undefined"
    if share > GROWN:
        return "has grown"
    if share >= SURVIVES:
        return "survives"
    return "fades" if share >= VANISHED else "has vanished"


def trend(rho: float) -> str:
    """'shrinks', 'holds its size' or 'grows' for an average per-step factor rho."""
    if rho < 1 - LEVEL:
        return "shrinks"
    return "grows" if rho > 1 + LEVEL else "holds its size"


def nonfinite_kind(values: np.ndarray) -> str:
    """'inf', 'NaN' or 'inf and NaN': which non-finite values ``values`` holds (as the chart's markers show)."""
    v = np.asarray(values, dtype=np.float64)
    kinds = [w for w, m in (("inf", np.isinf(v)), ("NaN", np.isnan(v))) if m.any()]
    return " and ".join(kinds)


def _share_words(c: CellCurves, k: int, first: bool) -> str:
    """One cell's part of the headline: the share of the gradient left k steps back, in words."""
    name = CELL_LABELS[c.kind]
    last, back = float(c.grad_norm[-1]), float(c.grad_norm[c.steps - 1 - k])
    if not math.isfinite(last) or last == 0:
        return f"the {name}'s share is undefined (its gradient at the loss step is {sci(last)})"
    if not math.isfinite(back):
        return f"the {name}'s gradient has overflowed to **{nonfinite_kind(np.array([back]))}**"
    r = back / last
    if r > 1:
        return f"the {name}'s gradient has grown to **{sci(r)}×** its size at the loss"
    return f"the {name} keeps **{sci(r)}**" + (" of its gradient" if first else "")


def headline(res: Result, k: int = HEADLINE_STEPS) -> str:
    """'After 50 steps back the RNN keeps 6e-15 of its gradient; the GRU keeps 2e-8.' (markdown), plus the same at
    the first step when the sequence is longer (where underflow to exactly 0 shows up)."""
    if not res.curves:
        return ""
    T = res.settings.steps
    out = []
    for kk in sorted({min(k, T - 1), T - 1}):
        parts = [_share_words(c, kk, i == 0) for i, c in enumerate(res.curves.values())]
        lead = f"After {kk} steps back" if not out else f"At the first step ({kk} steps back)"
        out.append(f"{lead} {'; '.join(parts)}.")
    return " ".join(out)


def slope(rnn: CellCurves) -> str:
    """What sets the RNN's slope: the measured average per-step factor rho, its ceiling sigma_max, and (when
    sigma_max > 1 but the gradient shrinks) that sigma_max > 1 is necessary, not sufficient, for exploding."""
    rho, sigma = rnn.rho, rnn.sigma_max
    if math.isnan(rho):
        return ("No per-step factor can be measured here: one step back from the loss the RNN's gradient is "
                "already not a finite positive number.")
    lead = (f"**What sets the RNN's slope:** each step back multiplies its gradient by **{rho:.2f}** on average "
            f"(measured from the step Jacobians), so it {trend(rho)}; the bound allows at most "
            f"σ_max = {sigma:.2f} per step, the dotted ceiling.")
    if rho < 1 - LEVEL and sigma > 1:
        return (lead + " So σ_max > 1 is necessary for the gradient to explode, but not sufficient: "
                "here it is above 1 and the gradient still vanishes, because tanh′ < 1 and the gradient seldom points "
                "along W_hh's strongest direction.")
    if sigma <= 1 and rho < 1:
        return lead + " With σ_max ≤ 1 the ceiling itself falls, so this RNN's gradient can only vanish."
    return lead


def _how(gru: CellCurves) -> str | None:
    s = gru.settings
    if s.chrono:
        return f"Chrono init (T_max = {s.chrono}) sets each unit's keep-bias to log U[1, {s.chrono - 1}]"
    if s.update_bias > 0:
        return f"An update-gate bias of +{s.update_bias:g} holds the gate open"
    if s.update_bias < 0:
        return f"An update-gate bias of {s.update_bias:g} pushes the gate towards 'forget'"
    return None


def _distances(gru: CellCurves, k: int) -> str:
    """'after 50 steps it keeps 0.3 (survives), after 499 only 1e-20 (has vanished)': both ends, each judged."""
    T = gru.steps
    parts = []
    for kk in sorted({min(k, T - 1), T - 1}):
        r = A.retained(gru.grad_norm, kk)
        kept = "an undefined share" if math.isnan(r) else sci(r)
        parts.append(f"after {kk} steps it keeps {kept}: the gradient {verdict(r)}")
    return "; ".join(parts)


def gru_story(gru: CellCurves, k: int = HEADLINE_STEPS) -> str:
    """The point of the page for the GRU, from its numbers: what its gate does and how far its gradient lasts."""
    zbar = float(np.nanmean(gru.z_mean))
    far = A.retained(gru.grad_norm, min(k, gru.steps - 1))
    how = _how(gru)
    if how is None:
        where = "at PyTorch's default init" if gru.settings.init == "pytorch" and gru.settings.scale is None \
            else "with update-gate bias 0"
        if not math.isnan(far) and far < VANISHED:
            return (f"**A GRU {where} vanishes too**: its update gate averages z = {zbar:.2f}, so {_distances(gru, k)}. "
                    "What saves a GRU is an update gate held near 1 (learned, or set by the update-gate bias or "
                    "chrono init): try the preset *Gate held open*.")
        return f"The GRU {where}: its update gate averages z = {zbar:.2f}; {_distances(gru, k)}."
    return f"{how}: z averages {zbar:.2f}; {_distances(gru, k)}."


def dashed_line(gru: CellCurves) -> str:
    """Why the dashed 'through diag(z) alone' line lies where it does relative to the full GRU line."""
    with np.errstate(all="ignore"):
        ok = np.isfinite(gru.direct_only) & np.isfinite(gru.grad_norm) & (gru.grad_norm > 0)
        below = float(np.mean(gru.direct_only[ok] < gru.grad_norm[ok] * (1 - 1e-9))) if ok.any() else 0.0
    lead = ("The dashed line is what the GRU's gradient would be if it could only flow back through the direct "
            "path, the update gate's copy of the old state. ")
    if below >= 0.5:
        return lead + ("It lies **below** the full GRU line: the paths through the weights add gradient of their "
                       "own, so the direct path is the floor the gate guarantees, not all the gradient there is.")
    return lead + ("It lies **above** the full GRU line here: the paths through the weights partly cancel what "
                   "the direct path carries.")


def overflow(c: CellCurves) -> str | None:
    """Where a cell's state or gradient stopped being a number, naming inf / NaN as the numbers are; else None."""
    name = CELL_LABELS[c.kind]
    if c.nonfinite_from >= 0:
        return f"the {name}'s state overflowed at step {c.nonfinite_from + 1}"
    bad = ~np.isfinite(c.grad_norm)
    if not bad.any():
        return None
    k = np.arange(c.steps - 1, -1, -1)
    parts = [f"**{w}** from {int(k[m].min())} steps back"
             for w, m in (("inf", np.isinf(c.grad_norm)), ("NaN", np.isnan(c.grad_norm))) if m.any()]
    return f"the {name}'s gradient passed float64's largest number (about 1.8e308) and became " + " and ".join(parts)


def overflow_sentence(res: Result) -> str | None:
    """'Overflow: the RNN's gradient ... became inf from 390 steps back and NaN from 392 steps back.' or None."""
    parts = [p for p in (overflow(c) for c in res.curves.values()) if p]
    if not parts:
        return None
    return "Overflow: " + "; ".join(parts) + " (▲ on the top edge of the chart; NaN = inf − inf, no number at all)."


def overflow_chart(res: Result) -> str | None:
    """The short form written on the chart (Plotly HTML, one line per cell), e.g. 'RNN's gradient: inf from
    k = 390, NaN from k = 392 (▲ top edge)'; None when every value is finite."""
    lines = []
    for c in res.curves.values():
        if c.nonfinite_from >= 0:
            lines.append(f"{CELL_LABELS[c.kind]}'s state overflowed at step {c.nonfinite_from + 1}")
            continue
        k = np.arange(c.steps - 1, -1, -1)
        parts = [f"{w} from k = {int(k[m].min())}" for w, m in (("inf", np.isinf(c.grad_norm)),
                                                                ("NaN", np.isnan(c.grad_norm))) if m.any()]
        if parts:
            lines.append(f"{CELL_LABELS[c.kind]}'s gradient:<br>" + "<br>".join(parts))   # short lines: phones
    return "<b>Overflow</b> (▲ top edge)<br>" + "<br>".join(lines) if lines else None


def big_start(res: Result) -> str | None:
    """Why the gradient axis starts far above 1 (the loss is on a huge state), or None."""
    if res.settings.loss != "last":
        return None
    big = [c for c in res.curves.values() if math.isfinite(c.h_last_norm) and c.h_last_norm > HUGE_START]
    if not big:
        return None
    c = big[0]
    why = " (ReLU does not squash it the way tanh does)" if c.kind == "rnn" and c.settings.nonlinearity == "relu" \
        else ""
    return (f"The chart starts high because the {CELL_LABELS[c.kind]}'s own state is huge: with the loss "
            "L = ½‖h_T‖², the gradient at the loss step is h_T itself, and it grew to "
            f"{sci(c.h_last_norm)} over the {c.steps} steps{why}.")


def clipping_sentence(c: Clipping) -> str:
    """What clipping did to the RNN's parameter gradient, from its numbers."""
    total = sci(c.total_norm)
    if c.threshold is None:
        return f"Clipping is off: the update uses the raw gradient, ‖g‖ = **{total}**."
    if math.isnan(c.factor):
        return "The gradient is inf/NaN: clipping cannot rescale it (c·g/‖g‖ is NaN)."
    if c.active:
        return (f"‖g‖ = **{total}** ≥ c = {sci(c.threshold)}: the whole gradient is multiplied by **{sci(c.factor)}**, "
                f"so its norm becomes {sci(c.total_after)}; its direction does not change (cosine with the raw "
                f"gradient: {c.cosine:.6f}).")
    return (f"‖g‖ = **{total}** < c = {sci(c.threshold)}: clipping does nothing here. Try the preset *Exploding RNN*, "
            "or lower c.")


def clipping_message(c: Clipping) -> str | None:
    """The sentence written on the clipping chart when the gradient overflowed, else None."""
    if math.isfinite(c.total_norm):
        return None
    return ("The gradient overflowed (inf/NaN): clipping cannot rescale it, c·g/‖g‖ is NaN. Skip such a step or "
            "lower σ_max.")


CLIP_HOW_TO_READ = ("Solid: how much each step contributes to the RNN's gradient g with respect to its weights; "
                    "dashed: the same after clipping. Clipping multiplies the whole gradient by one number, so every "
                    "step drops by the same amount and the direction is unchanged: it tames a huge update but cannot "
                    "revive a vanished gradient.")


def phase_how_to_read() -> str:
    return (f"Each column is one network with every recurrent weight block rescaled to that σ_max ({PHASE_SCALES} "
            "networks per cell, run together); each row is a distance k. Blue means the gradient vanished, red that "
            "it exploded, white about 1; the black line is the edge where it stays exactly the same size, and the "
            "dashed line marks this page's σ_max.")


def phase_caption(s: Settings) -> str:
    """What the sweep ran, and why it is capped when it is."""
    T, H = phase_sizes(s)
    capped = T < s.steps or H < s.hidden
    return (f"Sweep: T = {T}, H = {H}, σ_max from {PHASE_SIGMA[0]} to {PHASE_SIGMA[1]}, other settings as in the "
            "sidebar." + (f" (Capped at T ≤ {PHASE_MAX_STEPS}, H ≤ {PHASE_MAX_HIDDEN}: every cell of the map needs "
                          "its own singular value decomposition, so the full size would take minutes.)"
                          if capped else ""))
