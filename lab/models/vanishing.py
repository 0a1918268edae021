"""The vanishing-gradient page's model: Settings (defaults, limits, presets) -> cached compute -> frozen results.

    from lab.models import vanishing as M
    s = M.Settings(steps=200, cells=("rnn", "gru"), update_bias=2.0)   # or M.Settings.from_values(widget values)
    res = M.compute(s)                    # Result: one CellCurves per cell, cached per (cell, settings)
    res.curves["rnn"].grad_norm           # (T,) ||dL/dh_t|| from the engine's exact BPTT
    res.curves["rnn"].rho                 # measured average per-step shrink factor of the RNN's gradient
    M.compute_phase(s)                    # the phase-diagram sweep (one batched engine call per kind)
    M.clipping(res.curves["rnn"], 1.0)    # what norm clipping at c = 1 does to the RNN's parameter gradient

The maths lives in ``gru_core.analysis``; this module only decides what to run and keeps what the charts need.
Conventions: t = 1..T, arrays indexed by t - 1; k = T - t is "steps back from the loss".
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

import gru_core
from gru_core import CellSpec
from gru_core import analysis as A
from lab.cache import engine_cache

KINDS: tuple[str, ...] = ("rnn", "gru", "lstm")
TOKEN_VOCAB = 8  # input size for the "tokens" signal (one-hot over 8 symbols); every other signal has input size 1
HEADLINE_STEPS = 50  # "after 50 steps the RNN keeps ..."
PHASE_SCALES = 32  # sigma values in the phase-diagram sweep (one batched engine call per cell kind)
PHASE_MAX_STEPS = 120  # the sweep's sequence length is min(T, this) ...
PHASE_MAX_HIDDEN = 32  # ... and its hidden size min(H, this): ||dh_T/dh_t|| needs one SVD per step and setting
PHASE_SIGMA = (0.1, 3.0)

# URL parameter (widget key) of each Settings field; rescale / chrono are widget switches derived from the fields
URL = dict(steps="vg_len", hidden="vg_hidden", cells="vg_cells", init="vg_init", scale="vg_sigma",
           update_bias="vg_bias", nonlinearity="vg_nonlin", signal="vg_signal", loss="vg_loss", seed="vg_seed")


@dataclass(frozen=True)
class Settings:
    """Every control of the page as plain values (hashable: a cache key). The defaults here are the page's."""
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

    # (min, max, step) of the sliders; the sigma slider shows SCALE_OFF when rescaling is off
    LIMITS: ClassVar[dict[str, tuple]] = dict(steps=(10, 500, 10), hidden=(1, 128, 1), scale=(0.1, 3.0, 0.05),
                                              update_bias=(-4.0, 8.0, 0.25), seed=(0, 9999, 1))
    SCALE_OFF: ClassVar[float] = 1.0

    @property
    def input_size(self) -> int:
        return TOKEN_VOCAB if self.signal == "tokens" else 1

    def spec(self, kind: str, *, scale: float | None | str = "settings", hidden: int | None = None) -> CellSpec:
        """The one cell-spec adapter's spec of ``kind`` for these settings (options the kind lacks are neutral)."""
        return CellSpec(kind, self.input_size, hidden or self.hidden, seed=self.seed, init=self.init,
                        scale=self.scale if scale == "settings" else scale, update_bias=self.update_bias,
                        chrono=self.chrono, nonlinearity=self.nonlinearity)

    def to_values(self) -> dict[str, Any]:
        """Widget values keyed by URL parameter (what a preset sets and the link holds)."""
        v = {key: getattr(self, name) for name, key in URL.items()}
        v.update(vg_cells=list(self.cells), vg_rescale=self.scale is not None, vg_chrono=self.chrono is not None,
                 vg_sigma=self.SCALE_OFF if self.scale is None else self.scale)
        return v

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        """Widget values (keys as ``to_values``) -> Settings; the update-gate bias is ignored under chrono init."""
        T = int(values["vg_len"])
        chrono = T if values["vg_chrono"] else None
        return cls(steps=T, hidden=int(values["vg_hidden"]), cells=tuple(k for k in KINDS if k in values["vg_cells"]),
                   init=values["vg_init"], scale=float(values["vg_sigma"]) if values["vg_rescale"] else None,
                   update_bias=0.0 if chrono else float(values["vg_bias"]), chrono=chrono,
                   nonlinearity=values["vg_nonlin"], signal=values["vg_signal"], loss=values["vg_loss"],
                   seed=int(values["vg_seed"]))


DEFAULTS: dict[str, Any] = Settings().to_values()


@dataclass(frozen=True)
class Preset:
    """A named view a teacher picks in one click. ``values``: every widget value, so it always reproduces it."""
    name: str
    blurb: str  # one or two sentences: what to look at
    settings: Settings = field(default_factory=Settings)

    @property
    def values(self) -> dict[str, Any]:
        return self.settings.to_values()


PRESETS: tuple[Preset, ...] = (
    Preset("RNN vs GRU vs LSTM", "The three cells at PyTorch's default init, 100 steps of noise, loss on the last "
           "step. All three lose their gradient exponentially."),
    Preset("GRU default init vanishes too", "A GRU is not immune: with PyTorch's default init its update gate "
           "sits near 0.5, so every step halves the direct path and the gradient dies almost as fast as the RNN's.",
           Settings(cells=("rnn", "gru"), hidden=64)),
    Preset("Gate held open", "The same GRU with +4 on the update gate's bias: z is about 0.98, each step "
           "Jacobian is close to the identity, and the gradient survives 100 steps.",
           Settings(cells=("rnn", "gru"), hidden=64, update_bias=4.0)),
    Preset("Chrono init", "Tallec & Ollivier's chrono init spreads the keep-bias over log U[1, T−1]: some units "
           "remember for about T steps. Shown for the GRU and the LSTM over 200 steps.",
           Settings(cells=("gru", "lstm"), steps=200, chrono=200)),
    Preset("Exploding RNN", "An orthogonal RNN scaled to σ_max = 2: the gradient grows by up to 2× per step "
           "back. Open the view 'Exploding gradients and clipping' below and see clipping rescale the whole "
           "gradient.", Settings(cells=("rnn", "gru"), init="orthogonal", scale=2.0)),
    Preset("Overflow to inf", "A ReLU RNN, orthogonal with σ_max = 3, 128 units, 500 steps: the state grows to "
           "about 1e172, and its gradient grows further going back until it passes float64's largest number "
           "(about 1.8e308): inf, then NaN (inf − inf). Those points sit on the top edge of the log chart.",
           Settings(cells=("rnn",), steps=500, hidden=128, init="orthogonal", scale=3.0, nonlinearity="relu")),
    Preset("Underflow to 0", "σ_max = 0.1 over 500 steps: the RNN's gradient falls below the smallest "
           "float64 (about 5e-324) and becomes exactly 0, drawn on the bottom edge.",
           Settings(cells=("rnn", "gru"), steps=500, scale=0.1)),
    Preset("Edge: σ_max = 1", "An orthogonal RNN with σ_max = 1 sits at the edge between vanishing and exploding: "
           "its gradient decays slowly, only through tanh's saturation.",
           Settings(init="orthogonal", scale=1.0)),
)


def matching_preset(values: Mapping[str, Any]) -> Preset | None:
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
# Compute


@dataclass(frozen=True)
class CellCurves:
    """What the page shows for one cell (T steps, H units). Arrays are indexed by t - 1."""
    kind: str
    settings: Settings
    grad_norm: np.ndarray  # (T,) ||dL/dh_t||, the engine's exact BPTT
    grad_abs: np.ndarray  # (T, H) |dL/dh_t| per unit
    bound: np.ndarray  # (T,) Pascanu's bound (a tanh/ReLU RNN's ceiling; drawn for the RNN only)
    shrink: np.ndarray  # (T-1,) per-step shrink factors ||J_t^T g_t|| / ||g_t|| (gru_core.analysis)
    rho: float  # their geometric mean: the average factor one step back multiplies the gradient by
    h_last_norm: float  # ||h_T||, which is ||dL/dh_T|| with the loss on the last step
    nonfinite_from: int  # first 0-based step whose h is not finite, -1 if none
    sigma_max: float  # largest singular value of the recurrent weight blocks
    z_mean: np.ndarray | None = None  # GRU: (T,) mean of z_t over units
    z_lo: np.ndarray | None = None  # GRU: (T,) 10th percentile over units
    z_hi: np.ndarray | None = None  # GRU: (T,) 90th percentile over units
    share: np.ndarray | None = None  # GRU: (T,) direct path's share of dh_t/dh_{t-1}
    direct_only: np.ndarray | None = None  # GRU: (T,) ||dL/dh_t|| through diag(z) alone
    param_grad: A.ParamGrad | None = None  # RNN: gradient w.r.t. the parameters (for clipping)

    @property
    def steps(self) -> int:
        return len(self.grad_norm)


def _gru_parts(tr, direct: np.ndarray) -> dict:
    z = tr.gates["z"][:, 0]
    split = tr.jacobian_split
    z_lo, z_hi = np.percentile(z, [10, 90], axis=-1)
    return dict(z_mean=z.mean(axis=-1), z_lo=z_lo, z_hi=z_hi, direct_only=A.direct_path_only(z, direct),
                share=A.jacobian_share(split["direct"][:, 0], split["weights"][:, 0]))


def cell_curves(kind: str, s: Settings) -> CellCurves:
    """Record one cell with the engine and keep what the charts need (small arrays only)."""
    cell = s.spec(kind).make()
    x = gru_core.signal(s.signal, s.steps, s.input_size, seed=s.seed)
    with np.errstate(all="ignore"):
        tr = gru_core.record(cell, x, loss=s.loss)
        h, grad_h = tr.h[:, 0], tr.grad_h[:, 0]
        direct = A.direct_parts(h, s.loss)
        sigma = A.sigma_max(cell.params["weight_hh"], s.hidden)
        shrink = A.shrink_factors(grad_h, direct)
        extra = _gru_parts(tr, direct) if kind == "gru" else {}
        if kind == "rnn":
            extra["param_grad"] = A.rnn_param_grad(x, tr.h0[0], h, grad_h, s.nonlinearity)
        return CellCurves(kind=kind, settings=s, grad_norm=A.vector_norm(grad_h), grad_abs=np.abs(grad_h),
                          bound=A.pascanu_bound(A.vector_norm(direct), sigma), shrink=shrink,
                          rho=_rho(shrink, grad_h), h_last_norm=float(A.vector_norm(h[-1])),
                          nonfinite_from=int(tr.nonfinite_from[0]), sigma_max=sigma, **extra)


def _rho(shrink: np.ndarray, grad_h: np.ndarray) -> float:
    """The average per-step shrink over the steps where the gradient is a positive finite number (NaN if none)."""
    k = A.measurable_steps(A.vector_norm(grad_h))
    return A.mean_shrink(shrink, k) if k > 0 else math.nan


@engine_cache(max_entries=48)
def cached_curves(kind: str, s: Settings) -> CellCurves:
    """``cell_curves`` cached per cell (``s.cells`` is left out of the key: toggling cells costs nothing)."""
    return cell_curves(kind, s)


@dataclass(frozen=True)
class Result:
    """Everything the page's main chart and sentences need: one CellCurves per chosen cell, in page order."""
    settings: Settings
    curves: Mapping[str, CellCurves]

    def get(self, kind: str) -> CellCurves | None:
        return self.curves.get(kind)


def compute(s: Settings) -> Result:
    """The page's numbers for these settings (raises the engine's ValueError for invalid ones)."""
    key = replace(s, cells=())
    return Result(s, {kind: cached_curves(kind, key) for kind in s.cells})


# -----------------------------------------------------------------------------------------------------------------
# The phase diagram


@dataclass(frozen=True)
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
    cells = gru_core.stack_cells([s.spec(kind, scale=float(v), hidden=H).make() for v in sigmas])
    with np.errstate(all="ignore"):
        tr = gru_core.record(cells, gru_core.signal(s.signal, T, s.input_size, seed=s.seed), loss="last")
        jn = np.asarray(tr.jacobian_norm)
    return PhaseData(kind, sigmas, jn, T, H)


@engine_cache(max_entries=16)
def cached_phase(kind: str, key: Settings) -> PhaseData:
    return phase_sweep(kind, key)


def compute_phase(s: Settings) -> dict[str, PhaseData]:
    """The sweeps of the RNN and the GRU for these settings (each cached on only what it depends on)."""
    return {kind: cached_phase(kind, phase_key(kind, s)) for kind in ("rnn", "gru")}


# -----------------------------------------------------------------------------------------------------------------
# Clipping


@dataclass(frozen=True)
class Clipping:
    """Norm clipping (Pascanu et al. 2013, Algorithm 1) applied to an RNN's parameter gradient g."""
    threshold: float | None  # c, or None = clipping off
    factor: float  # what g is multiplied by: min(1, c/||g||); NaN when ||g|| is not finite
    per_step: np.ndarray  # (T,) ||contribution of step t|| before clipping
    clipped: np.ndarray  # (T,) the same after clipping (per_step * factor)
    total_norm: float  # ||g||
    total_after: float  # ||g|| * factor
    cosine: float  # cos(g, clipped g): 1 when the direction is kept

    @property
    def active(self) -> bool:
        return self.threshold is not None and self.factor < 1


def clipping(rnn: CellCurves, threshold: float | None) -> Clipping:
    """What clipping at ``threshold`` does to ``rnn``'s parameter gradient (None = clipping off)."""
    pg = rnn.param_grad
    factor = 1.0 if threshold is None else A.clip_factor(pg.total_norm, threshold)
    with np.errstate(all="ignore"):
        return Clipping(threshold, factor, pg.per_step, pg.per_step * factor, pg.total_norm,
                        pg.total_norm * factor, A.cosine_similarity(pg.total, pg.total * factor)
                        if math.isfinite(factor) else math.nan)


def table(res: Result) -> dict[str, np.ndarray]:
    """The main chart's numbers as CSV columns (one row per step back k)."""
    cols: dict[str, np.ndarray] = {"k": np.arange(res.settings.steps - 1, -1, -1)}
    for kind, c in res.curves.items():
        cols[f"{kind}_grad_norm"] = c.grad_norm
    if "rnn" in res.curves:
        cols["rnn_bound"] = res.curves["rnn"].bound
    gru = res.get("gru")
    if gru is not None:
        cols.update(gru_through_diag_z_alone=gru.direct_only, gru_z_mean=gru.z_mean, gru_direct_share=gru.share)
    return cols
