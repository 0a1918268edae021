"""The cell registry and the small linear-algebra helpers every cell uses.

A cell kind is a `CellKind`: it names its gates, says which row blocks each parameter holds (PyTorch order) and
implements three pure functions of one time step, all on arrays with a leading batch axis B:

    prepare(cell)                            -> p                    (weights cut into named blocks, options)
    forward(p, gx, h_prev, c_prev, ov)       -> h, c, cache          (the equations)
    backward(p, cache, dh, dc)               -> dh_prev, dc_prev     (their vector-Jacobian products)
    jacobian(p, cache)                       -> (B, S, S)            dstate_t / dstate_{t-1}

`gx` is the input-side pre-activation (W_ih x + biases outside any reset), precomputed for all steps at once by
`p.input_projection(x)`; `ov` maps an overridden gate to an array where NaN means "not overridden".
Parameters are either shared by the batch (`weight_hh` of shape (G*H, H)) or one set per batch row
(`(B, G*H, H)`, a stack of cells with different settings); `mv` and `vm` hide that difference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import expit

Array = np.ndarray


def sigmoid(a: Array) -> Array:
    """1 / (1 + exp(-a)). For the small arrays of one step (B = 1) scipy's expit, one ufunc call, is twice as fast
    as the four numpy calls; for large batches numpy's vectorised exp wins (expit is ~3x slower at 4096 values)."""
    if a.size <= 1024:
        return expit(a)
    return 1.0 / (1.0 + np.exp(-a))


@dataclass(frozen=True)
class RowScaled:
    """A stack of weights W_b = diag(s_b) W, kept as W (R, C) and s (B, R). A sweep over the scale of one seeded
    matrix is such a stack: its products are then one matrix product for the whole batch, not B of them (the B
    matrices of a 64-cell sweep do not fit in the CPU cache; one does)."""

    W: Array
    s: Array


def row_scaled(W: Array) -> Array | RowScaled:
    """W (B, R, C) as a RowScaled when every W_b is W_0 with its rows rescaled (to rounding), else W itself."""
    if W.ndim != 3 or W.shape[0] < 2:
        return W
    with np.errstate(all="ignore"):
        s = np.linalg.norm(W, axis=2) / np.linalg.norm(W[0], axis=1)
        if not np.all(np.isfinite(s) & (s > 0)) or not np.allclose(W, s[:, :, None] * W[0], rtol=1e-14, atol=0):
            return W
    return RowScaled(W[0], s)


def mv(W: Array | RowScaled, v: Array) -> Array:
    """W v for a batch: W (R, C), (B, R, C) or RowScaled, v (B, C) -> (B, R)."""
    if isinstance(W, RowScaled):
        return (v @ W.W.T) * W.s
    if W.ndim == 2:
        return v @ W.T
    return np.matmul(W, v[:, :, None])[:, :, 0]


def vm(u: Array, W: Array | RowScaled) -> Array:
    """u^T W for a batch (a vector-Jacobian product): u (B, R), W (R, C), (B, R, C) or RowScaled -> (B, C)."""
    if isinstance(W, RowScaled):
        return (u * W.s) @ W.W
    if W.ndim == 2:
        return u @ W
    return np.matmul(u[:, None, :], W)[:, 0, :]


def project(x: Array, W: Array, b: Array | None = None) -> Array:
    """W x_t (+ b) for every step at once: x (T, B, I), W (R, I) or (B, R, I), b (R,) or (B, R) -> (T, B, R), as one
    or B matrix products (one for a stack of row-rescaled copies of a matrix, see RowScaled)."""
    T, B, I = x.shape
    W = row_scaled(W)
    if isinstance(W, RowScaled):
        out = (x.reshape(T * B, I) @ W.W.T).reshape(T, B, -1)
        out *= W.s
    elif W.ndim == 2:
        out = (x.reshape(T * B, I) @ W.T).reshape(T, B, -1)
    else:
        out = np.ascontiguousarray(np.matmul(x.transpose(1, 0, 2), W.transpose(0, 2, 1)).transpose(1, 0, 2))
    if b is not None:
        out += b
    return out


# The Jacobian helpers take any leading axes, so one call builds the step Jacobians of every step at once:
# d (T, B, R) with W (R, C) or (B, R, C) gives (T, B, R, C).
def diag_mm(d: Array, W: Array) -> Array:
    """diag(d) W: d (..., R), W (R, C) or (B, R, C) -> (..., R, C)."""
    return d[..., :, None] * W


def diag(d: Array) -> Array:
    """diag(d): d (..., H) -> (..., H, H)."""
    return d[..., :, None] * np.eye(d.shape[-1], dtype=d.dtype)


def rows(W: Array, blocks: tuple[str, ...], name: str, H: int) -> Array:
    """Rows of block `name` of a weight (.., G*H, C) -> (.., H, C)."""
    k = blocks.index(name)
    return W[..., k * H:(k + 1) * H, :]


def entries(b: Array, blocks: tuple[str, ...], name: str, H: int) -> Array:
    """Entries of block `name` of a bias (.., G*H) -> (.., H)."""
    k = blocks.index(name)
    return b[..., k * H:(k + 1) * H]


@dataclass(frozen=True)
class CellKind:
    """One kind of recurrent cell: its parameter layout and its step functions.

    `ih_blocks`, `hh_blocks`, `bias_blocks` name the row blocks of weight_ih, weight_hh and the two bias vectors
    (bias_ih and bias_hh share `bias_blocks`), in PyTorch order. `gates` are the names recorded per step.
    `keep_gate` / `keep_sign`: the gate whose bias holds memory and the sign that keeps it (+1: larger bias keeps
    more of the old state; -1: smaller does). `n_state` is 2 for the LSTM (h, c) and 1 otherwise.
    """

    name: str
    title: str
    gates: tuple[str, ...]
    ih_blocks: tuple[str, ...]
    hh_blocks: tuple[str, ...]
    bias_blocks: tuple[str, ...]
    prepare: Callable
    forward: Callable
    backward: Callable
    jacobian: Callable
    keep_gate: str | None = None
    keep_sign: int = 1
    n_state: int = 1
    overridable: tuple[str, ...] = ()
    defaults: dict = field(default_factory=dict)
    jacobian_split: Callable | None = None
    torch_name: str | None = None
    equations: str = ""


REGISTRY: dict[str, CellKind] = {}


def register(kind: CellKind) -> CellKind:
    """Add a cell kind to the registry (one call per kind file)."""
    if kind.name in REGISTRY:
        raise ValueError(f"cell kind {kind.name!r} registered twice")
    REGISTRY[kind.name] = kind
    return kind
