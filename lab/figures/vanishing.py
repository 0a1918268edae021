"""The vanishing-gradient page: what is computed from the engine's traces, and the figures (no Streamlit here).

Three layers, each pure:

1. ``Settings`` (plain values, the page's controls) and ``PRESETS`` (named settings a teacher picks in one click).
2. Numbers derived from ``gru_core`` traces: ``cell_curves`` records one cell and keeps only what the charts need
   (``CellCurves``); ``phase_sweep`` runs ONE batched engine call over many largest singular values (``PhaseData``).
   The small helpers (``pascanu_bound``, ``direct_path_only``, ``jacobian_share``, ``rnn_param_grad``,
   ``clip_factor``, ``retained``) are the maths written out, each unit-tested against the engine or PyTorch.
3. Figure builders: data in, ``go.Figure`` out (``gradient_norm_figure``, ``unit_heatmap_figure``,
   ``phase_figure``, ``clipping_figure``) and the headline sentences.

Conventions: t = 1..T is the time step, arrays are indexed by t - 1; k = T - t is "steps back from the loss"
(k = 0 is the step where the loss is taken). Norms are Euclidean (2-norm) for vectors; for matrices ||dh_T/dh_t|| and sigma_max are
spectral norms (largest singular value), and the direct-path share uses Frobenius norms (see ``jacobian_share``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import plotly.graph_objects as go

import gru_core
from gru_core import vector_norm
from lab.figures.common import (base_figure, finish_log_axis, lab_template, log_heatmap, log_limits,
                                log_line, sci, steps_back)
from lab.theme import (CELL_COLORS, CELL_DASH, CELL_LABELS, CHART_HEIGHT, DIVERGING_SCALE, FONT_SIZE, GATE_COLORS,
                       LEGEND_ROW, LINE_WIDTH, MARGIN, MARGIN_COLORBAR, TICK_SIZE, layout_sizes)

KINDS: tuple[str, ...] = ("rnn", "gru", "lstm")
TOKEN_VOCAB = 8  # input size for the "tokens" signal (one-hot over 8 symbols); every other signal has input size 1
PHASE_SCALES = 32  # sigma values in the phase-diagram sweep (one batched engine call per cell kind)
PHASE_MAX_STEPS = 120  # the sweep's sequence length is min(T, this) ...
PHASE_MAX_HIDDEN = 32  # ... and its hidden size min(H, this): ||dh_T/dh_t|| needs one SVD per step and setting
PHASE_SIGMA = (0.1, 3.0)
PHASE_DECADES = 16  # phase colours saturate at 1e-16 and 1e16 (float64 keeps about 16 digits)
HEATMAP_TEXT_CELLS = 60_000  # above this many heatmap cells per figure, hover text (true values) is left out
HEADLINE_STEPS = 50  # "after 50 steps the RNN keeps ..."

# -----------------------------------------------------------------------------------------------------------------
# 1. Settings and presets


@dataclass(frozen=True)
class Settings:
    """Every control of the page, as plain values (hashable: a cache key)."""
    steps: int = 100  # T
    hidden: int = 32  # H
    cells: tuple[str, ...] = KINDS
    init: str = "pytorch"  # "pytorch" | "orthogonal" | "gaussian"
    scale: float | None = None  # largest singular value of each recurrent block; None = as initialised
    update_bias: float = 0.0  # GRU update gate / LSTM forget gate, positive = keep
    chrono: int | None = None  # chrono-init T_max (GRU and LSTM), or None
    nonlinearity: str = "tanh"  # RNN only
    signal: str = "noise"
    loss: str = "last"  # "last" | "all"
    seed: int = 0

    @property
    def input_size(self) -> int:
        return TOKEN_VOCAB if self.signal == "tokens" else 1


@dataclass(frozen=True)
class Preset:
    """A named set of control values. ``values`` maps the page's widget keys to values (every key is set, so a
    preset always reproduces the same view)."""
    name: str
    blurb: str  # one or two sentences: what to look at
    values: dict = field(hash=False)


# Widget keys of the page (URL parameter names) and their defaults.
DEFAULTS: dict = {
    "vg_len": 100, "vg_hidden": 32, "vg_cells": ["rnn", "gru", "lstm"], "vg_init": "pytorch",
    "vg_rescale": False, "vg_sigma": 1.0, "vg_chrono": False, "vg_bias": 0.0, "vg_nonlin": "tanh",
    "vg_signal": "noise", "vg_loss": "last", "vg_seed": 0,
}


def _preset(name: str, blurb: str, **changes) -> Preset:
    values = dict(DEFAULTS)
    for k, v in changes.items():
        key = f"vg_{k}"
        if key not in values:
            raise KeyError(f"preset {name!r}: unknown control {key!r}")
        values[key] = v
    return Preset(name, blurb, values)


PRESETS: tuple[Preset, ...] = (
    _preset("RNN vs GRU vs LSTM", "The three cells at PyTorch's default init, 100 steps of noise, loss on the last "
            "step. All three lose their gradient exponentially."),
    _preset("GRU default init vanishes too", "A GRU is not immune: with PyTorch's default init its update gate "
            "sits near 0.5, so every step halves the direct path and the gradient dies almost as fast as the RNN's.",
            cells=["rnn", "gru"], hidden=64),
    _preset("Gate held open", "The same GRU with +4 on the update gate's bias: z is about 0.98, each step "
            "Jacobian is close to the identity, and the gradient survives 100 steps.", cells=["rnn", "gru"],
            hidden=64, bias=4.0),
    _preset("Chrono init", "Tallec & Ollivier's chrono init spreads the keep-bias over log U[1, T-1]: some units "
            "remember for about T steps. Shown for the GRU and the LSTM over 200 steps.", cells=["gru", "lstm"],
            len=200, chrono=True),
    _preset("Exploding RNN", "An orthogonal RNN scaled to sigma_max = 2: the gradient grows by up to 2x per step "
            "back. Open the view 'Exploding gradients and clipping' below and see clipping rescale the whole gradient.", cells=["rnn", "gru"],
            init="orthogonal", rescale=True, sigma=2.0),
    _preset("Overflow to inf", "A ReLU RNN, orthogonal with sigma_max = 3, 128 units, 500 steps: the gradient "
            "passes float64's largest number (about 1.8e308) and becomes inf. Overflowed points sit on the top "
            "edge of the log chart, not hidden.", cells=["rnn"], len=500, hidden=128, init="orthogonal",
            rescale=True, sigma=3.0, nonlin="relu"),
    _preset("Underflow to 0", "sigma_max = 0.1 over 500 steps: the RNN's gradient falls below the smallest "
            "float64 (about 5e-324) and becomes exactly 0, drawn on the bottom edge.", cells=["rnn", "gru"],
            len=500, rescale=True, sigma=0.1),
    _preset("Edge: σ_max = 1", "An orthogonal RNN with sigma_max = 1 sits at the edge between "
            "vanishing and exploding: its gradient decays slowly, only through tanh's saturation.",
            cells=["rnn", "gru", "lstm"], init="orthogonal", rescale=True, sigma=1.0),
)


def settings_from_values(values: Mapping) -> Settings:
    """Widget values (keys as in ``DEFAULTS``) -> Settings. The update-gate bias is ignored under chrono init."""
    T = int(values["vg_len"])
    chrono = T if values["vg_chrono"] else None
    return Settings(
        steps=T, hidden=int(values["vg_hidden"]), cells=tuple(k for k in KINDS if k in values["vg_cells"]),
        init=values["vg_init"], scale=float(values["vg_sigma"]) if values["vg_rescale"] else None,
        update_bias=0.0 if chrono else float(values["vg_bias"]), chrono=chrono,
        nonlinearity=values["vg_nonlin"], signal=values["vg_signal"], loss=values["vg_loss"],
        seed=int(values["vg_seed"]),
    )


def matching_preset(values: Mapping) -> Preset | None:
    """The preset whose values equal the current widget values, if any."""
    for p in PRESETS:
        if all(_same(values.get(k), v) for k, v in p.values.items()):
            return p
    return None


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return sorted(a or []) == sorted(b or [])
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


# -----------------------------------------------------------------------------------------------------------------
# 2. Numbers from the engine


def make_cell(kind: str, s: Settings, *, scale: float | None | str = "settings", hidden: int | None = None):
    """The engine cell of ``kind`` for these settings (options that do not apply to the kind are left out)."""
    kw: dict = dict(seed=s.seed, init=s.init, scale=s.scale if scale == "settings" else scale)
    if kind == "rnn":
        kw["nonlinearity"] = s.nonlinearity
    else:
        kw["update_bias"] = s.update_bias
        kw["chrono"] = s.chrono
    return gru_core.make_cell(kind, s.input_size, hidden or s.hidden, **kw)


def make_input(s: Settings, steps: int | None = None) -> np.ndarray:
    """The input sequence x, (T, I)."""
    return gru_core.signal(s.signal, steps or s.steps, s.input_size, seed=s.seed)


def sigma_max(weight_hh: np.ndarray, hidden: int) -> float:
    """Largest singular value over the H x H recurrent blocks of weight_hh (G*H, H) (the RNN has one block)."""
    blocks = weight_hh.reshape(-1, hidden, hidden)
    return float(np.linalg.norm(blocks, ord=2, axis=(-2, -1)).max())


def direct_parts(h: np.ndarray, loss: str) -> np.ndarray:
    """The direct part of dL/dh_t (before anything flows back from later steps), (T, H).

    loss "last": L = 0.5 ||h_T||^2, so only dL/dh_T = h_T; loss "all": L = sum_t 0.5 ||h_t||^2, so h_t at every t."""
    if loss == "all":
        return h.copy()
    d = np.zeros_like(h)
    d[-1] = h[-1]
    return d


def pascanu_bound(direct_norm: np.ndarray, sigma: float) -> np.ndarray:
    """Upper bound on ||dL/dh_t|| for a tanh/ReLU RNN (Pascanu, Mikolov & Bengio 2013), (T,).

    g_t = d_t + J_{t+1}^T g_{t+1} with J_{t+1} = diag(f'(a_{t+1})) W_hh and |f'| <= 1, so
    ||g_t|| <= ||d_t|| + sigma_max(W_hh) ||g_{t+1}||. With the loss on the last step only this is
    ||dL/dh_T|| * sigma^k, k = T - t steps back."""
    d = np.asarray(direct_norm, dtype=np.float64)
    b = np.empty_like(d)
    b[-1] = d[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(len(d) - 2, -1, -1):
            b[i] = d[i] + sigma * b[i + 1]
    return b


def direct_path_only(z: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """||g_t|| if the gradient could only flow back through the GRU's direct path diag(z_t), (T,).

    z, direct: (T, H) (z[i] is z at step i + 1). g_T = d_T, g_{t-1} = d_{t-1} + z_t * g_t."""
    g = np.empty_like(direct, dtype=np.float64)
    g[-1] = direct[-1]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for i in range(len(g) - 2, -1, -1):
            g[i] = direct[i] + z[i + 1] * g[i + 1]
        return vector_norm(g)


def jacobian_share(direct: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Share of the GRU's step Jacobian that is the direct path, (T,): ||D_t||_F / (||D_t||_F + ||W_t||_F).

    direct D_t = diag(z_t) and weights W_t = the paths through W_hr, W_hz, W_hn, each (T, H, H) (engine
    ``trace.jacobian_split`` for one batch row); dh_t/dh_{t-1} = D_t + W_t. Frobenius norms (root of the sum of
    squared entries; ||D_t||_F = sqrt(sum_i z_{t,i}^2)): exact and cheap at every size, where the spectral norm
    needs one SVD per step (~10 s at T = 500, H = 128). 1 means the step only copies the kept units, 0 means the
    weights decide."""
    d = vector_norm(np.diagonal(direct, axis1=-2, axis2=-1))
    w = vector_norm(weights.reshape(len(weights), -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return d / (d + w)


@dataclass
class ParamGrad:
    """dL/dtheta of an RNN, split into what each step contributes (theta = W_ih, W_hh, b_ih, b_hh)."""
    per_step: np.ndarray  # (T,) ||contribution of step t||: dL/da_t times (x_t, h_{t-1}, 1, 1)
    total: np.ndarray  # (P,) the whole gradient flattened in the order W_ih, W_hh, b_ih, b_hh
    total_norm: float


def rnn_param_grad(x: np.ndarray, h0: np.ndarray, h: np.ndarray, grad_h: np.ndarray, nonlinearity: str) -> ParamGrad:
    """Gradient of the loss w.r.t. an RNN's parameters, from its recorded states and dL/dh_t.

    x (T, I), h0 (H,), h (T, H), grad_h (T, H) = the total dL/dh_t. For h_t = f(a_t),
    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh: delta_t = dL/da_t = f'(a_t) * dL/dh_t, and step t adds
    delta_t x_t^T to dL/dW_ih, delta_t h_{t-1}^T to dL/dW_hh and delta_t to both biases."""
    h_prev = np.concatenate([h0[None], h[:-1]])
    fprime = (h > 0).astype(np.float64) if nonlinearity == "relu" else 1.0 - h ** 2
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        delta = fprime * grad_h
        per_step = vector_norm(delta) * np.sqrt(np.sum(x ** 2, axis=-1) + np.sum(h_prev ** 2, axis=-1) + 2.0)
        dW_ih = delta.T @ x
        dW_hh = delta.T @ h_prev
        db = delta.sum(axis=0)
        total = np.concatenate([dW_ih.ravel(), dW_hh.ravel(), db, db])
        total_norm = float(vector_norm(total))
    return ParamGrad(per_step, total, total_norm)


def clip_factor(norm: float, threshold: float) -> float:
    """Pascanu et al. 2013, Algorithm 1: if ||g|| >= c then g <- c g / ||g||. Returns the factor g is multiplied by
    (1 when no clipping happens; NaN when ||g|| is not finite, since c g/||g|| is then NaN)."""
    if not math.isfinite(norm):
        return math.nan
    if norm >= threshold and norm > 0:
        return threshold / norm
    return 1.0


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """cos(a, b) = a.b / (||a|| ||b||); NaN if either is 0 or not finite."""
    with np.errstate(all="ignore"):
        na, nb = float(vector_norm(a)), float(vector_norm(b))
        if not (np.isfinite(na) and np.isfinite(nb)) or na == 0 or nb == 0:
            return math.nan
        return float(np.dot(a / na, b / nb))


def retained(grad_norm: np.ndarray, k: int) -> float:
    """||dL/dh_{T-k}|| / ||dL/dh_T||: the share of the gradient at the loss step left k steps back.

    NaN if the gradient at the loss step is 0 or not finite (the ratio is not defined)."""
    g = np.asarray(grad_norm, dtype=np.float64)
    last = g[-1]
    if not np.isfinite(last) or last == 0:
        return math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        return float(g[len(g) - 1 - k] / last)


@dataclass
class CellCurves:
    """What the page draws for one cell (T steps, H units). Arrays are indexed by t - 1."""
    kind: str
    settings: Settings
    grad_norm: np.ndarray  # (T,) ||dL/dh_t||, the engine's trace.grad_h
    grad_abs: np.ndarray  # (T, H) |dL/dh_t| per unit
    direct_norm: np.ndarray  # (T,) ||direct part of dL/dh_t|| (see direct_parts)
    nonfinite_from: int  # first 0-based step whose h is not finite, -1 if none
    sigma_max: float  # largest singular value of the recurrent weight blocks
    z_mean: np.ndarray | None = None  # GRU: (T,) mean of z_t over units
    z_lo: np.ndarray | None = None  # GRU: (T,) 10th percentile over units
    z_hi: np.ndarray | None = None  # GRU: (T,) 90th percentile over units
    share: np.ndarray | None = None  # GRU: (T,) jacobian_share of dh_t/dh_{t-1}
    direct_only: np.ndarray | None = None  # GRU: (T,) ||dL/dh_t|| through diag(z) alone
    param_grad: ParamGrad | None = None  # RNN: gradient w.r.t. the parameters (for clipping)

    @property
    def bound(self) -> np.ndarray:
        """RNN: the Pascanu bound on ||dL/dh_t||, (T,)."""
        return pascanu_bound(self.direct_norm, self.sigma_max)


def cell_curves(kind: str, s: Settings) -> CellCurves:
    """Record one cell with the engine and keep what the charts need (small arrays only)."""
    cell = make_cell(kind, s)
    x = make_input(s)
    with np.errstate(all="ignore"):
        tr = gru_core.record(cell, x, loss=s.loss)
        h, grad_h = tr.h[:, 0], tr.grad_h[:, 0]
        out = CellCurves(
            kind=kind, settings=s, grad_norm=vector_norm(grad_h), grad_abs=np.abs(grad_h),
            direct_norm=vector_norm(direct_parts(h, s.loss)), nonfinite_from=int(tr.nonfinite_from[0]),
            sigma_max=sigma_max(cell.params["weight_hh"], s.hidden),
        )
        if kind == "gru":
            z = tr.gates["z"][:, 0]
            out.z_mean = z.mean(axis=-1)
            out.z_lo, out.z_hi = np.percentile(z, [10, 90], axis=-1)
            split = tr.jacobian_split
            out.share = jacobian_share(split["direct"][:, 0], split["weights"][:, 0])
            out.direct_only = direct_path_only(z, direct_parts(h, s.loss))
        if kind == "rnn":
            out.param_grad = rnn_param_grad(x, tr.h0[0], h, grad_h, s.nonlinearity)
    return out


@dataclass
class PhaseData:
    """||dh_T/dh_t|| over a sweep of the largest singular value, for one cell kind."""
    kind: str
    sigmas: np.ndarray  # (S,)
    jacobian_norm: np.ndarray  # (T', S) ||dh_T'/dh_t||, indexed by t - 1
    steps: int  # T' (the sweep's sequence length)
    hidden: int  # H' (the sweep's hidden size)


def phase_sizes(s: Settings) -> tuple[int, int]:
    """(T', H') of the phase-diagram sweep: the page's T and H, capped to keep the sweep interactive."""
    return min(s.steps, PHASE_MAX_STEPS), min(s.hidden, PHASE_MAX_HIDDEN)


def phase_key(kind: str, s: Settings) -> Settings:
    """The settings the sweep of ``kind`` depends on (a cache key): sizes capped, scale/loss/cells dropped, and the
    options of the other kinds reset, so changing e.g. the RNN nonlinearity does not recompute the GRU's sweep."""
    T, H = phase_sizes(s)
    out = replace(s, steps=T, hidden=H, cells=(), scale=None, loss="last")
    if kind == "rnn":
        return replace(out, update_bias=0.0, chrono=None)
    return replace(out, nonlinearity="tanh")


def phase_sweep(kind: str, s: Settings, n: int = PHASE_SCALES) -> PhaseData:
    """ONE batched engine call (``gru_core.stack_cells``) over ``n`` largest singular values in PHASE_SIGMA; every
    other setting (init, seed, bias, nonlinearity, input) as on the page."""
    T, H = phase_sizes(s)
    sigmas = np.linspace(*PHASE_SIGMA, n)
    cells = gru_core.stack_cells([make_cell(kind, s, scale=float(v), hidden=H) for v in sigmas])
    with np.errstate(all="ignore"):
        tr = gru_core.record(cells, make_input(s, T), loss="last")
        jn = np.asarray(tr.jacobian_norm)
    return PhaseData(kind, sigmas, jn, T, H)


# -----------------------------------------------------------------------------------------------------------------
# 3. Words


def _share_words(kind: str, grad_norm: np.ndarray, k: int, first: bool) -> str:
    """One cell's part of the headline: the share of the gradient left k steps back, in words."""
    name = CELL_LABELS[kind]
    last, back = float(grad_norm[-1]), float(grad_norm[len(grad_norm) - 1 - k])
    if not math.isfinite(last) or last == 0:
        return f"the {name}'s share is undefined (its gradient at the loss step is {sci(last)})"
    if math.isnan(back) or math.isinf(back):
        return f"the {name}'s gradient has overflowed to **{'inf' if math.isinf(back) else 'NaN'}**"
    r = back / last
    if r > 1:
        return f"the {name}'s gradient has grown to **{sci(r)}×** its size at the loss"
    return f"the {name} keeps **{sci(r)}**" + (" of its gradient" if first else "")


def headline(curves: Mapping[str, CellCurves], k: int = HEADLINE_STEPS) -> str:
    """'After 50 steps back the RNN keeps 6e-15 of its gradient; the GRU keeps 2e-8.' (markdown), plus the same at
    the first step when the sequence is longer (where underflow to exactly 0 shows up)."""
    if not curves:
        return ""
    T = next(iter(curves.values())).settings.steps
    out = []
    for kk in sorted({min(k, T - 1), T - 1}):
        parts = [_share_words(kind, c.grad_norm, kk, i == 0) for i, (kind, c) in enumerate(curves.items())]
        lead = f"After {kk} steps back" if not out else f"At the first step ({kk} steps back)"
        out.append(f"{lead} {'; '.join(parts)}.")
    return " ".join(out)


VANISHED = 1e-3  # a share of the gradient below this after HEADLINE_STEPS steps counts as "vanished" in the words


def gru_story(gru: CellCurves, k: int = HEADLINE_STEPS, *, short: bool = False) -> str:
    """The point of the page in words, computed from the GRU's trace (markdown): at bias 0 the GRU vanishes too (if
    it does here), and an update gate held near 1 is what saves it. ``short``: one or two sentences."""
    s = gru.settings
    k = min(k, s.steps - 1)
    r = retained(gru.grad_norm, k)
    zbar = float(np.nanmean(gru.z_mean))
    share = float(np.nanmean(gru.share))
    kept = "an undefined share" if math.isnan(r) else sci(r)
    vanished = not math.isnan(r) and r < VANISHED
    if s.chrono:
        how = f"Chrono init (T_max = {s.chrono}) sets each unit's keep-bias to log U[1, {s.chrono - 1}]"
    elif s.update_bias > 0:
        how = f"An update-gate bias of +{s.update_bias:g} holds the gate open"
    elif s.update_bias < 0:
        how = f"An update-gate bias of {s.update_bias:g} pushes the gate towards 'forget'"
    else:
        how = None
    if how is None:
        where = "at PyTorch's default init" if (s.init == "pytorch" and s.scale is None) else "with update-gate bias 0"
        if vanished:
            lead = f"**A GRU {where} vanishes too**: its update gate averages z = {zbar:.2f}"
            if short:
                return (f"{lead}. An update gate held near 1 (learned, or set by the bias / chrono init) is what "
                        "saves it: try the preset *Gate held open*.")
            return (f"{lead}, so the direct path keeps only about that share of the gradient per step and the path "
                    f"through the weights shrinks it too: after {k} steps it keeps {kept}. What saves a GRU is an "
                    "update gate held near 1, learned in training or set by the update-gate bias / chrono init: "
                    "try the preset *Gate held open*.")
        return (f"The GRU {where} keeps {kept} of its gradient after {k} steps here, with its update gate at "
                f"z = {zbar:.2f} on average (the direct path is {share:.0%} of each step's Jacobian).")
    verdict = "the gradient still fades" if vanished or math.isnan(r) else "the gradient survives"
    if short:
        return f"{how}: z averages {zbar:.2f} and {verdict}."
    return (f"{how}: z averages {zbar:.2f}, the direct path diag(z) is on average {share:.0%} of each step's "
            f"Jacobian, and {verdict}: after {k} steps the GRU keeps {kept} of its gradient.")


# -----------------------------------------------------------------------------------------------------------------
# 4. Figures


def _panels(n: int, *, along: str = "cols", titles: list[str] | None = None, height: int = CHART_HEIGHT,
            spacing: float = 0.05, sizes: list[float] | None = None, legend: bool = True,
            margin: dict | None = None, data: list[dict] | None = None) -> go.Figure:
    """An empty figure of ``n`` panels side by side (``along="cols"``, one shared y-axis) or stacked
    (``along="rows"``, one shared x-axis), in the lab's look. Panel i (1-based) uses axes x{i}/y{i} ("x"/"y" for
    i = 1): give a trace ``xaxis=f"x{i}"``, ``yaxis=f"y{i}"``. Fixed margins (lab.theme.MARGIN, room for the legend
    above, updated by ``margin``), axis automargin off. ``data``: trace dicts (faster than adding them later).

    Built as one layout dict: ``plotly.subplots.make_subplots`` plus per-axis updates cost ~10x more per rerun."""
    sizes = sizes or [1.0 / n] * n
    free = 1.0 - spacing * (n - 1)
    spans, pos = [], 0.0
    for f in sizes:
        spans.append((pos, pos + f * free))
        pos += f * free + spacing
    def axis(**kw) -> dict:   # a fresh dict per axis: the unvalidated figure keeps these very objects
        return dict(tickfont=dict(size=TICK_SIZE), title=dict(font=dict(size=FONT_SIZE)), automargin=False, **kw)

    layout: dict = dict(height=height, showlegend=legend, margin={**MARGIN, "t": 110 if legend else 70, **(margin or {})},
                        **layout_sizes())
    layout["legend"] = dict(layout["legend"], orientation="h", yanchor="bottom", y=1.06, xanchor="left", x=0)
    annotations = []
    for i, (a, b) in enumerate(spans, start=1):
        sx, sy = ("" if i == 1 else str(i)), ("" if i == 1 else str(i))
        if along == "cols":
            xa = axis(domain=[a, b], anchor=f"y{sy}")
            ya = axis(domain=[0.0, 1.0], anchor=f"x{sx}")
            if i > 1:
                ya.update(matches="y", showticklabels=False)
            tx, ty = (a + b) / 2, 1.0
        else:  # rows, panel 1 on top
            lo, hi = 1.0 - b, 1.0 - a
            xa = axis(domain=[0.0, 1.0], anchor=f"y{sy}", showticklabels=(i == n))
            if i > 1:
                xa["matches"] = "x"
            ya = axis(domain=[lo, hi], anchor=f"x{sx}")
            tx, ty = 0.5, hi
        layout[f"xaxis{sx}"], layout[f"yaxis{sy}"] = xa, ya
        if titles and titles[i - 1]:
            annotations.append(dict(text=titles[i - 1], x=tx, y=ty, xref="paper", yref="paper", xanchor="center",
                                    yanchor="bottom", showarrow=False, font=dict(size=FONT_SIZE)))
    layout["annotations"] = annotations
    return go.Figure(data=data or [], layout=dict(layout, **lab_template()), _validate=False)  # see base_figure


def _axes(i: int) -> dict:
    """Trace keywords placing it on panel i of ``_panels``."""
    return dict(xaxis="x" if i == 1 else f"x{i}", yaxis="y" if i == 1 else f"y{i}")


def _axis_key(letter: str, i: int) -> str:
    return f"{letter}axis" if i == 1 else f"{letter}axis{i}"


def _decades(axis, floor: float, ceil: float) -> None:
    """One tick per decade on a short log axis (Plotly would add 2 and 5 in between and crowd the labels)."""
    if math.log10(ceil / floor) <= 8:
        axis.update(dtick=1)


def _message(fig: go.Figure, text: str) -> None:
    """A clear message written on the chart (e.g. overflow), centred below the overflow line's own label."""
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0.5, y=0.86, xanchor="center", yanchor="top",
                       showarrow=False, font=dict(size=FONT_SIZE), bgcolor="rgba(213,94,0,0.15)",
                       bordercolor="#D55E00", borderwidth=1.5, borderpad=6, name="message")


def overflow_message(curves: Mapping[str, CellCurves]) -> str | None:
    """One sentence naming the cells whose state or gradient stopped being finite, or None."""
    bad = []
    for kind, c in curves.items():
        if c.nonfinite_from >= 0:
            bad.append(f"{CELL_LABELS[kind]}'s state from step {c.nonfinite_from + 1}")
        elif not np.all(np.isfinite(c.grad_norm)):
            bad.append(f"{CELL_LABELS[kind]}'s gradient")
    if not bad:
        return None
    return "Overflow: " + ", ".join(bad) + " became inf/NaN (▲ at the top edge)."


def gradient_norm_figure(curves: Mapping[str, CellCurves], *, show_bound: bool = True) -> go.Figure:
    """Chart 1, with chart 3 below it when a GRU is among the cells.

    Top: ||dL/dh_t|| against steps back k, one line per cell (log y), the Pascanu bound for the RNN and, dashed, the
    GRU's gradient if only the direct path diag(z_t) carried it. Bottom, on the same k axis (GRU only): its update
    gate z_t (mean over units, 10-90% band) and the direct path's share of the step Jacobian dh_t/dh_{t-1}, both
    in [0, 1]: the reason the GRU's line stays up, drawn under it. One figure rather than two: Streamlit draws every
    changed chart from scratch (twice) on each slider move, and a second chart cost ~90 ms per move in Chromium.

    Exact zeros (underflow) sit on the bottom edge, inf/NaN (overflow) on the top edge (lab.figures.common)."""
    series = {kind: c.grad_norm for kind, c in curves.items()}
    gru = curves.get("gru")
    rnn = curves.get("rnn")
    bound = rnn.bound if (rnn is not None and show_bound) else None
    floor, ceil = log_limits(*series.values(), *([gru.direct_only] if gru is not None else []),
                             lowest=1e-323)  # down to float64's smallest (subnormal) numbers
    if bound is not None:
        # the bound may run far above the curves (exploding regime); let it widen the axis by at most 10 decades
        bfin = bound[np.isfinite(bound) & (bound > 0)]
        if bfin.size:
            top = min(math.ceil(math.log10(bfin.max()) + 0.5), math.log10(ceil) + 10, 300)
            ceil = max(ceil, 10.0 ** top)
    traces = []
    for kind, y in series.items():
        traces += log_line(steps_back(len(y)), y, name=CELL_LABELS[kind], color=CELL_COLORS[kind],
                           dash=CELL_DASH.get(kind, "solid"), floor=floor, ceil=ceil, hover_x="k")
    if bound is not None:
        # the bound is not data: where it leaves the axis it is simply not drawn (no flat line at the ceiling)
        b = np.where(np.isfinite(bound) & (bound <= ceil), np.maximum(bound, floor), np.nan)
        traces.append(dict(
            type="scatter", x=steps_back(len(bound)), y=b, customdata=bound, mode="lines",
            name=f"RNN bound, σ_max = {rnn.sigma_max:.2f}",
            line=dict(color=CELL_COLORS["rnn"], width=2, dash="dot"), meta={"role": "bound", "name": "RNN bound"},
            hovertemplate="Pascanu bound<br>k = %{x}<br>%{customdata:.3g}<extra></extra>"))
    x_title, y_title = "steps back from the loss, k = T − t", "‖∂L/∂h_t‖ (log scale)"
    if gru is None:
        fig = base_figure(None, x_title, y_title, log_y=True, data=traces)
    else:
        k = steps_back(len(gru.grad_norm))
        traces += log_line(k, gru.direct_only, name="GRU through diag(z) alone", color=GATE_COLORS["z"],
                           dash="dash", width=2.5, floor=floor, ceil=ceil, hover_x="k")
        traces += _gate_traces(gru, k)
        fig = _panels(2, along="rows", spacing=0.12, sizes=[0.6, 0.4], height=CHART_HEIGHT + 240, data=traces,
                      titles=[None, "GRU: update gate z_t (1 = keep the old state) and the direct path's share of "
                                    "∂h_t/∂h_{t−1}"], margin=dict(t=64 + 2 * LEGEND_ROW))
        fig.layout.yaxis.title.text = y_title
        fig.layout.yaxis2.update(type="linear", range=[0, 1.02], title_text="z, share")
        fig.layout.xaxis2.title.text = x_title
    finish_log_axis(fig, floor, ceil)
    fig.layout.yaxis.exponentformat = "power"
    _decades(fig.layout.yaxis, floor, ceil)
    msg = overflow_message(curves)
    if msg:
        _message(fig, msg)
    return fig


def _gate_traces(gru: CellCurves, k: np.ndarray) -> list[dict]:
    """The GRU's update gate (10-90% band over units, mean) and the direct path's share, on panel 2."""
    zc = GATE_COLORS["z"]
    line = dict(type="scatter", mode="lines", **_axes(2))
    return [
        # one legend entry for the gate (mean line, band = 10-90% of units): a short legend draws faster
        dict(line, x=k, y=gru.z_hi, line=dict(width=0, color=zc), showlegend=False, hoverinfo="skip",
             legendgroup="z", meta={"role": "z_hi"}),
        dict(line, x=k, y=gru.z_lo, line=dict(width=0, color=zc), fill="tonexty", fillcolor="rgba(230,159,0,0.30)",
             showlegend=False, legendgroup="z", name="z: 10–90% of units", meta={"role": "z_lo"}, hoverinfo="skip"),
        dict(line, x=k, y=gru.z_mean, line=dict(color=zc, width=LINE_WIDTH), name="update gate z (band: 10–90%)",
             legendgroup="z", meta={"role": "z_mean"},
             hovertemplate="k = %{x}<br>mean z = %{y:.3f}<extra></extra>"),
        dict(line, x=k, y=gru.share, line=dict(color=CELL_COLORS["gru"], width=LINE_WIDTH, dash="dot"),
             name="direct-path share", meta={"role": "share"},
             hovertemplate="k = %{x}<br>direct share ‖diag(z_t)‖_F / (‖diag(z_t)‖_F + ‖rest‖_F) = %{y:.3f}"
                           "<extra></extra>"),
    ]


def unit_heatmap_figure(curves: Mapping[str, CellCurves]) -> go.Figure:
    """Chart 2: |dL/dh_t| per unit (y) and steps back (x), one panel per cell, one shared log colour scale."""
    kinds = list(curves)
    n = len(kinds)
    fig = _panels(n, titles=[CELL_LABELS[k] for k in kinds], legend=False, spacing=0.04,
                  margin=dict(r=MARGIN_COLORBAR + 30))
    floor, ceil = log_limits(*(c.grad_abs for c in curves.values()), pad_decades=0.0, min_span_decades=1.0)
    traces = []
    for j, kind in enumerate(kinds, start=1):
        c = curves[kind]
        T, H = c.grad_abs.shape
        hm = log_heatmap(c.grad_abs.T[:, ::-1], x=steps_back(T)[::-1], y=np.arange(1, H + 1),
                         colorbar_title="log10 |∂L/∂h|", floor=floor, ceil=ceil, name=CELL_LABELS[kind],
                         hover_x="k", hover_y="unit")
        hm.update(showscale=(j == n), meta={**hm.meta, "kind": kind}, **_axes(j))
        if n * T * H > HEATMAP_TEXT_CELLS:  # big maps: hover shows log10 only, and the chart stays ~1 MB, not ~7 MB
            hm.update(z=np.asarray(hm.z, dtype=np.float32), text=None, customdata=None,
                      hovertemplate="k = %{x}<br>unit = %{y}<br>log10 |∂L/∂h| = %{z:.2f}<extra></extra>")
        traces.append(hm)
        fig.layout[_axis_key("x", j)].title.text = "steps back k"
    fig.add_traces(traces)
    fig.layout.yaxis.title.text = "hidden unit"
    msg = overflow_message(curves)
    if msg:
        _message(fig, msg)
    return fig


def phase_figure(phases: Mapping[str, PhaseData], current_sigma: Mapping[str, float] | None = None,
                 decades: float = PHASE_DECADES) -> go.Figure:
    """Chart 4: log10 ||dh_T/dh_t|| over (sigma_max of W_hh, steps back), one panel per kind, one diverging colour
    scale centred on 0 (= norm 1, the edge between vanishing and exploding), with the level-0 contour drawn.

    Colours saturate at 10^-decades and 10^+decades (hover shows the true value); inf/NaN take the top colour."""
    kinds = list(phases)
    n = len(kinds)
    titles = [CELL_LABELS[k] + (f"<br><sup>dashed: this page's σ_max = {current_sigma[k]:.2f}</sup>"
                                if current_sigma and k in current_sigma else "") for k in kinds]
    fig = _panels(n, titles=titles, legend=False, height=CHART_HEIGHT + 20, margin=dict(r=MARGIN_COLORBAR + 70))
    floor, ceil = 10.0 ** -decades, 10.0 ** decades
    traces, shapes = [], []
    for j, kind in enumerate(kinds, start=1):
        p = phases[kind]
        kk = steps_back(p.steps)[::-1]  # 0 .. T'-1
        z = p.jacobian_norm[::-1]  # rows: k = 0 .. T'-1, columns: sigma
        hm = log_heatmap(z, x=p.sigmas, y=kk, colorbar_title="log10 ‖∂h_T/∂h_t‖", floor=floor, ceil=ceil,
                         colorscale=DIVERGING_SCALE, name=CELL_LABELS[kind], hover_x="σ_max", hover_y="k")
        hm.update(showscale=(j == n), zmid=0.0, meta={**hm.meta, "kind": kind}, **_axes(j))
        traces.append(hm)
        with np.errstate(divide="ignore", invalid="ignore"):
            lz = np.log10(np.where(np.isfinite(z) & (z > 0), z, np.nan))[1:]  # k = 0 is the identity: skip
        if np.nanmin(lz, initial=np.inf) < 0 < np.nanmax(lz, initial=-np.inf):
            traces.append(go.Contour(z=lz, x=p.sigmas, y=kk[1:], contours=dict(start=0, end=0, size=1,
                                                                               coloring="none"),
                                     line=dict(width=3, color="black"), showscale=False, hoverinfo="skip",
                                     name="‖∂h_T/∂h_t‖ = 1", meta={"role": "edge", "kind": kind}, **_axes(j)))
        ax = _axes(j)
        if current_sigma and kind in current_sigma:
            shapes.append(dict(type="line", x0=current_sigma[kind], x1=current_sigma[kind], y0=0, y1=1,
                               xref=ax["xaxis"], yref=f"{ax['yaxis']} domain",
                               line=dict(color="#333333", width=2.5, dash="dash")))
        fig.layout[_axis_key("x", j)].update(title_text="σ_max(W_hh)", range=[p.sigmas[0], p.sigmas[-1]])
    fig.add_traces(traces)
    fig.layout.shapes = shapes
    fig.layout.yaxis.title.text = "steps back k"
    return fig


def _level(fig: go.Figure, y: float, text: str, color: str, dash: str, role: str) -> None:
    """A horizontal line at y with a legend entry (the legend carries the text, so labels never overlap)."""
    if math.isfinite(y) and y > 0:
        fig.add_hline(y=y, line=dict(color=color, width=2, dash=dash))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=color, width=2, dash=dash),
                                 name=text, meta={"role": role, "value": y}))


def clipping_figure(rnn: CellCurves, threshold: float | None) -> go.Figure:
    """Chart 5: each step's contribution to the RNN's parameter gradient, raw and after norm clipping at
    ``threshold`` (None = clipping off), plus the total gradient norm before and after (log y).

    Clipping multiplies the WHOLE gradient by one factor min(1, c/||g||): every contribution moves down by the same
    amount on the log axis, and the direction of g is unchanged."""
    pg = rnn.param_grad
    T = len(pg.per_step)
    k = steps_back(T)
    factor = 1.0 if threshold is None else clip_factor(pg.total_norm, threshold)
    clipped = pg.per_step * factor
    total_after = pg.total_norm * factor
    floor, ceil = log_limits(pg.per_step, clipped, np.array([pg.total_norm, total_after,
                                                              threshold if threshold else np.nan]))
    traces = log_line(k, pg.per_step, name="step t's share of ∂L/∂θ, raw", color=CELL_COLORS["rnn"], floor=floor,
                      ceil=ceil, hover_x="k")
    if threshold is not None:
        traces += log_line(k, clipped, name="after clipping", color=CELL_COLORS["gru"], dash="dash", floor=floor,
                           ceil=ceil, hover_x="k")
    fig = base_figure(None, "steps back from the loss, k = T − t", "gradient norm (log scale)", log_y=True,
                      legend_rows=2, data=traces)
    finish_log_axis(fig, floor, ceil)
    _decades(fig.layout.yaxis, floor, ceil)
    _level(fig, pg.total_norm, f"total ‖g‖ = {sci(pg.total_norm)}", CELL_COLORS["rnn"], "dot", "total_raw")
    if threshold is not None:
        if factor < 1:
            _level(fig, total_after, f"clipped ‖g‖ = c = {sci(total_after)}", CELL_COLORS["gru"], "dashdot",
                   "total_clipped")
        else:
            _level(fig, threshold, f"threshold c = {sci(threshold)} (not reached)", "#888888", "dashdot",
                   "threshold")
    if not math.isfinite(pg.total_norm):
        _message(fig, "The gradient overflowed (inf/NaN): clipping cannot rescale it, c·g/‖g‖ is NaN. "
                      "Skip such a step or lower σ_max.")
    cosine = cosine_similarity(pg.total, pg.total * factor)
    fig.update_layout(meta={"factor": factor, "total_norm": pg.total_norm, "threshold": threshold,
                            "cosine": cosine})
    return fig
