"""Gradient analysis on recorded runs: the maths the lab's charts and sentences rest on, one function per idea.

Every function takes plain numpy arrays (a run's states, gates and exact dL/dh_t from ``gru_core.record``) and
returns arrays or numbers; none calls Streamlit. Each is tested against PyTorch autograd in float64
(tests/unit/test_analysis.py).

    import gru_core
    from gru_core import analysis as A
    cell = gru_core.make_cell("rnn", 1, 32)
    tr = gru_core.record(cell, gru_core.signal("noise", 100), loss="last")
    h, g = tr.h[:, 0], tr.grad_h[:, 0]                        # (T, H) each
    d = A.direct_parts(h, "last")                              # (T, H) dL/dh_t through h_t alone
    rho = A.mean_shrink(A.shrink_factors(g, d))                # measured average per-step shrink of the gradient
    bound = A.pascanu_bound(A.vector_norm(d), A.sigma_max(cell.params["weight_hh"], 32))  # its ceiling, (T,)

Conventions: arrays are indexed by t - 1 for t = 1..T; k = T - t is "steps back from the loss". Vector norms are
Euclidean; sigma_max is the largest singular value (spectral norm).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .linalg import vector_norm
from .tasks import ADDING_TOLERANCE

__all__ = ["ParamGrad", "Readout", "clip_factor", "cosine_similarity", "direct_parts", "direct_path_only",
           "gradient_share", "jacobian_share", "mean_shrink", "measurable_steps", "pascanu_bound", "readout_gradients", "retained",
           "retention", "rnn_param_grad", "shrink_factors", "sigma_max", "vector_norm"]


def sigma_max(weight_hh: np.ndarray, hidden: int) -> float:
    """Largest singular value over the H x H recurrent blocks of weight_hh (G*H, H); an RNN has one block."""
    blocks = np.asarray(weight_hh, dtype=np.float64).reshape(-1, hidden, hidden)
    return float(np.linalg.norm(blocks, ord=2, axis=(-2, -1)).max())


def direct_parts(h: np.ndarray, loss: str) -> np.ndarray:
    """The direct part d_t of dL/dh_t (through h_t alone, before anything flows back from later steps), (T, H).

    loss "last": L = 0.5 ||h_T||^2, so only d_T = h_T; loss "all": L = sum_t 0.5 ||h_t||^2, so d_t = h_t."""
    if loss == "all":
        return np.array(h, dtype=np.float64)
    d = np.zeros_like(h, dtype=np.float64)
    d[-1] = h[-1]
    return d


def pascanu_bound(direct_norm: np.ndarray, sigma: float) -> np.ndarray:
    """Upper bound on ||dL/dh_t|| for a tanh/ReLU RNN (Pascanu, Mikolov & Bengio 2013), (T,).

    g_t = d_t + J_{t+1}^T g_{t+1} with J_{t+1} = diag(f'(a_{t+1})) W_hh and |f'| <= 1, so
    ||g_t|| <= ||d_t|| + sigma_max(W_hh) ||g_{t+1}||. With the loss on the last step: ||dL/dh_T|| sigma^k."""
    d = np.asarray(direct_norm, dtype=np.float64)
    b = np.empty_like(d)
    b[-1] = d[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(len(d) - 2, -1, -1):
            b[i] = d[i] + sigma * b[i + 1]
    return b


def shrink_factors(grad_h: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """How much each step Jacobian shrinks the gradient passing back through it, (T-1,).

    grad_h (T, H) the total g_t = dL/dh_t, direct (T, H) its direct parts d_t (``direct_parts``). Since
    g_{t-1} = d_{t-1} + J_t^T g_t, the part carried back through step t is J_t^T g_t = g_{t-1} - d_{t-1}, and
    entry t - 2 (t = 2..T) is ||J_t^T g_t|| / ||g_t||: below 1 the step shrinks the gradient, above 1 it grows it.
    A tanh/ReLU RNN's factors never exceed sigma_max(W_hh) (the Pascanu bound's per-step ceiling)."""
    g = np.asarray(grad_h, dtype=np.float64)
    with np.errstate(all="ignore"):
        carried = vector_norm(g[:-1] - np.asarray(direct, dtype=np.float64)[:-1])
        return carried / vector_norm(g[1:])


def mean_shrink(factors: np.ndarray, k: int | None = None) -> float:
    """Geometric mean of the last ``k`` per-step factors (those nearest the loss; all when None): the average
    factor by which one step back multiplies the gradient, exp(mean(log factor)). With the loss on the last step
    it equals (||dL/dh_{T-k}|| / ||dL/dh_T||)^(1/k), the slope of the gradient line on a log chart.

    0 if any factor is exactly 0 (underflow); NaN if any is not finite or there are none."""
    f = np.asarray(factors, dtype=np.float64)
    f = f if k is None else f[len(f) - k:]
    if f.size == 0 or not np.all(np.isfinite(f)):
        return math.nan
    if np.any(f <= 0):
        return 0.0
    return float(np.exp(np.mean(np.log(f))))


def measurable_steps(grad_norm: np.ndarray) -> int:
    """How many steps back from the loss the gradient stays a positive finite number: the k for ``mean_shrink``
    (past it the gradient is exactly 0 after underflow, or inf/NaN after overflow, and no factor is defined)."""
    g = np.asarray(grad_norm, dtype=np.float64)[::-1]
    bad = ~(np.isfinite(g) & (g > 0))
    return int(np.argmax(bad)) - 1 if bad.any() else len(g) - 1


def direct_path_only(z: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """||g_t|| if the gradient could flow back through the GRU's direct path diag(z_t) alone, (T,).

    z, direct: (T, H) (z[i] is z at step i + 1). g_T = d_T, g_{t-1} = d_{t-1} + z_t * g_t. It lies BELOW the full
    GRU's gradient when the paths through the weights add to the direct path rather than cancel it."""
    g = np.empty_like(direct, dtype=np.float64)
    g[-1] = direct[-1]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for i in range(len(g) - 2, -1, -1):
            g[i] = direct[i] + z[i + 1] * g[i + 1]
        return vector_norm(g)


def jacobian_share(direct: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Share of the GRU's step Jacobian that is the direct path, (T,): ||D_t||_F / (||D_t||_F + ||W_t||_F).

    direct D_t = diag(z_t) and weights W_t = the paths through W_hr, W_hz, W_hn, each (T, H, H) (the engine's
    ``Trace.jacobian_split`` for one batch row); dh_t/dh_{t-1} = D_t + W_t. Frobenius norms: exact and cheap at
    every size. 1 means the step only copies the kept units, 0 means the weights decide."""
    d = vector_norm(np.diagonal(direct, axis1=-2, axis2=-1))
    w = vector_norm(weights.reshape(len(weights), -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return d / (d + w)


@dataclass(frozen=True)
class ParamGrad:
    """dL/dtheta of an RNN, split into what each step contributes (theta = W_ih, W_hh, b_ih, b_hh)."""
    per_step: np.ndarray  # (T,) ||contribution of step t||: dL/da_t times (x_t, h_{t-1}, 1, 1)
    total: np.ndarray  # (P,) the whole gradient flattened in the order W_ih, W_hh, b_ih, b_hh
    total_norm: float


def rnn_param_grad(x: np.ndarray, h0: np.ndarray, h: np.ndarray, grad_h: np.ndarray, nonlinearity: str) -> ParamGrad:
    """Gradient of the loss w.r.t. an RNN's parameters, from its recorded states and dL/dh_t.

    x (T, I), h0 (H,), h (T, H), grad_h (T, H) the total dL/dh_t. For h_t = f(a_t),
    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh: delta_t = dL/da_t = f'(a_t) * dL/dh_t, and step t adds
    delta_t x_t^T to dL/dW_ih, delta_t h_{t-1}^T to dL/dW_hh and delta_t to both biases."""
    h_prev = np.concatenate([h0[None], h[:-1]])
    fprime = (h > 0).astype(np.float64) if nonlinearity == "relu" else 1.0 - h ** 2
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        delta = fprime * grad_h
        per_step = vector_norm(delta) * np.sqrt(np.sum(x ** 2, axis=-1) + np.sum(h_prev ** 2, axis=-1) + 2.0)
        db = delta.sum(axis=0)
        total = np.concatenate([(delta.T @ x).ravel(), (delta.T @ h_prev).ravel(), db, db])
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


def gradient_share(grad_norm: np.ndarray) -> np.ndarray:
    """(T,) ||dL/dh_t|| -> (T,) ||dL/dh_t|| / ||dL/dh_T||: the share of the gradient left at step t (last entry 1).

    With a zero or non-finite ||dL/dh_T|| the ratio is not defined; the raw norms are returned unchanged."""
    g = np.asarray(grad_norm, dtype=np.float64)
    last = g[-1]
    if not np.isfinite(last) or last == 0:
        return g
    with np.errstate(over="ignore", invalid="ignore"):
        return g / last


def retained(grad_norm: np.ndarray, k: int) -> float:
    """||dL/dh_{T-k}|| / ||dL/dh_T||: the share of the gradient at the loss step left k steps back.

    NaN if the gradient at the loss step is 0 or not finite (the ratio is not defined)."""
    g = np.asarray(grad_norm, dtype=np.float64)
    last = g[-1]
    if not np.isfinite(last) or last == 0:
        return math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        return float(g[len(g) - 1 - k] / last)


def retention(keep: np.ndarray, over_units: str = "mean") -> np.ndarray:
    """(T,) share of what the units held at step 1 still held at step t: prod_{s=2..t} keep_s per unit (1 at t = 1),
    then the mean over units, or (``over_units="max"``) the unit that holds best by the last step.

    keep (T, H): the share of the old state kept each step (GRU z with PyTorch mixing, LSTM forget gate f)."""
    keep = np.asarray(keep, dtype=np.float64)
    held = np.cumprod(np.vstack([np.ones((1, keep.shape[1])), keep[1:]]), axis=0)
    if over_units == "max":
        return held[:, int(np.argmax(held[-1]))]
    return held.mean(axis=1)


@dataclass(frozen=True)
class Readout:
    """A linear readout's loss on a recorded run and its direct gradients on the hidden states."""
    direct: np.ndarray  # (T, H) dL/dh_t through the readout alone (pass as ``record(..., loss=direct)``)
    loss: float
    output: np.ndarray  # class probabilities (O,) or (T, O), or the regression value (1,)
    correct: float  # 1/0 (last-step tasks) or the share of right answers over the last 10 steps


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def readout_gradients(task: str, h: np.ndarray, weight: np.ndarray, bias: np.ndarray, target) -> Readout:
    """The loss of y = W h + c and dL/dh_t, for the three task kinds (``gru_core.tasks``), h (T, H), W (O, H).

    "classify_last": cross-entropy of softmax(W h_T + c) against class ``target`` (int): d_T = W^T (p - onehot).
    "regress_last": (W h_T + c - target)^2 with O = 1: d_T = 2 (y - target) w. "classify_all": mean over t of the
    cross-entropy against ``target`` (T,) ints: d_t = W^T (p_t - onehot_t) / T."""
    h, W, c = (np.asarray(a, dtype=np.float64) for a in (h, weight, bias))
    T, O = h.shape[0], W.shape[0]
    direct = np.zeros_like(h)
    if task == "classify_last":
        p = _softmax(h[-1] @ W.T + c)
        direct[-1] = W.T @ (p - np.eye(O)[int(target)])
        return Readout(direct, -math.log(max(p[int(target)], 1e-300)), p, float(p.argmax() == int(target)))
    if task == "regress_last":
        y, want = float(h[-1] @ W[0] + c[0]), float(target)
        direct[-1] = 2.0 * (y - want) * W[0]
        return Readout(direct, (y - want) ** 2, np.array([y]), float(abs(y - want) < ADDING_TOLERANCE))
    if task != "classify_all":
        raise ValueError(f"task: got {task!r}; allowed: 'classify_last', 'regress_last', 'classify_all'")
    target = np.asarray(target, dtype=int)
    p = _softmax(h @ W.T + c)
    direct[:] = (p - np.eye(O)[target]) @ W / T
    loss = float(-np.mean(np.log(np.maximum(p[np.arange(T), target], 1e-300))))
    return Readout(direct, loss, p[-10:], float(np.mean(p[-10:].argmax(-1) == target[-10:])))
