"""Models and small analyses behind the step-through and gate-explorer pages (pure numpy + gru_core, no Streamlit).

Everything a page shows is computed here from plain values (ints, floats, strings, tuples), so the pages can cache
these functions through ``lab.cache`` and stay free of numerics. The GRU itself always runs in the engine
(``gru_core.record`` / ``gru_core.step``); this module only builds cells with chosen parameters and reads traces.

Shapes: T steps, I input size, H hidden size (one sequence, so the engine's batch axis B = 1 is dropped).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

import gru_core
from gru_core import Cell

GATES = ("r", "z", "n")
MAX_TYPED_STEPS = 200
MAX_TYPED_ABS = 100.0


# ----------------------------------------------------------------------------------------------- cells

def gru_from_params(weight_ih, weight_hh, bias_ih, bias_hh, *, mix: str = "torch", reset: str = "after") -> Cell:
    """A single GRU cell with exactly these parameters (PyTorch layout, gate rows r, z, n).

    weight_ih (3H, I), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,)."""
    W_ih = np.array(weight_ih, dtype=np.float64, ndmin=2)
    W_hh = np.array(weight_hh, dtype=np.float64, ndmin=2)
    H = W_hh.shape[1]
    I = W_ih.shape[1]
    if W_ih.shape != (3 * H, I) or W_hh.shape != (3 * H, H):
        raise ValueError(f"weight_ih must be (3H, I) and weight_hh (3H, H); got {W_ih.shape} and {W_hh.shape}")
    b_ih = np.array(bias_ih, dtype=np.float64).reshape(3 * H)
    b_hh = np.array(bias_hh, dtype=np.float64).reshape(3 * H)
    template = gru_core.CellSpec("gru", I, H, mix=mix, reset=reset).make()   # validates mix/reset; its options
    return Cell("gru", I, H, dict(weight_ih=W_ih, weight_hh=W_hh, bias_ih=b_ih, bias_hh=b_hh),
                dict(template.options))


def relabel_mix(cell: Cell, mix: str) -> Cell:
    """The SAME model written in the other mixing convention: z' = 1 - z, obtained by negating the z rows of
    weight_ih, weight_hh, bias_ih and bias_hh (sigmoid(-a) = 1 - sigmoid(a)). h_t is unchanged."""
    if mix not in ("torch", "wiki"):
        raise ValueError(f"mix must be 'torch' or 'wiki', got {mix!r}")
    H = cell.hidden_size
    P = {k: v.copy() for k, v in cell.params.items()}
    if cell.options["mix"] != mix:
        for k in P:
            P[k][H:2 * H] *= -1.0
    return Cell("gru", cell.input_size, H, P, dict(cell.options, mix=mix))


def with_reset(cell: Cell, reset: str) -> Cell:
    """The same parameters with the reset applied after or before the matmul. NOT the same model: in general
    r * (W_hn h + b_hn) != W_hn (r * h) + b_hn."""
    if reset not in ("after", "before"):
        raise ValueError(f"reset must be 'after' or 'before', got {reset!r}")
    return Cell("gru", cell.input_size, cell.hidden_size, {k: v.copy() for k, v in cell.params.items()},
                dict(cell.options, reset=reset))


def scalar_gru(W_z: float, U_z: float, b_z: float, W_r: float, U_r: float, b_r: float,
               W_n: float, U_n: float, b_n: float) -> Cell:
    """A GRU with one unit and one input (PyTorch mixing: z = share of the old state kept):

        z = sigmoid(W_z x + U_z h + b_z),  r = sigmoid(W_r x + U_r h + b_r)
        n = tanh(W_n x + U_n (r h) + b_n),  h' = (1 - z) n + z h

    One bias per gate (in bias_ih; bias_hh = 0), so for one unit reset after = reset before."""
    return gru_from_params([[W_r], [W_z], [W_n]], [[U_r], [U_z], [U_n]], [b_r, b_z, b_n], [0.0, 0.0, 0.0])


BLOCKS = ("ir", "iz", "in", "hr", "hz", "hn")   # weight blocks: input->r, input->z, input->n, hidden->r, ...


def scaled_gru(input_size: int, hidden_size: int, seed: int, scales: tuple[float, ...],
               bias_shifts: tuple[float, float, float]) -> Cell:
    """The seeded PyTorch-initialised GRU with each weight block multiplied by its scale and each gate's bias
    shifted. scales: 6 floats in BLOCKS order (W_ir, W_iz, W_in, W_hr, W_hz, W_hn); bias_shifts: (b_r, b_z, b_n)
    added to bias_ih of that gate (positive b_z = keep more of the old state)."""
    if len(scales) != 6 or len(bias_shifts) != 3:
        raise ValueError(f"scales needs 6 values {BLOCKS} and bias_shifts 3 (r, z, n); got {len(scales)}, "
                         f"{len(bias_shifts)}")
    base = gru_core.CellSpec("gru", input_size, hidden_size, seed=seed).make()
    H = hidden_size
    P = {k: v.copy() for k, v in base.params.items()}
    for k, s in enumerate(scales[:3]):
        P["weight_ih"][k * H:(k + 1) * H] *= float(s)
    for k, s in enumerate(scales[3:]):
        P["weight_hh"][k * H:(k + 1) * H] *= float(s)
    for k, b in enumerate(bias_shifts):
        P["bias_ih"][k * H:(k + 1) * H] += float(b)
    return Cell("gru", input_size, hidden_size, P, dict(base.options))


def rnn_equivalent(cell: Cell) -> Cell:
    """The tanh RNN that a GRU becomes when z is clamped to 0 (PyTorch mixing) and r to 1:
    h' = tanh(W_in x + b_in + W_hn h + b_hn), i.e. nn.RNN with W_ih = W_in, W_hh = W_hn, b_ih = b_in, b_hh = b_hn."""
    H = cell.hidden_size
    n = slice(2 * H, 3 * H)
    P = dict(weight_ih=cell.params["weight_ih"][n].copy(), weight_hh=cell.params["weight_hh"][n].copy(),
             bias_ih=cell.params["bias_ih"][n].copy(), bias_hh=cell.params["bias_hh"][n].copy())
    return Cell("rnn", cell.input_size, H, P, dict(nonlinearity="tanh"))


# ----------------------------------------------------------------------------------------------- inputs

def parse_sequence(text: str, input_size: int = 1) -> tuple[np.ndarray | None, str | None]:
    """Parse a typed input sequence. Returns (x (T, I), None) or (None, a message saying what is wrong).

    input_size 1: numbers separated by commas ("1, 0, -0.5"). input_size > 1: steps separated by ";", each step
    input_size comma-separated numbers ("1, 0; 0, 1"). At most MAX_TYPED_STEPS steps, |value| <= MAX_TYPED_ABS."""
    if text is None or not text.strip():
        return None, "The sequence is empty: type numbers separated by commas, for example `1, 0, 0, -0.5`."
    raw_steps = [s for s in text.replace("\n", ";").split(";")] if input_size > 1 else text.split(",")
    raw_steps = [s.strip() for s in raw_steps]
    if raw_steps and raw_steps[-1] == "":
        raw_steps = raw_steps[:-1]                                    # allow a trailing separator
    if len(raw_steps) > MAX_TYPED_STEPS:
        return None, f"The sequence has {len(raw_steps)} steps; at most {MAX_TYPED_STEPS} are allowed."
    rows = []
    for k, step in enumerate(raw_steps, start=1):
        parts = [p.strip() for p in step.split(",")] if input_size > 1 else [step]
        if input_size > 1 and len(parts) != input_size:
            return None, (f"Step {k} (`{step}`) has {len(parts)} number(s) but the input size is {input_size}: "
                          f"separate steps with `;` and give {input_size} comma-separated numbers per step.")
        row = []
        for p in parts:
            if p == "":
                return None, f"Step {k} is empty (two separators in a row?)."
            if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", p):
                return None, f"Step {k}: `{p}` is not a number (use a dot for decimals, commas between steps)."
            v = float(p)
            if not math.isfinite(v) or abs(v) > MAX_TYPED_ABS:
                return None, f"Step {k}: {p} is outside the allowed range [-{MAX_TYPED_ABS:g}, {MAX_TYPED_ABS:g}]."
            row.append(v)
        rows.append(row)
    if not rows:
        return None, "The sequence is empty: type numbers separated by commas, for example `1, 0, 0, -0.5`."
    return np.array(rows, dtype=np.float64).reshape(len(rows), input_size), None


# ----------------------------------------------------------------------------------------------- runs

@dataclass(frozen=True)
class Run:
    """One recorded run of one GRU on one sequence (batch axis dropped).

    x (T, I); h0 (H,); h (T, H) = h_1..h_T; r, z, n (T, H); params: the cell's parameters; mix, reset."""

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    params: dict
    mix: str
    reset: str

    @property
    def steps(self) -> int:
        return self.h.shape[0]

    def h_prev(self, t: int) -> np.ndarray:
        """h_{t-1} (H,) for the 1-based step t."""
        return self.h0 if t == 1 else self.h[t - 2]


def run(cell: Cell, x: np.ndarray, h0=None, override: dict | None = None) -> Run:
    """Record `cell` on x (T, I) with the engine and keep what the pages show."""
    tr = gru_core.record(cell, x, h0=h0, override=override)
    return Run(x=np.asarray(tr.x[:, 0]), h0=tr.h0[0].copy(), h=tr.h[:, 0], r=tr.gates["r"][:, 0],
               z=tr.gates["z"][:, 0], n=tr.gates["n"][:, 0], params={k: v.copy() for k, v in cell.params.items()},
               mix=cell.options["mix"], reset=cell.options["reset"])


def convention_runs(cell_torch_after: Cell, x: np.ndarray) -> dict[tuple[str, str], Run]:
    """The same seeded weights under all four conventions: (mix, reset) -> Run. The wiki runs use the relabelled
    weights (z rows negated), so (torch, R) and (wiki, R) are the same model; "after" and "before" are not."""
    out = {}
    for reset in ("after", "before"):
        base = with_reset(cell_torch_after, reset)
        for mix in ("torch", "wiki"):
            out[(mix, reset)] = run(relabel_mix(base, mix), x)
    return out


# ----------------------------------------------------------------------------------------------- interventions

@dataclass(frozen=True)
class Intervention:
    """What the gate-explorer page does to the gates (PyTorch mixing: z = share of the old state kept).

    clamp_z / clamp_r: a value held at every step and unit (None = free); force_gate ("r" | "z" | None) is set to
    force_value at the single 1-based step force_step (all units)."""

    clamp_z: float | None = None
    clamp_r: float | None = None
    force_gate: str | None = None
    force_step: int = 1
    force_value: float = 1.0

    @property
    def active(self) -> bool:
        return self.clamp_z is not None or self.clamp_r is not None or self.force_gate is not None

    @property
    def makes_rnn(self) -> bool:
        """z clamped to 0 and r to 1 at every step: the GRU is exactly a tanh RNN (see rnn_equivalent)."""
        return self.clamp_z == 0.0 and self.clamp_r == 1.0 and self.force_gate is None

    def overrides(self, T: int, H: int) -> dict | None:
        return override_arrays(T, H, clamp_z=self.clamp_z, clamp_r=self.clamp_r, force_gate=self.force_gate,
                               force_step=min(max(self.force_step, 1), T), force_value=self.force_value)


@dataclass(frozen=True)
class Comparison:
    """A run with and without an intervention. base, run: Run (run is None without an intervention);
    diff (T,) = ||h_t(run) - h_t(base)||_2 (zeros without one); rnn_h (T, H): the equivalent tanh RNN's states
    when the intervention makes the GRU an RNN, else None."""

    base: Run
    run: Run | None
    diff: np.ndarray
    rnn_h: np.ndarray | None

    @property
    def shown(self) -> Run:
        return self.run if self.run is not None else self.base


def compare(cell: Cell, x: np.ndarray, iv: Intervention, h0=None) -> Comparison:
    """Record the cell on x without and with the intervention (engine overrides)."""
    base = run(cell, x, h0=h0)
    if not iv.active:
        return Comparison(base, None, np.zeros(base.steps), None)
    ivr = run(cell, x, h0=h0, override=iv.overrides(base.steps, cell.hidden_size))
    with np.errstate(all="ignore"):
        diff = np.linalg.norm(ivr.h - base.h, axis=1)
    rnn_h = None
    if iv.makes_rnn:
        rnn_h = gru_core.record(rnn_equivalent(cell), x, h0=h0).h[:, 0]
    return Comparison(base, ivr, diff, rnn_h)


def override_arrays(T: int, H: int, *, clamp_z: float | None = None, clamp_r: float | None = None,
                    force_gate: str | None = None, force_step: int = 1, force_value: float = 0.0) -> dict | None:
    """Engine overrides (gate -> (T, 1, H), NaN = free) for: z clamped at every step, r clamped at every step, and
    one gate forced to a value at the single 1-based step `force_step` (all units). None when nothing is set."""
    ov: dict[str, np.ndarray] = {}
    for g, v in (("z", clamp_z), ("r", clamp_r)):
        if v is not None:
            ov[g] = np.full((T, 1, H), float(v))
    if force_gate is not None:
        if force_gate not in ("r", "z"):
            raise ValueError(f"force_gate must be 'r', 'z' or None, got {force_gate!r}")
        if not 1 <= force_step <= T:
            raise ValueError(f"force_step must be in 1..{T}, got {force_step}")
        arr = ov.get(force_gate, np.full((T, 1, H), np.nan)).copy()
        arr[force_step - 1] = float(force_value)
        ov[force_gate] = arr
    return ov or None


def saturation_shares(g: np.ndarray, eps: float = 0.05) -> tuple[float, float, float]:
    """Shares of gate values near 0 (< eps), in between, and near 1 (> 1 - eps). g: any shape, values in [0, 1]."""
    g = np.asarray(g, dtype=float)
    g = g[np.isfinite(g)]
    if g.size == 0:
        return (float("nan"),) * 3
    lo = float(np.mean(g < eps))
    hi = float(np.mean(g > 1.0 - eps))
    return lo, 1.0 - lo - hi, hi


# ----------------------------------------------------------------------------------------------- scalar map

@dataclass(frozen=True)
class FixedPoint:
    h: float          # h* with f(h*) = h*
    slope: float      # f'(h*) = dh_{t+1}/dh_t at h* (exact, from the engine's step Jacobian)

    @property
    def stable(self) -> bool:
        return abs(self.slope) < 1.0


def _clamps(T: int, B: int, clamp_z: float | None, clamp_r: float | None) -> dict | None:
    ov = {g: np.full((T, B, 1), float(v)) for g, v in (("z", clamp_z), ("r", clamp_r)) if v is not None}
    return ov or None


def scalar_map(cell: Cell, x_const: float, h: np.ndarray, *, clamp_z: float | None = None,
               clamp_r: float | None = None) -> np.ndarray:
    """f(h) = the next state of a one-unit GRU from state h under the constant input x_const (with z and/or r
    clamped if given, as on the page). h (N,) -> (N,). One batched engine call."""
    h = np.asarray(h, dtype=float).reshape(-1, 1)
    x = np.full((1, h.shape[0], cell.input_size), float(x_const))
    tr = gru_core.record(cell, x, h0=h, override=_clamps(1, h.shape[0], clamp_z, clamp_r))
    return tr.h[0, :, 0]


def fixed_points(cell: Cell, x_const: float, *, clamp_z: float | None = None, clamp_r: float | None = None,
                 grid: int = 4001, iters: int = 60) -> list[FixedPoint]:
    """All fixed points of the scalar map h -> f(h) in [-1, 1] (every fixed point lies there: |n| < 1 makes
    f(h) - h = (1 - z)(n - h) negative for h >= 1 and positive for h <= -1, unless z = 1), found as sign changes of
    f(h) - h on a grid and refined by bisection. Touching (double) roots that do not change sign are not reported;
    with z clamped to 1 every h is fixed and an empty list is returned."""
    if clamp_z is not None and clamp_z >= 1.0:
        return []
    f = lambda v: scalar_map(cell, x_const, v, clamp_z=clamp_z, clamp_r=clamp_r)  # noqa: E731
    hs = np.linspace(-1.0, 1.0, grid)
    g = f(hs) - hs
    roots = list(hs[g == 0.0])
    idx = np.nonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0)[0]
    lo, hi = hs[idx].copy(), hs[idx + 1].copy()
    g_lo = g[idx].copy()
    for _ in range(iters):
        if lo.size == 0:
            break
        mid = 0.5 * (lo + hi)
        g_mid = f(mid) - mid
        left = np.sign(g_mid) == np.sign(g_lo)
        lo = np.where(left, mid, lo)
        g_lo = np.where(left, g_mid, g_lo)
        hi = np.where(left, hi, mid)
    roots += list(0.5 * (lo + hi))
    roots = sorted(roots)
    if not roots:
        return []
    B = len(roots)
    tr = gru_core.record(cell, np.full((1, B, cell.input_size), float(x_const)), h0=np.array(roots)[:, None],
                         override=_clamps(1, B, clamp_z, clamp_r))
    slopes = tr.step_jacobians[0, :, 0, 0]
    return [FixedPoint(float(r), float(s)) for r, s in zip(roots, slopes)]


def cobweb_path(h0: float, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cobweb path of a trajectory h0, h_1, ..., h_T: (h0, h0) -> (h0, h1) -> (h1, h1) -> (h1, h2) -> ...
    Returns xs, ys of length 2T + 1."""
    traj = np.concatenate([[float(h0)], np.asarray(h, dtype=float).reshape(-1)])
    xs = np.repeat(traj, 2)[:-1]
    ys = np.concatenate([[traj[0]], np.repeat(traj[1:], 2)])
    return xs, ys
