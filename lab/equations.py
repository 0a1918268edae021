"""The four GRU equations as LaTeX, symbolic and with one step's numbers substituted.

Pure functions (no Streamlit). ``step_terms`` splits one GRU step of one unit into the terms that appear in
the equations (each matrix-vector product, each bias), computed from the cell's own parameters; the page
shows them under the symbolic equations and a test checks they add up to the engine's gate values.

Conventions (see README, "The engine"):
- mix "torch" (PyTorch, Cho et al. 2014):  h_t = (1 - z_t) * n_t + z_t * h_{t-1}   (z = share of the OLD state kept)
- mix "wiki"  (Chung et al. 2014, Wikipedia): h_t = (1 - z_t) * h_{t-1} + z_t * n_t  (z = share of the NEW candidate)
- reset "after"  (PyTorch):  n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
- reset "before" (Cho 2014): n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIXES = ("torch", "wiki")
RESETS = ("after", "before")

MIX_LABELS = {
    "torch": "PyTorch / Cho et al. 2014: h = z·h_prev + (1−z)·n",
    "wiki": "Chung et al. 2014 / Wikipedia: h = (1−z)·h_prev + z·n",
}
RESET_LABELS = {
    "after": "after the matmul (PyTorch, Keras reset_after=True): r ⊙ (W_hn h + b_hn)",
    "before": "before the matmul (Cho et al. 2014): W_hn (r ⊙ h)",
}


def sigmoid(a: float) -> float:
    """Logistic function, overflow-safe for scalars."""
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


@dataclass(frozen=True)
class StepTerms:
    """Every number of one GRU step for one unit ``j`` (scalars unless stated).

    Each gate's pre-activation is the sum of its four terms: ``a_r = wx_r + b_ir + uh_r + b_hr`` etc.
    For reset "after", ``uh_n`` is ``(W_hn h_{t-1})_j`` and the candidate's pre-activation is
    ``wx_n + b_in + r * (uh_n + b_hn)``; for reset "before", ``uh_n`` is ``(W_hn (r ⊙ h_{t-1}))_j`` and the
    pre-activation is ``wx_n + b_in + uh_n + b_hn``.
    """

    t: int                    # 1-based step index (h_t is produced)
    unit: int                 # 0-based unit index j
    mix: str
    reset: str
    x: np.ndarray             # (I,) input at this step
    h_prev: float             # h_{t-1, j}
    wx_r: float
    b_ir: float
    uh_r: float
    b_hr: float
    wx_z: float
    b_iz: float
    uh_z: float
    b_hz: float
    wx_n: float
    b_in: float
    uh_n: float
    b_hn: float
    r: float
    z: float
    n: float
    h: float

    @property
    def a_r(self) -> float:
        return self.wx_r + self.b_ir + self.uh_r + self.b_hr

    @property
    def a_z(self) -> float:
        return self.wx_z + self.b_iz + self.uh_z + self.b_hz

    @property
    def a_n(self) -> float:
        if self.reset == "after":
            return self.wx_n + self.b_in + self.r * (self.uh_n + self.b_hn)
        return self.wx_n + self.b_in + self.uh_n + self.b_hn

    @property
    def keep(self) -> float:
        """The part of h_t that comes from h_{t-1}: z*h_prev (torch) or (1-z)*h_prev (wiki)."""
        return (self.z if self.mix == "torch" else 1.0 - self.z) * self.h_prev

    @property
    def write(self) -> float:
        """The part of h_t that comes from the candidate: (1-z)*n (torch) or z*n (wiki)."""
        return ((1.0 - self.z) if self.mix == "torch" else self.z) * self.n

    @property
    def keep_share(self) -> float:
        """Share of the old state kept, whatever the convention (z for torch, 1-z for wiki)."""
        return self.z if self.mix == "torch" else 1.0 - self.z

    @property
    def reset_product(self) -> float:
        """The value at the reset multiplication: r*(W_hn h + b_hn) (after) or r*h_prev (before)."""
        if self.reset == "after":
            return self.r * (self.uh_n + self.b_hn)
        return self.r * self.h_prev


def step_terms(params: dict, x_t: np.ndarray, h_prev: np.ndarray, unit: int, *, t: int,
               mix: str = "torch", reset: str = "after") -> StepTerms:
    """Split one GRU step into its equation terms for unit ``unit``.

    params: the cell's parameters for ONE cell: "weight_ih" (3H, I), "weight_hh" (3H, H), "bias_ih" (3H,),
            "bias_hh" (3H,), gate rows in PyTorch order r, z, n.
    x_t: (I,) input at step t.  h_prev: (H,) state h_{t-1}.  t: 1-based step number (for the labels).
    Returns the terms and the resulting r, z, n, h of that unit, computed here in float64 from the parameters
    (the page compares them with the engine's trace; a test checks they agree to 1e-12).
    """
    W_ih, W_hh, b_ih, b_hh, x_t, h_prev = _checked(params, x_t, h_prev, unit, mix, reset)
    H = h_prev.shape[0]
    jr, jz, jn = unit, H + unit, 2 * H + unit
    wx_r, uh_r = float(W_ih[jr] @ x_t), float(W_hh[jr] @ h_prev)
    wx_z, uh_z = float(W_ih[jz] @ x_t), float(W_hh[jz] @ h_prev)
    r_all = _sigmoid_vec(W_ih[:H] @ x_t + b_ih[:H] + W_hh[:H] @ h_prev + b_hh[:H])
    r = float(r_all[unit])
    z = sigmoid(wx_z + float(b_ih[jz]) + uh_z + float(b_hh[jz]))
    wx_n = float(W_ih[jn] @ x_t)
    if reset == "after":
        uh_n = float(W_hh[jn] @ h_prev)
        a_n = wx_n + float(b_ih[jn]) + r * (uh_n + float(b_hh[jn]))
    else:
        uh_n = float(W_hh[jn] @ (r_all * h_prev))
        a_n = wx_n + float(b_ih[jn]) + uh_n + float(b_hh[jn])
    n = math.tanh(a_n)
    hp = float(h_prev[unit])
    h = (1.0 - z) * n + z * hp if mix == "torch" else (1.0 - z) * hp + z * n
    return StepTerms(t=t, unit=unit, mix=mix, reset=reset, x=x_t, h_prev=hp,
                     wx_r=wx_r, b_ir=float(b_ih[jr]), uh_r=uh_r, b_hr=float(b_hh[jr]),
                     wx_z=wx_z, b_iz=float(b_ih[jz]), uh_z=uh_z, b_hz=float(b_hh[jz]),
                     wx_n=wx_n, b_in=float(b_ih[jn]), uh_n=uh_n, b_hn=float(b_hh[jn]),
                     r=r, z=z, n=n, h=h)


def _checked(params: dict, x_t, h_prev, unit: int, mix: str, reset: str) -> tuple[np.ndarray, ...]:
    """The parameters and vectors of ``step_terms`` as float64 arrays, after checking they fit together."""
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {MIXES}, got {mix!r}")
    if reset not in RESETS:
        raise ValueError(f"reset must be one of {RESETS}, got {reset!r}")
    W_ih, W_hh, b_ih, b_hh = (np.asarray(params[k], dtype=np.float64)
                              for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    x_t = np.asarray(x_t, dtype=np.float64).reshape(-1)
    h_prev = np.asarray(h_prev, dtype=np.float64).reshape(-1)
    H = h_prev.shape[0]
    if W_ih.shape != (3 * H, x_t.shape[0]) or W_hh.shape != (3 * H, H):
        raise ValueError(f"params do not fit x_t (I={x_t.shape[0]}) and h_prev (H={H}): "
                         f"weight_ih {W_ih.shape}, weight_hh {W_hh.shape}")
    if not 0 <= unit < H:
        raise ValueError(f"unit must be in 0..{H - 1}, got {unit}")
    return W_ih, W_hh, b_ih, b_hh, x_t, h_prev


def _sigmoid_vec(a: np.ndarray) -> np.ndarray:
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out


# ----------------------------------------------------------------------------------------------- LaTeX

def fmt(v: float, digits: int = 3) -> str:
    """A number for LaTeX: fixed decimals, a real minus sign, inf/nan spelled out."""
    if math.isnan(v):
        return r"\text{NaN}"
    if math.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    if abs(v) >= 1e4:
        mant, exp = f"{v:.{digits - 1}e}".split("e")
        return rf"{mant}\times 10^{{{int(exp)}}}"
    s = f"{v:.{digits}f}"
    if s.startswith("-") and float(s) == 0.0:
        s = s[1:]                                 # no "-0.000"
    return s


def equation_names(mix: str = "torch") -> dict[str, str]:
    """What each of the four equations computes, in words (the update gate's share depends on the mix)."""
    return {"r": "Reset gate: how much of the old state the candidate may look at",
            "z": ("Update gate: share of the old state kept" if mix == "torch" else
                  "Update gate: share of the new candidate written"),
            "n": "Candidate state", "h": "The mix: new state from old state and candidate"}


def symbolic_equations(mix: str = "torch", reset: str = "after") -> dict[str, str]:
    """The four equations (keys "r", "z", "n", "h") in the chosen convention, as LaTeX."""
    if mix not in MIXES or reset not in RESETS:
        raise ValueError(f"mix must be in {MIXES} and reset in {RESETS}, got {mix!r}, {reset!r}")
    eq = {
        "r": r"r_t = \sigma\left(W_{ir}\,x_t + b_{ir} + W_{hr}\,h_{t-1} + b_{hr}\right)",
        "z": r"z_t = \sigma\left(W_{iz}\,x_t + b_{iz} + W_{hz}\,h_{t-1} + b_{hz}\right)",
    }
    if reset == "after":
        eq["n"] = (r"\begin{aligned} n_t = \tanh\big(&W_{in}\,x_t + b_{in} \\ &+ r_t \odot (W_{hn}\,h_{t-1} + b_{hn})"
                   r"\big)\end{aligned}")
    else:
        eq["n"] = (r"\begin{aligned} n_t = \tanh\big(&W_{in}\,x_t + b_{in} \\ &+ W_{hn}(r_t \odot h_{t-1}) + b_{hn}"
                   r"\big)\end{aligned}")
    if mix == "torch":
        eq["h"] = r"h_t = \left(1 - z_t\right) \odot n_t + z_t \odot h_{t-1}"
    else:
        eq["h"] = r"h_t = \left(1 - z_t\right) \odot h_{t-1} + z_t \odot n_t"
    return eq


# ------------------------------------------------------------------------------------------------ HTML
# The numeric equations change at every step; drawn as HTML they cost a fraction of KaTeX's typesetting (each
# labelled term is a number with its symbol under it, as an underbrace would put it).

EQ_CSS = """<style>
.eq-num { font-size: 1.15rem; line-height: 1.5; margin: 0.2rem 0 0.6rem 0; }
.eq-num .eq-line { margin-left: 2.2em; }
.eq-num .eq-line:first-child { margin-left: 0; }
.eq-num .eq-t { display: inline-flex; flex-direction: column; align-items: center; vertical-align: top; }
.eq-num .eq-t > small { font-size: 0.72em; color: #444; border-top: 1px solid #999; padding: 0 0.2em; }
</style>"""

_LABELS = {"Wx": "W<sub>i{g}</sub>x<sub>t</sub>", "b_i": "b<sub>i{g}</sub>", "Uh": "W<sub>h{g}</sub>h<sub>t−1</sub>",
           "b_h": "b<sub>h{g}</sub>", "Urh": "W<sub>hn</sub>(r<sub>t</sub>⊙h<sub>t−1</sub>)", "r": "r<sub>t</sub>"}


def fmt_html(v: float, digits: int = 3) -> str:
    """A number for HTML: as ``fmt`` (same rounding), with a real minus sign, ∞, NaN and ×10<sup>k</sup>."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if abs(v) >= 1e4:
        mant, exp = f"{v:.{digits - 1}e}".split("e")
        return f"{mant.replace('-', '−')}×10<sup>{int(exp)}</sup>"
    return fmt(v, digits).replace("-", "−")


def _p(v: float) -> str:
    """A number, in parentheses when negative (so "+ (−0.2)" reads as a sum)."""
    return f"({fmt_html(v)})" if v < 0 else fmt_html(v)


def _t(v: float, label: str, first: bool = False) -> str:
    """One summand with its symbol under it."""
    return ("" if first else " + ") + f'<span class="eq-t"><span>{fmt_html(v) if first else _p(v)}</span>' \
                                      f'<small>{label}</small></span>'


def _labels(g: str) -> dict[str, str]:
    """The symbols under the terms of gate ``g`` ("r", "z" or "n")."""
    return {k: v.format(g=g) for k, v in _LABELS.items()}


def _gate_sum(g: str, wx: float, b_i: float, uh: float, b_h: float) -> str:
    L = _labels(g)
    return _t(wx, L["Wx"], True) + _t(b_i, L["b_i"]) + _t(uh, L["Uh"]) + _t(b_h, L["b_h"])


def _lines(*parts: str) -> str:
    return "".join(f'<div class="eq-line">{p}</div>' for p in parts)


def numeric_html(s: StepTerms) -> dict[str, str]:
    """The four equations with the numbers of step ``s.t``, unit ``s.unit`` substituted, as HTML (keys r z n h);
    every number rounded by ``fmt``."""
    name = lambda g: f"<i>{g}</i><sub>{s.t},{s.unit + 1}</sub>"   # noqa: E731
    eq = {g: _lines(f"{name(g)} = σ( {_gate_sum(g, *v)} )", f"= σ({fmt_html(a)}) = {fmt_html(out)}")
          for g, v, a, out in (("r", (s.wx_r, s.b_ir, s.uh_r, s.b_hr), s.a_r, s.r),
                               ("z", (s.wx_z, s.b_iz, s.uh_z, s.b_hz), s.a_z, s.z))}
    L = _labels("n")
    head = f"{name('n')} = tanh( {_t(s.wx_n, L['Wx'], True)}{_t(s.b_in, L['b_i'])}"
    if s.reset == "after":
        tail = f"+ {_t(s.r, L['r'], True)} · ( {_t(s.uh_n, L['Uh'], True)}{_t(s.b_hn, L['b_h'])} ) )"
    else:
        tail = f"{_t(s.uh_n, L['Urh'])}{_t(s.b_hn, L['b_h'])} )"
    eq["n"] = _lines(head, tail, f"= tanh({fmt_html(s.a_n)}) = {fmt_html(s.n)}")
    first, second = (_p(s.n), _p(s.h_prev)) if s.mix == "torch" else (_p(s.h_prev), _p(s.n))
    parts = (s.write, s.keep) if s.mix == "torch" else (s.keep, s.write)
    eq["h"] = _lines(f"{name('h')} = (1 − {fmt_html(s.z)}) · {first} + {fmt_html(s.z)} · {second}",
                   f"= {fmt_html(parts[0])} + {_p(parts[1])} = {fmt_html(s.h)}")
    return {g: f'<div class="eq-num">{v}</div>' for g, v in eq.items()}


def relabel_note(s: StepTerms) -> str:
    """One markdown sentence saying what the OTHER mixing convention would show for this very step."""
    other = "wiki" if s.mix == "torch" else "torch"
    z_other = 1.0 - s.z
    name = {"torch": "PyTorch / Cho", "wiki": "Chung / Wikipedia"}
    return (f"In the {name[other]} convention the same model has $z_{{{s.t},{s.unit + 1}}} = 1 - {fmt(s.z)} = "
            f"{fmt(z_other)}$ (its $W_z$, $U_z$, $b_z$ negated), and $h_{{{s.t},{s.unit + 1}}} = {fmt(s.h)}$ is "
            f"unchanged.")
